package org.cmarl.engine.nn;

import org.cmarl.engine.observation.ObservationGeometry;

/**
 * The architecture of a Q-network (SPEC.md section 4) as numbers: the shared trunk of four 3D convolutions and the
 * per-agent heads of three linear layers (CommNet: each head layer also takes the agents' mean or attention-weighted
 * vector, doubling its input). Plain Java, immutable.
 * <pre>
 *   trunk  conv0 4->32 k5, pool | conv1 32->32 k5, pool | conv2 32->64 k4, pool | conv3 64->64 k3  -> 512 features
 *   head   fc1 512(x2)->256 | fc2 256(x2)->128 | fc3 128(x2)->6            (x2: CommNet)
 * </pre>
 */
final class LayerShapes {
    /** Trunk layers. */
    static final int CONV_LAYERS = 4;
    /** Head layers per agent. */
    static final int FC_LAYERS = 3;
    /** Features the trunk hands each agent's head: 64 channels x 2^3. */
    static final int TRUNK_FEATURES = 512;
    private static final int FC1_OUT = 256;
    private static final int FC2_OUT = 128;
    private static final int[] CONV_IN = {ObservationGeometry.FRAMES, 32, 32, 64};
    private static final int[] CONV_OUT = {32, 32, 64, 64};
    private static final int[] KERNEL = {5, 5, 4, 3};

    private final int[] fcIn;
    private final int[] fcOut;

    LayerShapes(NetworkConfig config) {
        int widen = config.isCommNet() ? 2 : 1;
        this.fcIn = new int[] {TRUNK_FEATURES * widen, FC1_OUT * widen, FC2_OUT * widen};
        this.fcOut = new int[] {FC1_OUT, FC2_OUT, ObservationGeometry.ACTIONS};
    }

    static int convIn(int layer) { return CONV_IN[layer]; }
    static int convOut(int layer) { return CONV_OUT[layer]; }
    static int kernel(int layer) { return KERNEL[layer]; }

    /** conv{@code layer}'s weight: {@code (out, in, k, k, k)}. */
    static long[] convWeight(int layer) {
        int k = KERNEL[layer];
        return new long[] {CONV_OUT[layer], CONV_IN[layer], k, k, k};
    }

    /** Inputs of head layer {@code layer} (0 = fc1), CommNet's communication vector included. */
    int fcIn(int layer) { return fcIn[layer]; }
    int fcOut(int layer) { return fcOut[layer]; }

    /** The family whose {@code fc1.0.weight} has {@code inputs} inputs: CommNet, Network3d, or null for neither. */
    static Architecture architectureOfFc1Inputs(long inputs) {
        return inputs == 2L * TRUNK_FEATURES ? Architecture.COMMNET
                : inputs == TRUNK_FEATURES ? Architecture.NETWORK3D : null;
    }
}
