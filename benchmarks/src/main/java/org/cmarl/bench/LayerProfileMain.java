package org.cmarl.bench;

import org.cmarl.engine.nn.LayerProfile;

/**
 * Per-layer forward and backward times (conv0..conv3, heads), a profiling main rather than a JMH benchmark:
 * {@code java -cp benchmarks/target/benchmarks.jar org.cmarl.bench.LayerProfileMain Network3d 1 64 3 2}
 * (model, agents, batch, repeats, threads). Prints one row per layer with its forward GFLOP/s.
 */
public final class LayerProfileMain {
    private LayerProfileMain() {
    }

    public static void main(String[] args) {
        LayerProfile.main(args);
    }
}
