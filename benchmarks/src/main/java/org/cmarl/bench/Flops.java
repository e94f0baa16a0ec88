package org.cmarl.bench;

import org.cmarl.engine.nn.NetworkConfig;

/**
 * Floating-point operation counts of the networks (a multiply-add counts 2), for GFLOP/s figures. Per
 * observation, i.e. per batch element with all its agents:
 *
 * <pre>
 *   conv0  43^3 x 32 x 4  x 125 x 2 = 2.544 GFLOP   per agent
 *   conv1  19^3 x 32 x 32 x 125 x 2 = 1.756 GFLOP
 *   conv2   8^3 x 64 x 32 x  64 x 2 = 0.134 GFLOP
 *   conv3   2^3 x 64 x 64 x  27 x 2 = 0.002 GFLOP
 *   heads  2 x (in1 x 256 + in2 x 128 + in3 x 6)   (in doubled for CommNet)
 * </pre>
 *
 * so about 4.44 GFLOP per agent per forward (the published figure is 4.4).
 */
public final class Flops {
    private Flops() {
    }

    /** conv0..conv3 FLOPs for one agent's observation. */
    static long convFlops(int layer) {
        long[] outVoxels = {43L * 43 * 43, 19L * 19 * 19, 8L * 8 * 8, 2L * 2 * 2};
        long[] outCh = {32, 32, 64, 64};
        long[] inCh = {4, 32, 32, 64};
        long[] kernel = {125, 125, 64, 27};
        return 2 * outVoxels[layer] * outCh[layer] * inCh[layer] * kernel[layer];
    }

    /** Head FLOPs for one agent. */
    static long headFlops(NetworkConfig config) {
        long widen = config.isCommNet() ? 2 : 1;
        return 2 * (512 * widen * 256 + 256 * widen * 128 + 128 * widen * 6);
    }

    /** One forward pass over {@code batch} observations. */
    public static long forward(NetworkConfig config, int batch) {
        long perAgent = convFlops(0) + convFlops(1) + convFlops(2) + convFlops(3) + headFlops(config);
        return perAgent * config.agents() * batch;
    }

    /**
     * One DQN update ({@link org.cmarl.engine.nn.DqnLearner#update}): target forward, online forward, online backward. The backward
     * pass costs two forwards (input and weight gradients) except conv0, whose input needs no gradient.
     */
    public static long update(NetworkConfig config, int batch) {
        long conv0 = convFlops(0) * config.agents() * batch;
        return 4 * forward(config, batch) - conv0;
    }
}
