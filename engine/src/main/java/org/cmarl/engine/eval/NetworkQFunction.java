package org.cmarl.engine.eval;

import org.cmarl.engine.nn.ObservationBuffer;
import org.cmarl.engine.nn.QNetwork;

/**
 * A {@link QNetwork} as the evaluator sees it: float32 input rows, frames oldest first, in an
 * {@link ObservationBuffer} this object owns. The network stays the caller's.
 */
public final class NetworkQFunction implements BatchQFunction, AutoCloseable {
    private final QNetwork network;
    private final ObservationBuffer input;
    private final long rowBytes;

    public NetworkQFunction(QNetwork network, int capacityBatch) {
        this.network = network;
        // on CUDA: pinned host memory, so the one copy per forward pass is a fast host -> device transfer
        this.input = ObservationBuffer.allocate(capacityBatch, network.config().agents(),
                ObservationBuffer.ElementType.FLOAT32, network.device());
        this.rowBytes = input.frameOffsetBytes(1, 0, 0);
    }

    @Override public int agents() { return network.config().agents(); }
    @Override public int capacityBatch() { return input.capacityBatch(); }
    @Override public long inputRowAddress(int b) { return input.address() + b * rowBytes; }
    @Override public long inputRowBytes() { return rowBytes; }

    @Override
    public void forward(int batch, float[] qOut) {
        network.forward(input, batch, 0, qOut);
    }

    @Override
    public void close() {
        input.close();
    }
}
