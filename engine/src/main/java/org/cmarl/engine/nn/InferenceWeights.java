package org.cmarl.engine.nn;

import java.util.Arrays;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * The trunk's weights as oneDNN wants them for inference (channels-last, in the inference precision), copied once
 * and reused by every {@link QNetwork#forward} until a parameter changes: the version counters of the parameters at
 * copy time tell when the copy is stale ({@link #isCurrent}). Owned by one network, freed by {@link #close()}.
 */
final class InferenceWeights implements AutoCloseable {
    final Tensor[] convW = new Tensor[LayerShapes.CONV_LAYERS];
    final Tensor[] convB = new Tensor[LayerShapes.CONV_LAYERS];
    final Tensor[] convPrelu = new Tensor[LayerShapes.CONV_LAYERS];
    /**
     * Per layer: the PReLU slope is positive, so PReLU is increasing and commutes with the max-pool that follows it
     * ({@code max(f(a), f(b)) = f(max(a, b))} exactly, for an increasing {@code f}): the forward pools first and
     * applies PReLU to an 8x smaller tensor. A slope of 0 or below keeps the published order.
     */
    final boolean[] poolBeforePrelu = new boolean[LayerShapes.CONV_LAYERS];
    /** Precision of the copies; on CUDA bf16 runs under autocast from float32 copies. */
    final torch.ScalarType dtype;
    private final long[] versions;

    private InferenceWeights(long[] versions, torch.ScalarType dtype) {
        this.versions = versions;
        this.dtype = dtype;
    }

    /**
     * Copies of the trunk parameters in {@code dtype}, conv weights channels-last.
     *
     * @param versions the parameters' version counters now, for {@link #isCurrent}
     */
    static InferenceWeights copyOf(Tensor[] convW, Tensor[] convB, Tensor[] convPrelu, long[] versions,
                                   torch.ScalarType dtype) {
        InferenceWeights w = new InferenceWeights(versions, dtype);
        // Built outside InferenceMode: these copies outlive the call, and must not be inference tensors.
        try (PointerScope scope = new PointerScope(); NoGradGuard noGrad = new NoGradGuard()) {
            for (int l = 0; l < LayerShapes.CONV_LAYERS; l++) {
                w.convW[l] = Torch.keep(scope,
                        convW[l].detach().to(dtype).contiguous(torch.MemoryFormat.ChannelsLast3d));
                w.convB[l] = Torch.keep(scope, convB[l].detach().to(dtype));
                w.convPrelu[l] = Torch.keep(scope, convPrelu[l].detach().to(dtype));
                // One host read per layer and weight version (a device sync on CUDA, once, not per forward).
                w.poolBeforePrelu[l] = convPrelu[l].detach().item().toFloat() > 0;
            }
        }
        return w;
    }

    /** True when the parameters' version counters are still those the copies were made at. */
    boolean isCurrent(long[] parameterVersions) {
        return Arrays.equals(versions, parameterVersions);
    }

    @Override
    public void close() {
        for (Tensor[] ts : new Tensor[][] {convW, convB, convPrelu}) {
            for (Tensor t : ts) {
                if (t != null) {
                    t.close();
                }
            }
        }
    }
}
