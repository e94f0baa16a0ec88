package org.cmarl.engine.io;

import java.util.Arrays;
import java.util.Objects;

/**
 * A tensor as stored in a checkpoint, in plain Java: element type, shape, and its values as contiguous
 * row-major little-endian bytes (strides and storage offsets already resolved). This is the exchange type
 * between the checkpoint files ({@code io}) and the networks ({@code nn}); it never touches libtorch.
 *
 * @param dtype element type
 * @param shape sizes per dimension (empty for a scalar)
 * @param data  {@code numel * dtype.bytes()} bytes, little endian, row-major
 */
public record TensorData(DType dtype, long[] shape, byte[] data) {
    public TensorData {
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(shape, "shape");
        Objects.requireNonNull(data, "data");
        shape = shape.clone();
        long n = numel(shape);
        if (n * dtype.bytes() != data.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " of " + dtype.displayName()
                    + " needs " + n * dtype.bytes() + " bytes, got " + data.length);
        }
    }

    public static long numel(long[] shape) {
        long n = 1;
        for (long s : shape) {
            if (s < 0) {
                throw new IllegalArgumentException("negative size in shape " + Arrays.toString(shape));
            }
            n = Math.multiplyExact(n, s);
        }
        return n;
    }

    public long numel() { return numel(shape); }

    @Override
    public long[] shape() { return shape.clone(); }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorData t && t.dtype == dtype && Arrays.equals(t.shape, shape)
                && Arrays.equals(t.data, data);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * dtype.hashCode() + Arrays.hashCode(shape)) + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "TensorData[" + dtype.displayName() + " " + Arrays.toString(shape) + "]";
    }
}
