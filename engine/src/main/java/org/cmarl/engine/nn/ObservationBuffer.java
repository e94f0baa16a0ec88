package org.cmarl.engine.nn;

import org.agrona.concurrent.UnsafeBuffer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.cmarl.engine.memory.NativeBlock;

/**
 * Off-heap observations that the networks read without a copy: the environment (or the replay sampler) writes
 * into {@link #address()} / {@link #buffer()}, and {@link QNetwork} wraps the same bytes as a libtorch tensor.
 *
 * <pre>
 * layout (C order, z fastest), one element = 4 bytes (FLOAT32) or 1 byte (UINT8):
 *
 *   [batch 0 .. capacityBatch-1][agent 0 .. agents-1][frame 0..3][x 0..44][y 0..44][z 0..44]
 *
 *   frameOffsetBytes(b, a, f) = ((b * agents + a) * 4 + f) * 45^3 * elementBytes
 *   voxel (x, y, z) of that frame at + ((x * 45 + y) * 45 + z) * elementBytes
 * </pre>
 *
 * Values are the normalised intensities 0..255 (the network divides by 255). Frame 0 is the oldest unless the
 * caller passes a frame phase to {@link QNetwork#forward}: with phase {@code p} the oldest frame sits in slot
 * {@code p} and the frames follow cyclically, so an environment can keep each agent's 4 frames as a ring and
 * overwrite one slot per step instead of shifting 3 frames.
 *
 * <p>On CUDA ({@link #allocate(int, int, ElementType, Device)}) the block is page-locked host memory allocated by
 * libtorch and owned through {@link NativeBlock#ofForeign}, so the one explicit copy per forward is a pinned
 * host -> device transfer. Untested here: the development machines have no GPU.
 *
 * <p>One owner: {@link #close()} frees the native block and the tensor view over it (idempotent); using the
 * buffer after close throws {@link IllegalStateException}.
 */
public final class ObservationBuffer implements AutoCloseable {
    /** Element type of the stored observations. */
    public enum ElementType {
        /** Evaluation: the float ROI values. */
        FLOAT32(4),
        /** Training: the replay memory's truncated values (SPEC.md section 1). */
        UINT8(1);

        private final int bytes;

        ElementType(int bytes) {
            this.bytes = bytes;
        }

        public int bytes() { return bytes; }
    }

    private static final long FRAME_VALUES = (long) NetworkConfig.ROI_VOXELS * NetworkConfig.ROI_VOXELS
            * NetworkConfig.ROI_VOXELS;

    private final int capacityBatch;
    private final int agents;
    private final ElementType elementType;
    private final NativeBlock block;
    /** A view over {@link #block}, not owning it; it must never outlive the block, hence closed first. */
    private final Tensor view;
    private boolean closed;

    private ObservationBuffer(int capacityBatch, int agents, ElementType elementType, Device device) {
        Torch.ensureLoaded();
        this.capacityBatch = capacityBatch;
        this.agents = agents;
        this.elementType = elementType;
        long bytes = (long) capacityBatch * agents * NetworkConfig.FRAMES * FRAME_VALUES * elementType.bytes;
        if (bytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("observation buffer of " + capacityBatch + " x " + agents + " agents ("
                    + elementType + ") needs " + bytes + " bytes, at most " + Integer.MAX_VALUE + " supported");
        }
        long[] shape = {capacityBatch, agents, NetworkConfig.FRAMES, NetworkConfig.ROI_VOXELS,
            NetworkConfig.ROI_VOXELS, NetworkConfig.ROI_VOXELS};
        torch.ScalarType scalarType = elementType == ElementType.FLOAT32 ? torch.ScalarType.Float
                : torch.ScalarType.Byte;
        // on CUDA page-locked: the one copy per forward is a pinned host -> device transfer
        this.block = HostTensorBlock.allocate(shape, scalarType, bytes, device);
        this.view = HostTensorBlock.view(block, shape, scalarType);
    }

    /** A buffer for a network on the CPU: {@link #allocate(int, int, ElementType, Device)} with {@link Device#CPU}. */
    public static ObservationBuffer allocate(int capacityBatch, int agents, ElementType elementType) {
        return allocate(capacityBatch, agents, elementType, Device.CPU);
    }

    /**
     * @param capacityBatch most observations per forward pass (1 in evaluation, the mini-batch size in training)
     * @param agents        agents per observation
     * @param device        the networks' device: on CUDA the block is page-locked (pinned) host memory
     */
    public static ObservationBuffer allocate(int capacityBatch, int agents, ElementType elementType, Device device) {
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
    public ElementType elementType() { return elementType; }

    /** Bytes of one frame (45^3 elements). */
    public long frameBytes() { return FRAME_VALUES * elementType.bytes; }

    /** Byte offset of frame {@code frame} of agent {@code agent} in observation {@code batch}. */
    public long frameOffsetBytes(int batch, int agent, int frame) {
        return (((long) batch * agents + agent) * NetworkConfig.FRAMES + frame) * frameBytes();
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
