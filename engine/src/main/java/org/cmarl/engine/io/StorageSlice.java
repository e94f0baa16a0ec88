package org.cmarl.engine.io;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * A typed PyTorch storage located in the checkpoint's bytes: {@code numel} elements of {@code dtype}, little endian,
 * starting at {@code byteOffset} of the file. Tensors are strided views into it; {@link #view} copies one out as a
 * contiguous row-major {@link TensorData}.
 *
 * @param key        storage key (zip entry name under {@code data/}, or legacy storage key)
 * @param dtype      element type
 * @param byteOffset first byte of element 0 in {@code file}
 * @param numel      number of elements
 */
record StorageSlice(String key, DType dtype, long byteOffset, long numel) {

    /**
     * An expanded view (a zero stride) may be larger than its storage; this caps what such a view may allocate, so
     * that a corrupt size cannot ask for gigabytes. 64 MiB is ~8 times the largest published model.
     */
    static final long MAX_EXPANDED_VIEW_BYTES = 64L << 20;
    /** Largest Java byte array we create. */
    static final long MAX_ARRAY_BYTES = Integer.MAX_VALUE - 16;

    /**
     * What all the tensors of one file may allocate together: the file's own size (each storage copied out once)
     * plus {@link #MAX_EXPANDED_VIEW_BYTES} for views that overlap or expand (shared storages, zero strides). Many
     * views of one storage each pass the per-view checks; this total stops them before they exhaust the heap.
     */
    static final class Budget {
        private final long limitBytes;
        private long leftBytes;

        Budget(long fileBytes) {
            this.limitBytes = fileBytes + MAX_EXPANDED_VIEW_BYTES;
            this.leftBytes = limitBytes;
        }

        void charge(Path file, long bytes, String what) throws CheckpointException {
            if (bytes > leftBytes) {
                throw new CheckpointException(file, what + " would bring the tensors of this file to more than "
                        + limitBytes + " bytes (the file's size plus " + (MAX_EXPANDED_VIEW_BYTES >> 20)
                        + " MiB for shared or expanded views)");
            }
            leftBytes -= bytes;
        }
    }

    /**
     * Contiguous copy of the view {@code (storageOffset, size, stride)}, validated against this storage before
     * anything is allocated.
     */
    TensorData view(Path file, byte[] fileBytes, long storageOffset, long[] size, long[] stride, Budget budget)
            throws CheckpointException {
        long count = 1;
        long lastIndex = storageOffset;
        try {
            if (storageOffset < 0) {
                throw new CheckpointException(file, describe(storageOffset, size, stride) + ": negative storage offset");
            }
            for (int d = 0; d < size.length; d++) {
                if (size[d] < 0 || stride[d] < 0) {
                    throw new CheckpointException(file, describe(storageOffset, size, stride)
                            + ": negative size or stride");
                }
                count = Math.multiplyExact(count, size[d]);
                if (size[d] > 0) {
                    lastIndex = Math.addExact(lastIndex, Math.multiplyExact(size[d] - 1, stride[d]));
                }
            }
        } catch (ArithmeticException overflow) {
            throw new CheckpointException(file, describe(storageOffset, size, stride) + ": sizes overflow 64 bits");
        }
        if (count > 0 && lastIndex >= numel) {
            throw new CheckpointException(file, describe(storageOffset, size, stride) + ": reaches element "
                    + lastIndex + ", out of the storage range");
        }
        int elementBytes = dtype.bytes();
        if (count > MAX_ARRAY_BYTES / elementBytes
                || (count > numel && count * elementBytes > MAX_EXPANDED_VIEW_BYTES)) {
            throw new CheckpointException(file, describe(storageOffset, size, stride) + ": " + count
                    + " elements is too large to load");
        }
        budget.charge(file, count * elementBytes, describe(storageOffset, size, stride));
        byte[] out = new byte[(int) (count * elementBytes)];
        if (count == 0) {
            return new TensorData(dtype, size, out);
        }
        long base = byteOffset + storageOffset * elementBytes;
        if (isContiguous(size, stride)) {
            System.arraycopy(fileBytes, (int) base, out, 0, out.length);
            return new TensorData(dtype, size, out);
        }
        // General strided gather: odometer over the multi-index, row-major (last dimension fastest).
        int dims = size.length;
        long[] index = new long[dims];
        long srcElement = 0;
        for (int dst = 0; dst < out.length; dst += elementBytes) {
            System.arraycopy(fileBytes, (int) (base + srcElement * elementBytes), out, dst, elementBytes);
            for (int d = dims - 1; d >= 0; d--) {
                index[d]++;
                srcElement += stride[d];
                if (index[d] < size[d]) {
                    break;
                }
                srcElement -= index[d] * stride[d];
                index[d] = 0;
            }
        }
        return new TensorData(dtype, size, out);
    }

    private String describe(long storageOffset, long[] size, long[] stride) {
        return "tensor of size " + Arrays.toString(size) + ", stride " + Arrays.toString(stride) + ", offset "
                + storageOffset + " on storage " + key + " (" + numel + " " + dtype.displayName() + ")";
    }

    /** Row-major contiguous: each stride is the product of the later sizes (dimensions of size 1 do not matter). */
    static boolean isContiguous(long[] size, long[] stride) {
        long expected = 1;
        for (int d = size.length - 1; d >= 0; d--) {
            if (size[d] != 1 && stride[d] != expected) {
                return false;
            }
            expected *= size[d];
        }
        return true;
    }
}
