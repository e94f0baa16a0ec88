package org.cmarl.engine.eval;

import org.cmarl.engine.nn.ObservationBuffer;
import org.cmarl.engine.nn.QNetwork;
import org.cmarl.engine.observation.FrameRing;
import org.cmarl.engine.observation.FrameType;

/**
 * A {@link QNetwork} as the evaluator sees it: float32 input rows (each a {@link FrameRing}), in an
 * {@link ObservationBuffer} this object owns. The network stays the caller's.
 */
public final class NetworkQFunction implements BatchQFunction, AutoCloseable {
    private final QNetwork network;
    private final ObservationBuffer input;

    public NetworkQFunction(QNetwork network, int capacityBatch) {
        this.network = network;
        // on CUDA: pinned host memory, so the one copy per forward pass is a fast host -> device transfer
        this.input = ObservationBuffer.allocate(capacityBatch, network.config().agents(),
                FrameType.FLOAT32, network.device());
    }

    @Override public int agents() { return network.config().agents(); }
    @Override public int capacityBatch() { return input.capacityBatch(); }
    @Override public FrameRing inputRow(int b) { return input.ring(b); }

    @Override
    public void forward(int batch, float[] qOut) {
        network.forward(input, batch, qOut);
    }

    @Override
    public void close() {
        input.close();
    }
}
