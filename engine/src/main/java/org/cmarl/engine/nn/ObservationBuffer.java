package org.cmarl.engine.nn;

import org.agrona.concurrent.UnsafeBuffer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.cmarl.engine.memory.NativeBlock;
import org.cmarl.engine.observation.FrameRing;
import org.cmarl.engine.observation.FrameType;
import org.cmarl.engine.observation.ObservationGeometry;
import org.cmarl.engine.observation.ObservationLayout;

/**
 * Off-heap observations that the networks read without a copy: the environment (or the replay sampler) writes
 * into the block, and {@link QNetwork} wraps the same bytes as a libtorch tensor.
 *
 * <pre>
 * layout {@link ObservationLayout} (C order, z fastest), one element = 4 bytes (FLOAT32) or 1 byte (UINT8):
 *
 *   [batch 0 .. capacityBatch-1][agent 0 .. agents-1][frame slot 0..3][x 0..44][y 0..44][z 0..44]
 * </pre>
 *
 * Values are the normalised intensities 0..255 (the network divides by 255). Each batch entry is a
 * {@link FrameRing} ({@link #ring(int)}) that carries its own frame order: slot 0 holds the oldest frame unless the
 * writer advanced the ring (an environment overwrites one slot per step instead of shifting 3 frames), and
 * {@link QNetwork#forward} honours each entry's order, so nobody passes a phase along.
 *
 * <p>On CUDA ({@link #allocate(int, int, FrameType, Device)}) the block is page-locked host memory allocated by
 * libtorch and owned through {@link NativeBlock#ofForeign}, so the one explicit copy per forward is a pinned
 * host -> device transfer. Untested here: the development machines have no GPU.
 *
 * <p>One owner: {@link #close()} frees the native block and the tensor view over it (idempotent); using the
 * buffer after close throws {@link IllegalStateException}.
 */
public final class ObservationBuffer implements AutoCloseable {
    private final int capacityBatch;
    private final int agents;
    private final FrameType elementType;
    private final ObservationLayout layout;
    private final NativeBlock block;
    /** A view over {@link #block}, not owning it; it must never outlive the block, hence closed first. */
    private final Tensor view;
    /** Batch entry b over {@link #block}, with its frame order. */
    private final FrameRing[] rings;
    private boolean closed;

    private ObservationBuffer(int capacityBatch, int agents, FrameType elementType, Device device) {
        Torch.ensureLoaded();
        this.capacityBatch = capacityBatch;
        this.agents = agents;
        this.elementType = elementType;
        this.layout = new ObservationLayout(agents, elementType);
        long bytes = layout.totalBytes(capacityBatch);
        if (bytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("observation buffer of " + capacityBatch + " x " + agents + " agents ("
                    + elementType + ") needs " + bytes + " bytes, at most " + Integer.MAX_VALUE + " supported");
        }
        long[] shape = {capacityBatch, agents, ObservationGeometry.FRAMES, ObservationGeometry.ROI_VOXELS,
            ObservationGeometry.ROI_VOXELS, ObservationGeometry.ROI_VOXELS};
        torch.ScalarType scalarType = elementType == FrameType.FLOAT32 ? torch.ScalarType.Float
                : torch.ScalarType.Byte;
        // on CUDA page-locked: the one copy per forward is a pinned host -> device transfer
        this.block = HostTensorBlock.allocate(shape, scalarType, bytes, device);
        this.view = HostTensorBlock.view(block, shape, scalarType);
        this.rings = new FrameRing[capacityBatch];
        for (int b = 0; b < capacityBatch; b++) {
            rings[b] = new FrameRing(block, layout.frameOffset(b, 0, 0), layout);
        }
    }

    /** A buffer for a network on the CPU: {@link #allocate(int, int, FrameType, Device)} with {@link Device#CPU}. */
    public static ObservationBuffer allocate(int capacityBatch, int agents, FrameType elementType) {
        return allocate(capacityBatch, agents, elementType, Device.CPU);
    }

    /**
     * @param capacityBatch most observations per forward pass (1 in evaluation, the mini-batch size in training)
     * @param agents        agents per observation
     * @param device        the networks' device: on CUDA the block is page-locked (pinned) host memory
     */
    public static ObservationBuffer allocate(int capacityBatch, int agents, FrameType elementType, Device device) {
        if (capacityBatch < 1 || agents < 1) {
            throw new IllegalArgumentException("capacityBatch=" + capacityBatch + ", agents=" + agents
                    + ", both required >= 1");
        }
        if (elementType == null) {
            throw new IllegalArgumentException("elementType is null");
        }
        return new ObservationBuffer(capacityBatch, agents, elementType, device == null ? Device.CPU : device);
    }

    /**
     * The native memory under the tensor view, for writers that take a block and an offset (the environment).
     * Still owned by this buffer: do not close it.
     */
    public NativeBlock block() {
        checkOpen();
        return block;
    }

    public int capacityBatch() { return capacityBatch; }
    public int agents() { return agents; }
    public FrameType elementType() { return elementType; }

    /** Bytes of one frame (45^3 elements). */
    public long frameBytes() { return layout.frameBytes(); }

    /** Byte offsets of the frame slots of every batch entry. */
    public ObservationLayout layout() { return layout; }

    /** Byte offset of frame slot {@code frame} of agent {@code agent} in observation {@code batch}. */
    public long frameOffsetBytes(int batch, int agent, int frame) {
        return layout.frameOffset(batch, agent, frame);
    }

    /**
     * Batch entry {@code batch} as a ring of frames with its own order: what an environment writes into (and
     * advances), or what a caller copies an observation into ({@link FrameRing#copyCanonicalTo}). The memory stays
     * this buffer's.
     */
    public FrameRing ring(int batch) {
        checkOpen();
        if (batch < 0 || batch >= capacityBatch) {
            throw new IllegalArgumentException("batch entry " + batch + ", capacity " + capacityBatch);
        }
        return rings[batch];
    }

    /** First byte of the block. */
    public long address() {
        checkOpen();
        return block.address();
    }

    /** Agrona view over the whole block (int-indexed; every supported capacity fits). */
    public UnsafeBuffer buffer() {
        checkOpen();
        return block.buffer();
    }

    /** The view over the first {@code batch} observations, in the caller's PointerScope. */
    Tensor tensor(int batch) {
        checkOpen();
        if (batch < 1 || batch > capacityBatch) {
            throw new IllegalArgumentException("batch=" + batch + ", capacity " + capacityBatch);
        }
        return batch == capacityBatch ? view.alias() : view.narrow(0, 0, batch);
    }

    public boolean isClosed() { return closed; }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("observation buffer (" + capacityBatch + " x " + agents + " agents, "
                    + elementType + ") is closed");
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        view.close();
        block.close();
    }
}
