package org.cmarl.engine.env;

import org.agrona.UnsafeApi;
import org.cmarl.engine.memory.NativeBlock;
import org.cmarl.engine.volume.Volume;

/**
 * One plane of a {@link Volume} (float32 or uint8) re-laid out for ROIs sampled every {@code scale} voxels, so that
 * a scale-2 or scale-3 ROI row is one contiguous run, like a scale-1 row in the volume itself.
 *
 * <h2>Layout</h2>
 * The volume is split into {@code scale^3} phase sub-volumes, phase {@code (px, py, pz)} holding the voxels
 * {@code (px + scale * i, py + scale * j, pz + scale * k)}, each in the volume's order (x slowest, z fastest):
 * <pre>
 *   phase index      p = (px * scale + py) * scale + pz
 *   phase dims       m_axis(p_axis) = ceil((dim_axis - p_axis) / scale)
 *   element address  phaseAddress(p) + ((i * my + j) * mz + k) * elementBytes
 * </pre>
 * The same bytes as the plane (each voxel once), so a ROI sampled from here is bit-identical to one sampled
 * directly with a stride. Why: a strided row touches {@code scale} times more cache lines than it uses, and the
 * 135^3-voxel footprint of a scale-3 ROI (10 MB of float32) does not stay in cache between steps, while its
 * decimated footprint (45^3 voxels) does.
 *
 * <p>Owns its native memory ({@link #close()}); {@link #rebuild} reuses it for any volume of at most the same size.
 */
public final class DecimatedPlane implements AutoCloseable {
    private final int scale;
    private final FrameType frameType;
    private final long[] phaseOffsetBytes;
    private final int[] phaseDims;
    private NativeBlock block;
    private Volume source;
    private boolean closed;

    public DecimatedPlane(int scale, FrameType frameType) {
        if (scale < 2) {
            throw new IllegalArgumentException("scale=" + scale + ", expected >= 2 (scale 1 reads the volume directly)");
        }
        if (frameType == null) {
            throw new IllegalArgumentException("frameType is null, expected FLOAT32 or UINT8");
        }
        this.scale = scale;
        this.frameType = frameType;
        this.phaseOffsetBytes = new long[scale * scale * scale];
        this.phaseDims = new int[scale * scale * scale * 3];
    }

    public int scale() { return scale; }
    public FrameType frameType() { return frameType; }

    /** The volume this plane was last built from (null before the first build). */
    public Volume source() { return source; }

    /** Rebuilds from {@code volume} unless it is already the source. One pass over the plane. */
    public void ensureBuiltFor(Volume volume) {
        if (volume != source) {
            rebuild(volume);
        }
    }

    /** Re-lays out {@code volume}'s plane of this frame type; grows the native memory only when needed. */
    public void rebuild(Volume volume) {
        checkOpen();
        final int s = scale;
        final int e = frameType.bytes();
        final int nx = volume.nx();
        final int ny = volume.ny();
        final int nz = volume.nz();
        long total = 0;
        for (int px = 0; px < s; px++) {
            for (int py = 0; py < s; py++) {
                for (int pz = 0; pz < s; pz++) {
                    int p = (px * s + py) * s + pz;
                    phaseDims[p * 3] = ceilDiv(nx - px, s);
                    phaseDims[p * 3 + 1] = ceilDiv(ny - py, s);
                    phaseDims[p * 3 + 2] = ceilDiv(nz - pz, s);
                    phaseOffsetBytes[p] = total;
                    total += (long) phaseDims[p * 3] * phaseDims[p * 3 + 1] * phaseDims[p * 3 + 2] * e;
                }
            }
        }
        if (block == null || block.capacityBytes() < total) {
            if (block != null) {
                block.close();
            }
            block = NativeBlock.allocate(Math.max(total, 1), Volume.ALIGNMENT_BYTES);
        }
        source = null;
        final long dstBase = block.address();
        final long srcBase = frameType == FrameType.FLOAT32 ? volume.floatAddress() : volume.byteAddress();
        for (int x = 0; x < nx; x++) {
            final int px = x % s;
            final int i = x / s;
            for (int y = 0; y < ny; y++) {
                final int py = y % s;
                final int j = y / s;
                final long srcRow = srcBase + ((long) x * ny + y) * nz * e;
                for (int pz = 0; pz < s; pz++) {
                    final int p = (px * s + py) * s + pz;
                    final int my = phaseDims[p * 3 + 1];
                    final int mz = phaseDims[p * 3 + 2];
                    final long dstRow = dstBase + phaseOffsetBytes[p] + ((long) i * my + j) * mz * e;
                    if (e == Float.BYTES) {
                        for (int k = 0; k < mz; k++) {
                            UnsafeApi.putInt(dstRow + ((long) k << 2), UnsafeApi.getInt(srcRow + ((long) (pz + k * s) << 2)));
                        }
                    } else {
                        for (int k = 0; k < mz; k++) {
                            UnsafeApi.putByte(dstRow + k, UnsafeApi.getByte(srcRow + pz + (long) k * s));
                        }
                    }
                }
            }
        }
        source = volume;
    }

    private static int ceilDiv(int a, int b) {
        return a <= 0 ? 0 : (a + b - 1) / b;
    }

    /**
     * Writes the ROI of {@code window} (set for {@link #source()} at this plane's scale) to {@code dstAddress}, same
     * bytes as {@link RoiExtractor#extract}.
     */
    public void extract(RoiWindow window, long dstAddress) {
        checkOpen();
        if (source == null || window.scale() != scale) {
            throw new IllegalStateException("decimated plane of scale " + scale + " used for a window of scale "
                    + window.scale() + (source == null ? " before it was built" : ""));
        }
        final int s = scale;
        final int lox = window.lo(0);
        final int loy = window.lo(1);
        final int loz = window.lo(2);
        final int p = ((lox % s) * s + loy % s) * s + loz % s;
        final int my = phaseDims[p * 3 + 1];
        final int mz = phaseDims[p * 3 + 2];
        final long phaseBase = block.address() + phaseOffsetBytes[p];
        RoiExtractor.copyRows(window, lox / s, loy / s, loz / s, my, mz, 1, phaseBase, frameType, dstAddress);
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("decimated plane (scale " + scale + ", " + frameType + ") is closed");
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        source = null;
        if (block != null) {
            block.close();
        }
    }
}
