package org.cmarl.engine.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import org.agrona.UnsafeApi;
import org.cmarl.engine.env.EnvConfig;
import org.cmarl.engine.env.LandmarkEnv;
import org.cmarl.engine.env.Mode;
import org.cmarl.engine.env.Spawn;
import org.cmarl.engine.memory.NativeBlock;
import org.cmarl.engine.observation.FrameRing;
import org.cmarl.engine.observation.FrameType;
import org.cmarl.engine.observation.ObservationGeometry;
import org.cmarl.engine.synth.SyntheticDataset;
import org.cmarl.engine.volume.FileType;
import org.cmarl.engine.volume.LandmarkReader;
import org.cmarl.engine.volume.NiftiReader;
import org.cmarl.engine.volume.Volume;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The replay memory with the real ROI extraction, as the trainer wires it: the frames re-extracted at sampling
 * are byte-for-byte the float frames the environment wrote at the time of the step, truncated to uint8 (the
 * published memory stores {@code np.uint8(frame)}), across episode starts (zeros before the first frame), scale
 * changes of the multiscale search and the wrap-around of the ring.
 */
class ReplayRoiFramesTest {
    private static final int AGENTS = 2;
    private static final int FRAME = ObservationGeometry.FRAME_VOXELS;
    private static final int STATE_BYTES = AGENTS * ObservationGeometry.FRAMES * FRAME;
    private static final int WINDOW_BYTES = AGENTS * ReplayMemory.WINDOW_FRAMES * FRAME;

    @Test
    void shouldReExtractTheFramesTheEnvironmentWroteWhenSampling(@TempDir Path dir) {
        SyntheticDataset.Result data = SyntheticDataset.generate(dir, 2, 3, 48);
        List<Volume> volumes = new ArrayList<>();
        List<int[][]> landmarks = new ArrayList<>();
        EnvConfig config = new EnvConfig(Mode.TRAIN, AGENTS, true, FrameType.FLOAT32, 9, false);
        // expected uint8 states before and after transition t (t = the reward given to agent 0)
        List<byte[]> states = new ArrayList<>();
        List<byte[]> nextStates = new ArrayList<>();
        List<Integer> episodeStep = new ArrayList<>();
        List<Integer> scaleOf = new ArrayList<>();
        try (LandmarkEnv env = LandmarkEnv.withOwnBuffer(config);
             NativeBlock canonical = NativeBlock.allocate((long) STATE_BYTES * Float.BYTES, 64);
             ReplayMemory memory = new ReplayMemory(60, AGENTS);
             NativeBlock sampled = NativeBlock.allocate(16L * WINDOW_BYTES, 64)) {
            for (int i = 0; i < 2; i++) {
                Volume v = NiftiReader.load(data.images().get(i));
                volumes.add(v);
                landmarks.add(new int[][]{LandmarkReader.landmark(data.landmarks().get(i), FileType.BRAIN, 0, v),
                        LandmarkReader.landmark(data.landmarks().get(i), FileType.BRAIN, 1, v)});
            }
            SplittableRandom random = new SplittableRandom(17);
            int[] x = new int[AGENTS];
            int[] y = new int[AGENTS];
            int[] z = new int[AGENTS];
            int[] actions = new int[AGENTS];
            float[] rewards = new float[AGENTS];
            boolean[] terminal = new boolean[AGENTS];
            float[] q = new float[AGENTS * 6];
            int t = 0;
            // 14 episodes of at most 9 steps: more transitions than the ring's 60, so it wraps
            for (int episode = 0; episode < 14; episode++) {
                int image = episode % 2;
                env.reset(volumes.get(image), landmarks.get(image), Spawn.random(), random);
                locations(env, x, y, z);
                memory.beginEpisode(image, x, y, z, env.scale());
                byte[] before = truncated(env, canonical);
                while (!env.isOver()) {
                    for (int a = 0; a < AGENTS; a++) {
                        actions[a] = random.nextInt(6);
                    }
                    int step = env.steps();
                    int scale = env.scale();
                    env.step(actions, q);
                    for (int a = 0; a < AGENTS; a++) {
                        rewards[a] = t * 10 + a; // identifies the transition in a sample
                        terminal[a] = env.terminal(a);
                    }
                    locations(env, x, y, z);
                    memory.recordStep(actions, rewards, terminal, x, y, z, env.scale());
                    byte[] after = truncated(env, canonical);
                    states.add(before);
                    nextStates.add(after);
                    episodeStep.add(step);
                    scaleOf.add(scale);
                    before = after;
                    t++;
                }
            }
            assertTrue(t > 60, "the ring wrapped: " + t + " transitions into 60");
            RoiFrameSource frames = new RoiFrameSource(volumes);
            int[] bActions = new int[16 * AGENTS];
            float[] bRewards = new float[16 * AGENTS];
            boolean[] bTerminal = new boolean[16 * AGENTS];
            byte[] got = new byte[STATE_BYTES];
            boolean sawEpisodeStart = false;
            boolean sawCoarseScale = false;
            for (int round = 0; round < 8; round++) {
                memory.sample(16, random, frames, sampled, 0, bActions, bRewards, bTerminal);
                for (int b = 0; b < 16; b++) {
                    int id = (int) bRewards[b * AGENTS] / 10;
                    assertTrue(id >= t - 60, "transition " + id + " was overwritten");
                    // the state is window frames 0..3 of each agent, the next state frames 1..4
                    windowFrames(sampled.address() + (long) b * WINDOW_BYTES, 0, got);
                    assertFramesEqual(states.get(id), got, "state of transition " + id);
                    windowFrames(sampled.address() + (long) b * WINDOW_BYTES, 1, got);
                    assertFramesEqual(nextStates.get(id), got, "next state of transition " + id);
                    sawEpisodeStart |= episodeStep.get(id) < 3;
                    sawCoarseScale |= scaleOf.get(id) > 1;
                }
            }
            assertTrue(sawEpisodeStart, "some sampled state reaches back before its episode's start");
            assertTrue(sawCoarseScale, "some sampled state is at scale 2 or 3");
        } finally {
            for (Volume v : volumes) {
                v.close();
            }
        }
    }

    /** Window frames {@code first .. first + 3} of every agent of the window at {@code window}, agent-major. */
    private static void windowFrames(long window, int first, byte[] out) {
        for (int a = 0; a < AGENTS; a++) {
            UnsafeApi.copyMemory(null, window + ((long) a * ReplayMemory.WINDOW_FRAMES + first) * FRAME, out,
                    org.agrona.BufferUtil.ARRAY_BASE_OFFSET + (long) a * ObservationGeometry.FRAMES * FRAME,
                    (long) ObservationGeometry.FRAMES * FRAME);
        }
    }

    private static void locations(LandmarkEnv env, int[] x, int[] y, int[] z) {
        for (int a = 0; a < AGENTS; a++) {
            x[a] = env.location(a, 0);
            y[a] = env.location(a, 1);
            z[a] = env.location(a, 2);
        }
    }

    /** The environment's float observation, frames oldest first, as the uint8 the published memory stores. */
    private static byte[] truncated(LandmarkEnv env, NativeBlock canonical) {
        env.frames().copyCanonicalTo(new FrameRing(canonical, 0, env.layout()));
        byte[] out = new byte[STATE_BYTES];
        for (int i = 0; i < STATE_BYTES; i++) {
            float f = UnsafeApi.getFloat(canonical.address() + (long) i * Float.BYTES);
            out[i] = (byte) (int) f; // values are in [0, 255]: C-style truncation toward zero
        }
        return out;
    }

    private static void assertFramesEqual(byte[] want, byte[] got, String what) {
        for (int i = 0; i < want.length; i++) {
            if (want[i] != got[i]) {
                int frame = i / FRAME;
                throw new AssertionError(what + ": agent " + frame / ObservationGeometry.FRAMES + " frame "
                        + frame % ObservationGeometry.FRAMES + " voxel " + i % FRAME + ": expected " + (want[i] & 0xFF)
                        + ", got " + (got[i] & 0xFF));
            }
        }
        assertEquals(want.length, got.length);
    }
}
