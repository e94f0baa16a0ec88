package org.cmarl.engine.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Defaults that depend on the device: backward chunk size and evaluation batch. */
class DeviceDefaultsTest {
    private static final long GIB = 1L << 30;

    @Test
    void shouldKeepTheCpuChunkBudgetWhenOnTheCpu() {
        assertEquals(12, DqnLearner.defaultMicroBatch(5, 64, Device.CPU));
        assertEquals(64, DqnLearner.defaultMicroBatch(1, 64, Device.CPU));
    }

    @Test
    void shouldTakeTheWholeBatchInOneChunkWhenTheGpuHasRoom() {
        // CommNet-5 batch 64: 320 observation-agents x 48 MiB = 15 GiB, within 70% of 40 GiB free
        assertEquals(64, DqnLearner.cudaMicroBatch(5, 64, 40 * GIB));
        assertEquals(64, DqnLearner.cudaMicroBatch(5, 64, -1), "free memory unknown: whole batch");
    }

    @Test
    void shouldChunkWhenTheGpuMemorySaysTheBatchDoesNotFit() {
        // 70% of 8 GiB / (5 agents x 48 MiB) = 23.9 -> 23 observations a chunk
        assertEquals(23, DqnLearner.cudaMicroBatch(5, 64, 8 * GIB));
        assertEquals(1, DqnLearner.cudaMicroBatch(5, 64, 100L << 20), "at least one observation");
    }

    @Test
    void shouldBatchMoreEvaluationEpisodesWhenOnCuda() {
        assertEquals(1, Device.CPU.defaultBatchEpisodes());
        assertEquals(32, Device.CUDA.defaultBatchEpisodes());
    }
}
