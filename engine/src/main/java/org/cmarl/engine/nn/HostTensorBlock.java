package org.cmarl.engine.nn;

import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.BoolOptional;
import org.bytedeco.pytorch.MemoryFormatOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.cmarl.engine.memory.NativeBlock;

/**
 * The host memory that the environment or the replay sampler writes and a network reads without a copy
 * ({@link ObservationBuffer}, {@link TransitionBatchBuffer}): a 64-byte aligned block, and a tensor view over it.
 */
final class HostTensorBlock {
    /** Alignment of the block: a cache line and the widest SIMD load libtorch's kernels use. */
    static final int ALIGNMENT_BYTES = 64;

    private HostTensorBlock() {
    }

    /**
     * {@code bytes} of host memory for a tensor of {@code shape}: on CUDA page-locked memory from libtorch, owned
     * through the block (its release closes the tensor), so the one host -> device copy per forward pass is a DMA
     * transfer straight from what was written; otherwise plain aligned native memory.
     */
    static NativeBlock allocate(long[] shape, torch.ScalarType type, long bytes, Device device) {
        if (device != Device.CUDA) {
            return NativeBlock.allocate(bytes, ALIGNMENT_BYTES);
        }
        try (PointerScope scope = new PointerScope()) {
            TensorOptions pinned = new TensorOptions(type).pinned_memory(new BoolOptional(true));
            Tensor host = Torch.keep(scope, torch.empty(shape, pinned, new MemoryFormatOptional()));
            return NativeBlock.ofForeign(host.data_ptr().address(), bytes, ALIGNMENT_BYTES, host::close);
        }
    }

    /**
     * A tensor of {@code shape} over the block's bytes, not owning them ({@code from_blob} without a deleter): the
     * caller closes it before the block.
     */
    static Tensor view(NativeBlock block, long[] shape, torch.ScalarType type) {
        final long blockAddress = block.address();
        try (PointerScope scope = new PointerScope()) {
            Pointer data = new Pointer() {
                {
                    // Not owning: no deallocator, the block frees the bytes.
                    this.address = blockAddress;
                }
            };
            return Torch.keep(scope, torch.from_blob(data, shape, new TensorOptions(type)));
        }
    }
}
