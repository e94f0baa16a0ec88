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
        final int shift = type == FrameType.FLOAT32 ? 2 : 0;
        final int ny = volume.ny();
        final int nz = volume.nz();
        final int s = window.scale();
        final int fx = window.firstCell(0);
        final int ex = window.endCell(0);
        final int fy = window.firstCell(1);
        final int ey = window.endCell(1);
        final int fz = window.firstCell(2);
        final int ez = window.endCell(2);
        final int lox = window.lo(0);
        final int loy = window.lo(1);
        final int loz = window.lo(2);
        final int samplesZ = ez - fz;
        final long rowBytes = (long) N << shift;
        final long planeBytes = rowBytes * N;
        final long headBytes = (long) fz << shift;
        final long tailBytes = (long) (N - ez) << shift;

        for (int cx = 0; cx < N; cx++) {
            final long dstPlane = dstAddress + cx * planeBytes;
            if (cx < fx || cx >= ex) {
                UnsafeApi.setMemory(dstPlane, planeBytes, (byte) 0);
                continue;
            }
            final int sx = lox + (cx - fx) * s;
            for (int cy = 0; cy < N; cy++) {
                final long dstRow = dstPlane + cy * rowBytes;
                if (cy < fy || cy >= ey) {
                    UnsafeApi.setMemory(dstRow, rowBytes, (byte) 0);
                    continue;
                }
                final int sy = loy + (cy - fy) * s;
                final long srcRow = src + ((((long) sx * ny + sy) * nz + loz) << shift);
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

    private static void gatherFloats(long src, long dst, int count, int stride) {
        final long strideBytes = (long) stride << 2;
        for (int k = 0; k < count; k++) {
            UnsafeApi.putFloat(dst + ((long) k << 2), UnsafeApi.getFloat(src + k * strideBytes));
        }
    }

    private static void gatherBytes(long src, long dst, int count, int stride) {
        for (int k = 0; k < count; k++) {
            UnsafeApi.putByte(dst + k, UnsafeApi.getByte(src + (long) k * stride));
        }
    }
}
