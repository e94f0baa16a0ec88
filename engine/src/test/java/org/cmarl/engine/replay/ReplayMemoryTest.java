package org.cmarl.engine.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;

import org.agrona.UnsafeApi;
import org.cmarl.engine.memory.NativeBlock;
import org.cmarl.engine.observation.ObservationGeometry;
import org.junit.jupiter.api.Test;

/**
 * The replay ring against an explicit model of what was written. Each stored location encodes
 * (episode, step, agent) so that a sampled frame says which observation it was re-created from.
 */
class ReplayMemoryTest {
    private static final int FB = ObservationGeometry.FRAME_VOXELS;

    /** Writes a frame whose first 5 bytes are (imageId, x, y, z, scale) and whose last byte is 0x5A. */
    private static final FrameSource TAGGED = (imageId, x, y, z, scale, dest) -> {
        UnsafeApi.setMemory(dest, FB, (byte) 0x11);
        UnsafeApi.putByte(dest, (byte) imageId);
        UnsafeApi.putByte(dest + 1, (byte) x);
        UnsafeApi.putByte(dest + 2, (byte) y);
        UnsafeApi.putByte(dest + 3, (byte) z);
        UnsafeApi.putByte(dest + 4, (byte) scale);
        UnsafeApi.putByte(dest + FB - 1, (byte) 0x5A);
    };

    private static int[] loc(int episode, int step, int agents, int axis) {
        int[] v = new int[agents];
        for (int a = 0; a < agents; a++) {
            v[a] = axis == 0 ? episode + 1 : axis == 1 ? step : a + 10;
        }
        return v;
    }

    /** Writes episodes of the given lengths; episode e is on image 100 + e, action (e + t) % 6, reward t + 0.5a. */
    private static void writeEpisodes(ReplayMemory m, int agents, int... lengths) {
        for (int e = 0; e < lengths.length; e++) {
            m.beginEpisode(100 + e, loc(e, 0, agents, 0), loc(e, 0, agents, 1), loc(e, 0, agents, 2), 3);
            for (int t = 0; t < lengths[e]; t++) {
                int[] actions = new int[agents];
                float[] rewards = new float[agents];
                boolean[] terminal = new boolean[agents];
                for (int a = 0; a < agents; a++) {
                    actions[a] = (e + t) % 6;
                    rewards[a] = t + 0.5f * a;
                    terminal[a] = t == lengths[e] - 1 && e % 2 == 0;
                }
                m.recordStep(actions, rewards, terminal, loc(e, t + 1, agents, 0), loc(e, t + 1, agents, 1),
                        loc(e, t + 1, agents, 2), Math.max(1, 3 - t / 5));
            }
        }
    }

    /**
     * Checks every sampled transition against the model: window frames 0..4 are the observations of steps t-3..t+1
     * of one episode (so frames 0..3 are the state and 1..4 the next state), zeros before its start; the bytes after
     * the batch's windows are untouched. Returns the smallest step sampled.
     */
    private static int checkSamples(ReplayMemory m, int agents, int batch, long seed, int... lengths) {
        long windowBytes = (long) agents * 5 * FB;
        assertEquals(batch * windowBytes, ReplayMemory.windowBytes(batch, agents));
        try (NativeBlock w = NativeBlock.allocate(batch * windowBytes + 64, 64)) {
            UnsafeApi.setMemory(w.address() + batch * windowBytes, 64, (byte) 0x77);
            int[] actions = new int[batch * agents];
            float[] rewards = new float[batch * agents];
            boolean[] terminal = new boolean[batch * agents];
            m.sample(batch, new SplittableRandom(seed), TAGGED, w, 0, actions, rewards, terminal);
            int minStep = Integer.MAX_VALUE;
            for (int b = 0; b < batch; b++) {
                long wb = w.address() + b * windowBytes;
                // window frame 3 of agent 0 is the observation of step t itself
                int episode = (UnsafeApi.getByte(wb + 3L * FB + 1) & 0xFF) - 1;
                int t = UnsafeApi.getByte(wb + 3L * FB + 2) & 0xFF;
                minStep = Math.min(minStep, t);
                assertTrue(t < lengths[episode], "state at step " + t + " of an episode of " + lengths[episode]);
                for (int a = 0; a < agents; a++) {
                    int i = b * agents + a;
                    assertEquals((episode + t) % 6, actions[i]);
                    assertEquals(t + 0.5f * a, rewards[i]);
                    assertEquals(t == lengths[episode] - 1 && episode % 2 == 0, terminal[i]);
                    for (int f = 0; f < 5; f++) {
                        checkFrame(wb + ((long) a * 5 + f) * FB, episode, t - 3 + f, a);
                    }
                }
            }
            for (int i = 0; i < 64; i++) {
                assertEquals(0x77, UnsafeApi.getByte(w.address() + batch * windowBytes + i) & 0xFF, "guard byte " + i);
            }
            return minStep;
        }
    }

    private static void checkFrame(long frame, int episode, int step, int agent) {
        if (step < 0) {
            for (int i = 0; i < FB; i++) {
                if (UnsafeApi.getByte(frame + i) != 0) {
                    throw new AssertionError("frame before the episode start has byte " + i + " non-zero");
                }
            }
            return;
        }
        assertEquals(100 + episode, UnsafeApi.getByte(frame) & 0xFF, "image id");
        assertEquals(episode + 1, UnsafeApi.getByte(frame + 1) & 0xFF, "episode");
        assertEquals(step, UnsafeApi.getByte(frame + 2) & 0xFF, "step");
        assertEquals(agent + 10, UnsafeApi.getByte(frame + 3) & 0xFF, "agent");
        assertEquals(Math.max(1, 3 - (step - 1) / 5) * (step == 0 ? 0 : 1) + (step == 0 ? 3 : 0),
                UnsafeApi.getByte(frame + 4), "scale");
        assertEquals(0x5A, UnsafeApi.getByte(frame + FB - 1));
    }

    @Test
    void shouldRebuildFramesOfTheSameEpisodeWhenSampling() {
        try (ReplayMemory m = new ReplayMemory(1000, 2)) {
            writeEpisodes(m, 2, 7, 2, 12, 1);
            assertEquals(22, m.size());
            checkSamples(m, 2, 20, 1, 7, 2, 12, 1);
        }
    }

    @Test
    void shouldWriteZeroFramesInsideTheWindowWhenStateReachesBeforeEpisodeStart() {
        try (ReplayMemory m = new ReplayMemory(1000, 2)) {
            // episodes of 1 and 2 steps: every window starts with 2 or 3 zero frames
            writeEpisodes(m, 2, 1, 2, 1);
            assertEquals(4, m.size());
            for (long seed = 0; seed < 10; seed++) {
                assertTrue(checkSamples(m, 2, 4, seed, 1, 2, 1) <= 1);
            }
        }
    }

    @Test
    void shouldWriteZerosOverStaleBytesWhenWindowStartsAtEpisodeStart() {
        try (ReplayMemory m = new ReplayMemory(10, 1);
             NativeBlock w = NativeBlock.allocate(5L * FB, 64)) {
            writeEpisodes(m, 1, 1);
            // a reused buffer: the zero frames must be written, not assumed
            UnsafeApi.setMemory(w.address(), 5L * FB, (byte) 0x33);
            m.sample(1, new SplittableRandom(0), TAGGED, w, 0, new int[1], new float[1], new boolean[1]);
            for (int f = 0; f < 5; f++) {
                checkFrame(w.address() + (long) f * FB, 0, f - 3, 0);
            }
        }
    }

    @Test
    void shouldDropOldestAndNeverSampleTruncatedHistoryWhenRingWraps() {
        try (ReplayMemory m = new ReplayMemory(6, 1)) {
            // 3 episodes, 13 transitions and 16 observations through a ring of 10 records.
            writeEpisodes(m, 1, 5, 3, 5);
            // The ring holds the last 10 observations: episode 1 steps 0..3 (3 transitions), episode 2 steps 0..5 (5).
            assertEquals(8, m.size());
            assertEquals(8, m.sampleableTransitions());
            for (long seed = 0; seed < 20; seed++) {
                checkSamples(m, 1, 8, seed, 5, 3, 5);
            }
        }
    }

    @Test
    void shouldNotSampleStatesWhoseFirstFramesWereOverwritten() {
        try (ReplayMemory m = new ReplayMemory(6, 1)) {
            // one episode of 15 steps: 16 observations, the ring keeps steps 6..15 (9 transitions, 6..14);
            // steps 6, 7 and 8 lost frames 3, 4 and 5 to the overwrite.
            writeEpisodes(m, 1, 15);
            assertEquals(9, m.size());
            assertEquals(6, m.sampleableTransitions());
            for (long seed = 0; seed < 20; seed++) {
                assertTrue(checkSamples(m, 1, 6, seed, 15) >= 9);
            }
        }
    }

    @Test
    void shouldKeepOneTransitionWhenCapacityIsOne() {
        try (ReplayMemory m = new ReplayMemory(1, 1)) {
            writeEpisodes(m, 1, 9);
            assertEquals(1, m.sampleableTransitions());
            assertEquals(8, checkSamples(m, 1, 1, 3, 9));
        }
    }

    @Test
    void shouldCarryTerminalFlagsOfTheLastTransition() {
        try (ReplayMemory m = new ReplayMemory(100, 3)) {
            writeEpisodes(m, 3, 1);
            // one transition, terminal (episode 0 is even)
            checkSamples(m, 3, 1, 9, 1);
        }
    }

    @Test
    void shouldRefuseSamplingWhenTheWindowsDoNotFitInTheBlockFromTheOffset() {
        try (ReplayMemory m = new ReplayMemory(10, 1);
             NativeBlock w = NativeBlock.allocate(2L * 5 * FB + 8, 64)) {
            writeEpisodes(m, 1, 4);
            m.sample(2, new SplittableRandom(0), TAGGED, w, 8, new int[4], new float[4], new boolean[4]); // fits
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> m.sample(2, new SplittableRandom(0), TAGGED, w, 9, new int[4], new float[4],
                            new boolean[4]));
            assertEquals("windows block of 911258 bytes at offset 9 is too small: 2 transitions x 1 agents x 5 uint8 "
                    + "frames need 911250 bytes", e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> m.sample(2, new SplittableRandom(0), TAGGED, w, -1,
                    new int[4], new float[4], new boolean[4]));
            assertThrows(IllegalArgumentException.class, () -> m.sample(2, new SplittableRandom(0), TAGGED, null, 0,
                    new int[4], new float[4], new boolean[4]));
        }
    }

    @Test
    void shouldRefuseSamplingWhenTheWindowsBlockIsClosed() {
        try (ReplayMemory m = new ReplayMemory(10, 1)) {
            writeEpisodes(m, 1, 4);
            NativeBlock w = NativeBlock.allocate(5L * FB, 64);
            w.close();
            assertThrows(IllegalStateException.class, () -> m.sample(1, new SplittableRandom(0), TAGGED, w, 0,
                    new int[1], new float[1], new boolean[1]));
        }
    }

    @Test
    void shouldRejectBatchLargerThanStoredTransitions() {
        try (ReplayMemory m = new ReplayMemory(100, 1)) {
            writeEpisodes(m, 1, 3);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> m.sample(4, new SplittableRandom(0), TAGGED, null, 0, new int[4], new float[4], new boolean[4]));
            assertEquals("batch of 4 requested, 3 transitions stored", e.getMessage());
        }
    }

    @Test
    void shouldStayUnderOneGigabyteWhenMillionTransitionsOfEightAgents() {
        try (ReplayMemory m = new ReplayMemory(1_000_000, 8)) {
            assertEquals(1_000_004L * 144, m.memoryBytes());
            assertTrue(m.memoryBytes() < 1L << 30);
        }
    }

    @Test
    void shouldRejectActionOutsideRange() {
        try (ReplayMemory m = new ReplayMemory(10, 1)) {
            m.beginEpisode(0, new int[]{1}, new int[]{1}, new int[]{1}, 1);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.recordStep(
                    new int[]{6}, new float[]{0}, new boolean[]{false}, new int[]{1}, new int[]{1}, new int[]{1}, 1));
            assertEquals("action 6 of agent 0, expected 0..5", e.getMessage());
        }
    }
}
