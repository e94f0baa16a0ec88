package org.cmarl.engine.env;

import java.nio.ByteOrder;

import org.agrona.UnsafeApi;
import org.cmarl.engine.observation.FrameType;
import org.cmarl.engine.observation.ObservationGeometry;
import org.cmarl.engine.volume.Volume;

/**
 * Copies one 45 x 45 x 45 ROI straight from a {@link Volume}'s off-heap plane into native memory, no Java array
 * and no intermediate copy (SPEC.md section 3, "ROI").
 *
 * <h2>Destination layout</h2>
 * One frame, C order {@code [x][y][z]}, {@code 45^3} elements of {@link FrameType#bytes()} bytes:
 * <pre>
 *   offset(cx, cy, cz) = ((cx * 45 + cy) * 45 + cz) * elementBytes
 * </pre>
 * The volume's layout has z fastest too, so a screen row (fixed cx, cy) is one run of the volume's z axis:
 * contiguous at scale 1 (a whole row, unclamped along z: fixed-count 8-byte moves, {@link #writePlaneRows}), every
 * {@code scale}-th voxel at scales 2 and 3 (a gather loop; uint8 at scale 2: 8 samples from two 8-byte loads; the
 * default path reads those scales from a {@link DecimatedPlane}, where their rows are contiguous too).
 * Cells outside the window's filled range are written as 0 (a slot is reused, so it is never assumed clean).
 */
public final class RoiExtractor {
    private static final int N = ObservationGeometry.ROI_VOXELS;
    /**
     * Partial row runs (a window clamped along z) this long or longer go through {@code Unsafe.copyMemory}, shorter
     * ones through a loop of 8-byte loads and stores: the per-call overhead of copyMemory is comparable to copying a
     * 45-byte row. Whole rows take neither: fixed-count moves that C2 unrolls, measured faster than both for uint8
     * and float32 ({@link #copyWholeByteRows}, {@link #copyWholeFloatRows}).
     */
    static final int COPY_MEMORY_MIN_BYTES = 128;

    static {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            // the gather loops pack samples into 8-byte stores assuming the low address is the low half
            throw new ExceptionInInitializerError("RoiExtractor needs a little-endian platform, this one is "
                    + ByteOrder.nativeOrder());
        }
    }

    private RoiExtractor() {
    }

    /**
     * Writes the ROI described by {@code window} (already {@link RoiWindow#set set} for this volume) to
     * {@code dstAddress}, exactly {@link ObservationGeometry#frameBytes(FrameType)} bytes.
     */
    public static void extract(Volume volume, RoiWindow window, FrameType type, long dstAddress) {
        copyFromVolume(volume, window, type, 0, N, 0, N, dstAddress);
    }

    /** {@link #copyRows} of the rows {@code [x0, x1) x [y0, y1)} read from the volume's plane of {@code type}. */
    private static void copyFromVolume(Volume volume, RoiWindow window, FrameType type, int x0, int x1, int y0,
                                       int y1, long dstAddress) {
        final long src = type == FrameType.FLOAT32 ? volume.floatAddress() : volume.byteAddress();
        final long srcEnd = src + ((long) volume.voxelCount() << (type == FrameType.FLOAT32 ? 2 : 0));
        copyRows(window, window.lo(0), window.lo(1), window.lo(2), volume.ny(), volume.nz(), window.scale(), src,
                srcEnd, type, x0, x1, y0, y1, dstAddress);
    }

    /**
     * Writes the ROI of {@code window} to {@code dstAddress} like {@link #extract}, reusing the frame of the same
     * agent one step earlier ({@code previous}, written at {@code previousAddress}) when that is exact, and returns
     * whether it did; when it returns false nothing was written and the caller extracts in full.
     *
     * <p>Exact cases (a window is computed per axis from that axis's location alone, {@link RoiWindow}): the same
     * scale and no axis changed (a refused move, a frozen agent): the frame is copied whole; the same scale and only
     * axis x or y changed, unclamped in both windows, by {@code k} whole cells ({@code |k| < 45}): cell {@code c}
     * of the new frame is cell {@code c + k} of the previous one, which in the C-order frame is ONE contiguous copy
     * at an offset of {@code k} planes or rows, then only the {@code |k|} new planes or rows are sampled from the
     * volume. The previous frame was written one step ago and is still in cache, so this runs near copy speed
     * instead of 2,025 row extractions from the volume. A move along z is not reused (its new cells are one element
     * of every row: 2,025 small writes, measured slower than extracting), nor a half-cell move (scale 2), a clamped
     * moving axis, a scale change or a jump along several axes.
     */
    public static boolean extractAfter(Volume volume, RoiWindow window, RoiWindow previous, FrameType type,
                                       long dstAddress, long previousAddress) {
        final int s = window.scale();
        if (previous.scale() != s) {
            return false;
        }
        int moved = -1;
        int changed = 0;
        for (int axis = 0; axis < 3; axis++) {
            if (window.lo(axis) != previous.lo(axis) || window.firstCell(axis) != previous.firstCell(axis)
                    || window.endCell(axis) != previous.endCell(axis)) {
                moved = axis;
                changed++;
            }
        }
        final int shift = type == FrameType.FLOAT32 ? 2 : 0;
        final long frameBytes = (long) ObservationGeometry.FRAME_VOXELS << shift;
        if (changed == 0) {
            UnsafeApi.copyMemory(previousAddress, dstAddress, frameBytes);
            return true;
        }
        if (changed != 1 || moved == 2 || !unclamped(window, moved) || !unclamped(previous, moved)) {
            return false;
        }
        final int shiftVoxels = window.lo(moved) - previous.lo(moved);
        final int k = shiftVoxels / s;
        if (k * s != shiftVoxels || Math.abs(k) >= N) {
            return false;
        }
        final long strideBytes = (moved == 0 ? (long) N * N : N) << shift;
        final long offset = k * strideBytes;
        // for y, the bytes that land in the |k| new rows of each plane come from the neighbouring plane and are
        // overwritten by copyFromVolume below
        if (k >= 0) {
            UnsafeApi.copyMemory(previousAddress + offset, dstAddress, frameBytes - offset);
        } else {
            UnsafeApi.copyMemory(previousAddress, dstAddress - offset, frameBytes + offset);
        }
        final int from = k >= 0 ? N - k : 0;
        final int to = k >= 0 ? N : -k;
        copyFromVolume(volume, window, type, moved == 0 ? from : 0, moved == 0 ? to : N, moved == 1 ? from : 0,
                moved == 1 ? to : N, dstAddress);
        return true;
    }

    /** Every cell {@code c} of {@code axis} samples voxel {@code lo + c * scale}: no zero cells, no phase shift. */
    private static boolean unclamped(RoiWindow w, int axis) {
        return w.firstCell(axis) == 0 && w.endCell(axis) == N;
    }

    /**
     * Writes the rows {@code [x0, x1) x [y0, y1)} (all 45 z cells) of {@code window}'s frame, the one copy loop of
     * the direct path (the whole frame), the reused-frame path (the new planes or rows) and {@link DecimatedPlane}
     * (the whole frame from a phase block, stride 1): the source is a C-order block of {@code (?, ny, nz)} elements
     * at {@code srcBase}, readable up to {@code srcEnd} (exclusive); screen cell {@code firstCell + k} on an axis
     * reads source index {@code start + k * stride} on that axis, and cells outside {@code [firstCell, endCell)} are
     * 0.
     */
    static void copyRows(RoiWindow window, int startX, int startY, int startZ, int ny, int nz, int stride,
                         long srcBase, long srcEnd, FrameType type, int x0, int x1, int y0, int y1,
                         long dstAddress) {
        final int shift = type == FrameType.FLOAT32 ? 2 : 0;
        final int s = stride;
        final int fx = window.firstCell(0);
        final int ex = window.endCell(0);
        final int fy = window.firstCell(1);
        final int ey = window.endCell(1);
        final int fz = window.firstCell(2);
        final int ez = window.endCell(2);
        final int samplesZ = ez - fz;
        final long rowBytes = (long) N << shift;
        final long planeBytes = rowBytes * N;
        final long headBytes = (long) fz << shift;
        final long tailBytes = (long) (N - ez) << shift;
        final long srcStepY = ((long) s * nz) << shift;
        for (int cx = x0; cx < x1; cx++) {
            final long dstPlane = dstAddress + cx * planeBytes;
            if (cx < fx || cx >= ex) {
                zeroRun(dstPlane + y0 * rowBytes, (y1 - y0) * rowBytes);
                continue;
            }
            final long sx = startX + (long) (cx - fx) * s;
            final long srcPlane = srcBase + (((sx * ny + startY) * nz + startZ) << shift);
            writePlaneRows(srcPlane, srcStepY, srcEnd, y0, y1, fy, ey, headBytes, samplesZ, tailBytes, s, shift,
                    dstPlane);
        }
    }

    /**
     * Rows {@code [y0, y1)} of one frame plane at {@code dstPlane}: row {@code cy} inside {@code [fy, ey)} is
     * sampled ({@link #writeRow}) from the source row at {@code srcPlane + (cy - fy) * srcRowStrideBytes}, the
     * others are 0.
     */
    static void writePlaneRows(long srcPlane, long srcRowStrideBytes, long srcEnd, int y0, int y1, int fy, int ey,
                               long headBytes, int samples, long tailBytes, int stride, int shift, long dstPlane) {
        final long rowBytes = (long) N << shift;
        final int first = Math.max(y0, fy);
        final int end = Math.min(y1, ey);
        if (first >= end) {
            zeroRun(dstPlane + y0 * rowBytes, (y1 - y0) * rowBytes);
            return;
        }
        if (first > y0) {
            zeroRun(dstPlane + y0 * rowBytes, (first - y0) * rowBytes);
        }
        if (end < y1) {
            zeroRun(dstPlane + end * rowBytes, (y1 - end) * rowBytes);
        }
        long srcRow = srcPlane + (first - fy) * srcRowStrideBytes;
        long dstRow = dstPlane + first * rowBytes;
        if (stride == 1 && samples == N) {
            // unclamped along z at scale 1 or from a decimated plane: whole contiguous rows
            if (shift == 0) {
                copyWholeByteRows(srcRow, srcRowStrideBytes, end - first, dstRow);
            } else {
                copyWholeFloatRows(srcRow, srcRowStrideBytes, end - first, dstRow);
            }
            return;
        }
        for (int cy = first; cy < end; cy++, srcRow += srcRowStrideBytes, dstRow += rowBytes) {
            writeRow(srcRow, srcEnd, dstRow, headBytes, samples, tailBytes, stride, shift);
        }
    }

    /**
     * One screen row: {@code headBytes} of zeros (clamped cells before the image), {@code samples} elements read
     * every {@code stride} elements from {@code srcRow}, {@code tailBytes} of zeros. Shared by the direct path, the
     * reused-frame path and {@link DecimatedPlane} (stride 1).
     */
    static void writeRow(long srcRow, long srcEnd, long dstRow, long headBytes, int samples, long tailBytes,
                         int stride, int shift) {
        if (headBytes > 0) {
            zeroRun(dstRow, headBytes);
        }
        final long dstRun = dstRow + headBytes;
        final long runBytes = (long) samples << shift;
        if (stride == 1) {
            copyRow(srcRow, dstRun, runBytes);
        } else {
            gather(srcRow, srcEnd, dstRun, samples, stride, shift);
        }
        if (tailBytes > 0) {
            zeroRun(dstRun + runBytes, tailBytes);
        }
    }

    /**
     * Writes {@code count} elements ({@code 1 << shift} bytes each) read every {@code stride} elements from
     * {@code src} to the contiguous run at {@code dst}; {@code srcEnd} is the end of the readable source block.
     */
    static void gather(long src, long srcEnd, long dst, int count, int stride, int shift) {
        if (shift == 2) {
            gatherFloats(src, dst, count, stride);
        } else if (stride == 2 && count >= 8 && src + 2L * count <= srcEnd) {
            gatherBytesStride2(src, dst, count);
        } else {
            // stride 3 (measured: 3 wide loads and 8 mask-and-shifts per octet are no faster than 8 byte loads),
            // rows too short for an octet, and the block's very last row, where the wide loads would read past it
            gatherBytesScalar(src, dst, count, stride);
        }
    }

    /**
     * {@code rows} whole 45-byte uint8 rows, read {@code srcRowStrideBytes} apart from {@code src}, written back to
     * back from {@code dst}: per row six 8-byte moves, the last overlapping the fifth, loads before stores.
     * Straight-line code: a row is too short for a loop or a {@code copyMemory} call to pay off. Stores are the
     * bound: Java 17 has no wider scalar move, and the incubating Vector API on direct buffers is not intrinsified
     * (measured 15x slower). Aligning the stores to 8 bytes by assembling the word that straddles two rows was
     * measured slower too (the bookkeeping costs more than the split stores it saves); {@code benchmarks/README.md}.
     */
    static void copyWholeByteRows(long src, long srcRowStrideBytes, int rows, long dst) {
        long s = src;
        long d = dst;
        for (int y = 0; y < rows; y++, s += srcRowStrideBytes, d += N) {
            final long a0 = UnsafeApi.getLong(s);
            final long a1 = UnsafeApi.getLong(s + 8);
            final long a2 = UnsafeApi.getLong(s + 16);
            final long a3 = UnsafeApi.getLong(s + 24);
            final long a4 = UnsafeApi.getLong(s + 32);
            final long a5 = UnsafeApi.getLong(s + 37);
            UnsafeApi.putLong(d, a0);
            UnsafeApi.putLong(d + 8, a1);
            UnsafeApi.putLong(d + 16, a2);
            UnsafeApi.putLong(d + 24, a3);
            UnsafeApi.putLong(d + 32, a4);
            UnsafeApi.putLong(d + 37, a5);
        }
    }

    /**
     * {@code rows} whole 180-byte float32 rows, read {@code srcRowStrideBytes} apart from {@code src}, written back to
     * back from {@code dst}: per row 22 8-byte moves and one overlapping the last. Measured 25% faster per frame than
     * one {@code copyMemory} per row, but only with the row loop and the move loop in one method: the same moves as
     * a per-row call (not inlined, or written out straight) ran 1.5x slower (26 Nov 2026, {@code benchmarks/README.md}).
     */
    static void copyWholeFloatRows(long src, long srcRowStrideBytes, int rows, long dst) {
        long s = src;
        long d = dst;
        for (int y = 0; y < rows; y++, s += srcRowStrideBytes, d += 4 * N) {
            for (int k = 0; k < 176; k += 8) {
                UnsafeApi.putLong(d + k, UnsafeApi.getLong(s + k));
            }
            UnsafeApi.putLong(d + 172, UnsafeApi.getLong(s + 172));
        }
    }

    /** Copies one contiguous row run: see {@link #COPY_MEMORY_MIN_BYTES}. */
    static void copyRow(long src, long dst, long bytes) {
        if (bytes < COPY_MEMORY_MIN_BYTES) {
            copyRun(src, dst, bytes);
        } else {
            UnsafeApi.copyMemory(src, dst, bytes);
        }
    }

    /**
     * Copies a short run (a uint8 row, at most 45 bytes) with 8-byte loads and stores, the last 8 bytes as one
     * overlapping store: the per-call overhead of {@code Unsafe.copyMemory} is comparable to copying 45 bytes, and a
     * frame has 2,025 rows (see {@link #COPY_MEMORY_MIN_BYTES}).
     */
    static void copyRun(long src, long dst, long bytes) {
        // int counters: C2 (JDK 17) unrolls counted int loops only
        final int n = (int) bytes;
        if (n >= 8) {
            final int last = n - 8;
            for (int k = 0; k < last; k += 8) {
                UnsafeApi.putLong(dst + k, UnsafeApi.getLong(src + k));
            }
            UnsafeApi.putLong(dst + last, UnsafeApi.getLong(src + last));
        } else {
            for (int k = 0; k < n; k++) {
                UnsafeApi.putByte(dst + k, UnsafeApi.getByte(src + k));
            }
        }
    }

    /** Zeroes the clamped head or tail of a row: 8-byte stores when short, else one setMemory (see copyRun). */
    static void zeroRun(long dst, long bytes) {
        final int n = (int) bytes;
        if (n >= COPY_MEMORY_MIN_BYTES) {
            UnsafeApi.setMemory(dst, bytes, (byte) 0);
        } else if (n >= 8) {
            final int last = n - 8;
            for (int k = 0; k < last; k += 8) {
                UnsafeApi.putLong(dst + k, 0L);
            }
            UnsafeApi.putLong(dst + last, 0L);
        } else {
            for (int k = 0; k < n; k++) {
                UnsafeApi.putByte(dst + k, (byte) 0);
            }
        }
    }

    /**
     * Every {@code stride}-th float of a row. Two samples are packed into one 8-byte store: the scalar loop is bound
     * by one store per cycle, loads run two per cycle. Little-endian packing: the sample at the lower address goes in
     * the low half (checked in the static initialiser).
     */
    static void gatherFloats(long src, long dst, int count, int stride) {
        final long strideBytes = (long) stride << 2;
        final int pairs = count >> 1;
        long s = src;
        long d = dst;
        for (int k = 0; k < pairs; k++) {
            final long lo = UnsafeApi.getInt(s) & 0xFFFF_FFFFL;
            final long hi = UnsafeApi.getInt(s + strideBytes);
            UnsafeApi.putLong(d, lo | (hi << 32));
            s += strideBytes << 1;
            d += 8;
        }
        if ((count & 1) != 0) {
            UnsafeApi.putInt(d, UnsafeApi.getInt(s));
        }
    }

    /**
     * Every 2nd byte of a row, 8 samples from two 8-byte loads (bytes 0, 2, 4, 6 of each) packed by mask-and-shift
     * into one 8-byte store; a count that is not a multiple of 8 ends with one overlapping octet. Reads the
     * {@code 2 * count} bytes from {@code src}: one byte past the last sample (the caller checks the block has it).
     */
    static void gatherBytesStride2(long src, long dst, int count) {
        int k = 0;
        for (; k + 8 <= count; k += 8) {
            UnsafeApi.putLong(dst + k, pack2(UnsafeApi.getLong(src + 2L * k), UnsafeApi.getLong(src + 2L * k + 8)));
        }
        if (k < count) {
            k = count - 8;
            UnsafeApi.putLong(dst + k, pack2(UnsafeApi.getLong(src + 2L * k), UnsafeApi.getLong(src + 2L * k + 8)));
        }
    }

    /** Bytes 0, 2, 4, 6 of {@code a} then of {@code b}, little-endian, as one long. */
    private static long pack2(long a, long b) {
        return compressEven(a) | (compressEven(b) << 32);
    }

    /** Bytes 0, 2, 4, 6 of {@code v} as the low 4 bytes. */
    private static long compressEven(long v) {
        long x = v & 0x00FF_00FF_00FF_00FFL;
        x = (x | (x >>> 8)) & 0x0000_FFFF_0000_FFFFL;
        return (x | (x >>> 16)) & 0x0000_0000_FFFF_FFFFL;
    }

    /**
     * Every {@code stride}-th byte, one load per sample, eight samples packed into one 8-byte store: the path for
     * short rows and for the volume's last row, where the wide loads of the stride-2/3 gathers would read past the
     * block.
     */
    static void gatherBytesScalar(long src, long dst, int count, int stride) {
        final int octets = count >> 3;
        long s = src;
        long d = dst;
        for (int k = 0; k < octets; k++) {
            long packed = 0;
            for (int b = 0; b < 8; b++) {
                packed |= (UnsafeApi.getByte(s + (long) b * stride) & 0xFFL) << (b << 3);
            }
            UnsafeApi.putLong(d, packed);
            s += (long) stride << 3;
            d += 8;
        }
        for (int k = octets << 3; k < count; k++) {
            UnsafeApi.putByte(d, UnsafeApi.getByte(s));
            s += stride;
            d++;
        }
    }
}
