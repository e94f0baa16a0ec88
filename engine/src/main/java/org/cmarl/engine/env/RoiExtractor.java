package org.cmarl.engine.env;

import org.agrona.UnsafeApi;
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
 * contiguous at scale 1 (one {@code copyMemory}), every {@code scale}-th voxel at scales 2 and 3 (a gather loop).
 * Cells outside the window's filled range are written as 0 (a slot is reused, so it is never assumed clean).
 */
public final class RoiExtractor {
    /** Elements in one frame. */
    public static final int FRAME_VOXELS = RoiWindow.SIZE * RoiWindow.SIZE * RoiWindow.SIZE;

    private static final int N = RoiWindow.SIZE;

    static {
        if (java.nio.ByteOrder.nativeOrder() != java.nio.ByteOrder.LITTLE_ENDIAN) {
            // the gather loops pack samples into 8-byte stores assuming the low address is the low half
            throw new ExceptionInInitializerError("RoiExtractor needs a little-endian platform, this one is "
                    + java.nio.ByteOrder.nativeOrder());
        }
    }

    private RoiExtractor() {
    }

    /** Bytes of one frame of the given type. */
    public static long frameBytes(FrameType type) {
        return (long) FRAME_VOXELS * type.bytes();
    }

    /**
     * Writes the ROI described by {@code window} (already {@link RoiWindow#set set} for this volume) to
     * {@code dstAddress}, exactly {@link #frameBytes(FrameType)} bytes.
     */
    public static void extract(Volume volume, RoiWindow window, FrameType type, long dstAddress) {
        final long src = type == FrameType.FLOAT32 ? volume.floatAddress() : volume.byteAddress();
        copyRows(window, window.lo(0), window.lo(1), window.lo(2), volume.ny(), volume.nz(), window.scale(), src, type,
                dstAddress);
    }

    /**
     * The copy loop shared by the direct path and {@link DecimatedPlane}: the source is a C-order block of
     * {@code (?, ny, nz)} elements at {@code srcBase}; screen cell {@code firstCell + k} on an axis reads source index
     * {@code start + k * stride} on that axis.
     */
    static void copyRows(RoiWindow window, int startX, int startY, int startZ, int ny, int nz, int stride,
                         long srcBase, FrameType type, long dstAddress) {
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

        if (fx > 0) {
            UnsafeApi.setMemory(dstAddress, fx * planeBytes, (byte) 0);
        }
        if (ex < N) {
            UnsafeApi.setMemory(dstAddress + ex * planeBytes, (N - ex) * planeBytes, (byte) 0);
        }
        for (int cx = fx; cx < ex; cx++) {
            final long dstPlane = dstAddress + cx * planeBytes;
            final int sx = startX + (cx - fx) * s;
            // rows outside [fy, ey) are zero: one contiguous run before and one after, each a single call
            if (fy > 0) {
                UnsafeApi.setMemory(dstPlane, fy * rowBytes, (byte) 0);
            }
            if (ey < N) {
                UnsafeApi.setMemory(dstPlane + ey * rowBytes, (N - ey) * rowBytes, (byte) 0);
            }
            for (int cy = fy; cy < ey; cy++) {
                final long dstRow = dstPlane + cy * rowBytes;
                final int sy = startY + (cy - fy) * s;
                final long srcRow = srcBase + ((((long) sx * ny + sy) * nz + startZ) << shift);
                if (headBytes > 0) {
                    UnsafeApi.setMemory(dstRow, headBytes, (byte) 0);
                }
                final long dstRun = dstRow + headBytes;
                if (s == 1) {
                    UnsafeApi.copyMemory(srcRow, dstRun, (long) samplesZ << shift);
                } else if (shift == 2) {
                    gatherFloats(srcRow, dstRun, samplesZ, s);
                } else {
                    gatherBytes(srcRow, dstRun, samplesZ, s);
                }
                if (tailBytes > 0) {
                    UnsafeApi.setMemory(dstRun + ((long) samplesZ << shift), tailBytes, (byte) 0);
                }
            }
        }
    }

    /**
     * Every {@code stride}-th float of a row. Two samples are packed into one 8-byte store: the scalar loop is bound
     * by one store per cycle, loads run two per cycle. Little-endian packing: the sample at the lower address goes in
     * the low half (checked in the static initialiser).
     */
    private static void gatherFloats(long src, long dst, int count, int stride) {
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

    /** Every {@code stride}-th byte of a row, eight samples packed into one 8-byte store (see gatherFloats). */
    private static void gatherBytes(long src, long dst, int count, int stride) {
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
