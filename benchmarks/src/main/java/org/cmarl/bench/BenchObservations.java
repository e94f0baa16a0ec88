package org.cmarl.bench;

import java.util.SplittableRandom;

import org.cmarl.engine.nn.ObservationBuffer;

/** Synthetic inputs for the forward-pass mains. */
final class BenchObservations {
    private BenchObservations() {
    }

    /** Fills every float32 voxel of {@code observations} with a whole number drawn uniformly from 0..255. */
    static void fillRandomVoxels(ObservationBuffer observations, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        long voxels = (long) observations.capacityBatch() * observations.agents() * 4 * 45 * 45 * 45;
        for (long i = 0; i < voxels; i++) {
            observations.buffer().putFloat((int) (4 * i), r.nextInt(256));
        }
    }
}
