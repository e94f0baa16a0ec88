package org.cmarl.engine.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.SplittableRandom;

import org.agrona.UnsafeApi;
import org.cmarl.engine.nn.Device;
import org.cmarl.engine.replay.FrameSource;
import org.cmarl.engine.replay.ReplayMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The double buffer gives the learner exactly the batches that sampling at the same moments with the same random
 * stream gives (the oracle: {@link ReplayMemory#sample} called directly, one buffer), alternating two buffers.
 */
class ReplayBatchPrefetcherTest {
    private static final int AGENTS = 2;
    private static final int BATCH = 3;

    /** Frame f of image i at location (x, y, z): every byte the location's low bits, so windows differ. */
    private static final FrameSource FRAMES = (image, x, y, z, scale, out) -> {
        for (long i = 0; i < org.cmarl.engine.nn.TransitionBatchBuffer.FRAME_BYTES; i++) {
            UnsafeApi.putByte(out + i, (byte) (x * 7 + y * 3 + z + image));
        }
    };

    private ReplayMemory replay;

    @BeforeEach
    void fill() {
        replay = new ReplayMemory(50, AGENTS);
        int[] actions = new int[AGENTS];
        float[] rewards = new float[AGENTS];
        boolean[] terminal = new boolean[AGENTS];
        int[] x = {10, 20};
        int[] y = {11, 21};
        int[] z = {12, 22};
        replay.beginEpisode(0, x, y, z, 1);
        for (int step = 0; step < 20; step++) {
            for (int a = 0; a < AGENTS; a++) {
                actions[a] = (step + a) % 6;
                rewards[a] = step * 0.1f - a;
                terminal[a] = step % 9 == 8;
                x[a]++;
                z[a] += a;
            }
            replay.recordStep(actions, rewards, terminal, x, y, z, 1);
        }
    }

    @AfterEach
    void free() {
        replay.close();
    }

    @Test
    void shouldHandOutTheBatchesOfDirectSamplingWhenPrefetchingTheNextDuringEachUpdate() {
        SplittableRandom oracleRandom = new SplittableRandom(42);
        SplittableRandom random = new SplittableRandom(42);
        long bytes = ReplayMemory.windowBytes(BATCH, AGENTS);
        try (org.cmarl.engine.nn.TransitionBatchBuffer oracle =
                     org.cmarl.engine.nn.TransitionBatchBuffer.allocate(BATCH, AGENTS);
             ReplayBatchPrefetcher prefetcher = new ReplayBatchPrefetcher(replay, FRAMES, BATCH, AGENTS,
                     Device.CPU)) {
            int[] wantActions = new int[BATCH * AGENTS];
            float[] wantRewards = new float[BATCH * AGENTS];
            boolean[] wantTerminal = new boolean[BATCH * AGENTS];
            ReplayBatchPrefetcher.Batch previous = null;
            for (int update = 0; update < 4; update++) {
                if (update == 2) {
                    prefetcher.discard(); // an episode boundary: the prefetched batch is dropped, sampled anew
                    replay.sample(BATCH, oracleRandom, FRAMES, oracle.block(), 0, wantActions, wantRewards,
                            wantTerminal); // the dropped draw
                }
                ReplayBatchPrefetcher.Batch batch = prefetcher.take(random);
                replay.sample(BATCH, oracleRandom, FRAMES, oracle.block(), 0, wantActions, wantRewards, wantTerminal);
                assertArrayEquals(wantActions, batch.actions(), "update " + update);
                assertArrayEquals(wantRewards, batch.rewards(), "update " + update);
                assertArrayEquals(wantTerminal, batch.terminal(), "update " + update);
                for (long i = 0; i < bytes; i += 4099) {
                    assertEquals(UnsafeApi.getByte(oracle.address() + i),
                            UnsafeApi.getByte(batch.transitions().address() + i),
                            "update " + update + " byte " + i);
                }
                if (previous != null && update != 2) {
                    assertNotSame(previous.transitions(), batch.transitions(), "buffers alternate");
                }
                previous = batch;
                prefetcher.prefetch(random);
                prefetcher.awaitPrefetch();
            }
        }
    }

    @Test
    void shouldRefuseASecondPrefetchAndUseAfterClose() {
        ReplayBatchPrefetcher prefetcher = new ReplayBatchPrefetcher(replay, FRAMES, BATCH, AGENTS, Device.CPU);
        SplittableRandom random = new SplittableRandom(1);
        ReplayBatchPrefetcher.Batch first = prefetcher.take(random);
        assertSame(first, prefetcher.take(random), "nothing prefetched: sampled again into the same buffer");
        prefetcher.prefetch(random);
        assertThrows(IllegalStateException.class, () -> prefetcher.prefetch(random));
        prefetcher.close();
        prefetcher.close();
        assertThrows(IllegalStateException.class, () -> prefetcher.take(random));
    }

    @Test
    void shouldRethrowTheSamplersFailureWhenAwaited() {
        try (ReplayMemory empty = new ReplayMemory(10, AGENTS);
             ReplayBatchPrefetcher prefetcher = new ReplayBatchPrefetcher(empty, FRAMES, BATCH, AGENTS, Device.CPU)) {
            prefetcher.prefetch(new SplittableRandom(1));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, prefetcher::awaitPrefetch);
            assertEquals("batch of 3 requested, 0 transitions stored", e.getMessage());
        }
    }
}
