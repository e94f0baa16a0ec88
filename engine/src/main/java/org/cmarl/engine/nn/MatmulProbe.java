package org.cmarl.engine.nn;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * A large float32 matrix product on libtorch's CPU BLAS: the machine's attainable GFLOP/s, measured next to the
 * networks so that their figures can be read as a fraction of it. Owns its two operands.
 */
public final class MatmulProbe implements AutoCloseable {
    private final int n;
    private final Tensor a;
    private final Tensor b;
    private boolean closed;

    public MatmulProbe(int n) {
        Torch.ensureLoaded();
        if (n < 1) {
            throw new IllegalArgumentException("n=" + n + ", required >= 1");
        }
        this.n = n;
        try (PointerScope scope = new PointerScope()) {
            a = Torch.keep(scope, torch.randn(n, n));
            b = Torch.keep(scope, torch.randn(n, n));
        }
    }

    /** FLOPs of one product: 2 n^3. */
    public long flop() { return 2L * n * n * n; }

    /** One {@code n x n} by {@code n x n} product; returns one element so the work cannot be skipped. */
    public float run() {
        if (closed) {
            throw new IllegalStateException("matmul probe is closed");
        }
        try (PointerScope scope = new PointerScope()) {
            return torch.mm(a, b).get(0).get(0).item_float();
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        a.close();
        b.close();
    }
}
