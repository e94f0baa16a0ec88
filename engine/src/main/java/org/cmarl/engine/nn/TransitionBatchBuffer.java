package org.cmarl.engine.nn;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.cmarl.engine.memory.NativeBlock;
import org.cmarl.engine.observation.FrameType;
import org.cmarl.engine.observation.ObservationGeometry;

/**
 * A mini-batch of transitions as the learner reads it: for every sampled transition and agent, ONE window of 5
 * consecutive uint8 frames {@code t-3 .. t+1} of the same episode. The state is frames 0..3 of the window and the
 * next state frames 1..4: two overlapping strided views of the same bytes (no copy), since a state and its next state
 * share 3 frames. The replay sampler writes 5/8 of the bytes two separate {@code (batch, agents, 4, 45^3)} buffers
 * would need, and extracts each shared frame once.
 *
 * <pre>
 * layout (C order, z fastest), uint8:
 *
 *   [batch 0 .. capacityBatch-1][agent 0 .. agents-1][window frame 0..4][x 0..44][y 0..44][z 0..44]
 *
 *   frameOffsetBytes(b, a, f) = ((b * agents + a) * 5 + f) * 45^3
 *   state      (b, a) = window frames 0..3 (frame 0 the oldest)
 *   next state (b, a) = window frames 1..4
 * </pre>
 *
 * Values are the replay memory's truncated intensities 0..255 (SPEC.md section 1; the network divides by 255).
 * Frames before an episode's start are zeros, as in a state (SPEC.md section 5).
 *
 * <p>On CUDA ({@link #allocate(int, int, Device)}) the block is page-locked host memory allocated by libtorch and
 * owned through {@link NativeBlock#ofForeign}, as in {@link ObservationBuffer}: the learner copies the
 * {@link #windowTensor contiguous windows} to the device once per update (a non-blocking DMA transfer) and takes the
 * two views there. The sampler may rewrite the block only after that update's loss was read (the trainer
 * alternates two buffers, see {@code train.ReplayBatchPrefetcher}).
 *
 * <p>One owner: {@link #close()} frees the tensor view, then the native block (idempotent); using the buffer after
 * close throws {@link IllegalStateException}.
 */
public final class TransitionBatchBuffer implements AutoCloseable {
    /** Frames of one window: the 4 of the state and the newest of the next state. */
    public static final int WINDOW_FRAMES = ObservationGeometry.FRAMES + 1;
    /** Bytes of one uint8 45^3 frame. */
    public static final long FRAME_BYTES = ObservationGeometry.frameBytes(FrameType.UINT8);

    private final int capacityBatch;
    private final int agents;
    private final NativeBlock block;
    /** {@code (capacityBatch, agents, 5, 45, 45, 45)} uint8 over {@link #block}, not owning it: closed first. */
    private final Tensor view;
    private boolean closed;

    private TransitionBatchBuffer(int capacityBatch, int agents, Device device) {
        Torch.ensureLoaded();
        this.capacityBatch = capacityBatch;
        this.agents = agents;
        long bytes = (long) capacityBatch * agents * WINDOW_FRAMES * FRAME_BYTES;
        if (bytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("transition batch of " + capacityBatch + " x " + agents
                    + " agents needs " + bytes + " bytes, at most " + Integer.MAX_VALUE + " supported");
        }
        long[] shape = {capacityBatch, agents, WINDOW_FRAMES, ObservationGeometry.ROI_VOXELS,
            ObservationGeometry.ROI_VOXELS, ObservationGeometry.ROI_VOXELS};
        // on CUDA page-locked: the host -> device copies of the forward passes are DMA transfers
        this.block = HostTensorBlock.allocate(shape, torch.ScalarType.Byte, bytes, device);
        this.view = HostTensorBlock.view(block, shape, torch.ScalarType.Byte);
    }

    /** A buffer for networks on the CPU. */
    public static TransitionBatchBuffer allocate(int capacityBatch, int agents) {
        return allocate(capacityBatch, agents, Device.CPU);
    }

    /**
     * @param capacityBatch most transitions per update (the mini-batch size)
     * @param agents        agents per transition
     * @param device        the networks' device: on CUDA the block is page-locked (pinned) host memory
     */
    public static TransitionBatchBuffer allocate(int capacityBatch, int agents, Device device) {
        if (capacityBatch < 1 || agents < 1) {
            throw new IllegalArgumentException("capacityBatch=" + capacityBatch + ", agents=" + agents
                    + ", both required >= 1");
        }
        return new TransitionBatchBuffer(capacityBatch, agents, device == null ? Device.CPU : device);
    }

    public int capacityBatch() { return capacityBatch; }
    public int agents() { return agents; }

    /** Bytes of the whole block: {@code capacityBatch * agents * 5 * 45^3}. */
    public long capacityBytes() { return (long) capacityBatch * agents * WINDOW_FRAMES * FRAME_BYTES; }

    /** Byte offset of window frame {@code frame} (0..4) of agent {@code agent} in transition {@code batch}. */
    public long frameOffsetBytes(int batch, int agent, int frame) {
        return (((long) batch * agents + agent) * WINDOW_FRAMES + frame) * FRAME_BYTES;
    }

    /** First byte of the block. */
    public long address() {
        checkOpen();
        return block.address();
    }

    /** The native memory under the tensor view. Still owned by this buffer: do not close it. */
    public NativeBlock block() {
        checkOpen();
        return block;
    }

    /** States {@code (batch, agents, 4, 45, 45, 45)}: window frames 0..3, a strided view, in the caller's scope. */
    Tensor stateTensor(int batch) {
        return windows(batch).narrow(2, 0, ObservationGeometry.FRAMES);
    }

    /** Next states {@code (batch, agents, 4, 45, 45, 45)}: window frames 1..4, a strided view, caller's scope. */
    Tensor nextStateTensor(int batch) {
        return windows(batch).narrow(2, 1, ObservationGeometry.FRAMES);
    }

    /**
     * The first {@code batch} windows {@code (batch, agents, 5, 45, 45, 45)}: a contiguous view of the block (what
     * the learner uploads to a GPU in one copy), in the caller's scope.
     */
    Tensor windowTensor(int batch) {
        return windows(batch);
    }

    private Tensor windows(int batch) {
        checkOpen();
        if (batch < 1 || batch > capacityBatch) {
            throw new IllegalArgumentException("batch=" + batch + ", capacity " + capacityBatch);
        }
        return view.narrow(0, 0, batch);
    }

    public boolean isClosed() { return closed; }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("transition batch buffer (" + capacityBatch + " x " + agents
                    + " agents) is closed");
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
