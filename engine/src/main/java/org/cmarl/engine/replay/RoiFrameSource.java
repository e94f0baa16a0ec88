package org.cmarl.engine.replay;

import java.util.List;

import org.agrona.UnsafeApi;
import org.cmarl.engine.env.FrameType;
import org.cmarl.engine.env.RoiExtractor;
import org.cmarl.engine.env.RoiWindow;
import org.cmarl.engine.volume.Volume;

/**
 * The replay memory's frames, re-extracted from the images with the environment's own ROI extraction
 * ({@link RoiExtractor}, SPEC.md section 2) in the uint8 form: byte-for-byte the float frame the agent saw at the
 * time of the step, truncated to uint8 as the published replay memory stores it (SPEC.md section 5).
 * Image ids are indices into the list given at construction. Single-threaded (two reusable windows).
 *
 * <h2>Consecutive frames of one agent</h2>
 * One step moves an agent {@code 9, 3, 1} voxels at scales {@code 3, 2, 1} (SPEC.md section 3): 3 cells, 1.5 cells
 * (not a whole cell) and 1 cell; a refused move or a jump back leaves the frame unchanged or far away. When the previous frame was taken at
 * the same scale and both ROIs lie fully inside the image (every cell {@code c} on an axis samples voxel
 * {@code lo + c * scale}, no clamping, see {@link RoiWindow}), and the crops differ by {@code k} whole cells along x
 * or y only, the new frame is the previous one shifted by {@code k} cells plus {@code |k|} new planes (x) or rows (y):
 * {@link #writeUint8FrameAfter} copies the shared cells as large contiguous runs (44 planes, or 45 runs of 44 rows)
 * out of the previous frame, which is still in cache, and samples only the new cells from the volume. A shift along z
 * (the contiguous axis) saves nothing over the row copies of a full extraction and is extracted in full, as is
 * every other case (another scale, a clamped window, a move along two axes).
 */
public final class RoiFrameSource implements FrameSource {
    private static final int N = RoiWindow.SIZE;
    private static final int ROW_BYTES = N;
    private static final int PLANE_BYTES = N * N;

    private final List<Volume> volumes;
    private final RoiWindow window = new RoiWindow();
    private final RoiWindow previous = new RoiWindow();

    /** @param volumes the images by id; they stay owned by the caller and must outlive this source */
    public RoiFrameSource(List<Volume> volumes) {
        if (volumes.isEmpty()) {
            throw new IllegalArgumentException("no images: a frame source needs at least one volume");
        }
        this.volumes = List.copyOf(volumes);
    }

    @Override
    public void writeUint8Frame(int imageId, int x, int y, int z, int scale, long dest) {
        Volume v = volumes.get(imageId);
        window.set(scale, x, y, z, v.nx(), v.ny(), v.nz());
        RoiExtractor.extract(v, window, FrameType.UINT8, dest);
    }

    @Override
    public void writeUint8FrameAfter(int imageId, int x, int y, int z, int scale, long dest, int previousX,
            int previousY, int previousZ, int previousScale, long previousDest) {
        Volume v = volumes.get(imageId);
        window.set(scale, x, y, z, v.nx(), v.ny(), v.nz());
        if (scale == previousScale && unclamped(window)) {
            previous.set(previousScale, previousX, previousY, previousZ, v.nx(), v.ny(), v.nz());
            if (unclamped(previous)) {
                int dx = window.lo(0) - previous.lo(0);
                int dy = window.lo(1) - previous.lo(1);
                int dz = window.lo(2) - previous.lo(2);
                if (dz == 0 && (dx == 0 || dy == 0) && dx % scale == 0 && dy % scale == 0) {
                    int kx = dx / scale;
                    int ky = dy / scale;
                    if (Math.abs(kx) < N && Math.abs(ky) < N) {
                        writeShifted(v, kx, ky, dest, previousDest);
                        return;
                    }
                }
            }
        }
        RoiExtractor.extract(v, window, FrameType.UINT8, dest);
    }

    /** Every cell {@code c} of every axis samples voxel {@code lo + c * scale}: no zero cells, no phase shift. */
    private static boolean unclamped(RoiWindow w) {
        return w.firstCell(0) == 0 && w.endCell(0) == N && w.firstCell(1) == 0 && w.endCell(1) == N
                && w.firstCell(2) == 0 && w.endCell(2) == N;
    }

    /**
     * {@code dest} = the previous frame shifted by {@code kx} planes or {@code ky} rows (one of them 0), then the
     * cells the previous frame did not hold sampled from the volume: new(c) = previous(c + k) where 0 <= c + k < 45.
     */
    private void writeShifted(Volume v, int kx, int ky, long dest, long previousDest) {
        if (kx >= 0 && ky == 0) {
            UnsafeApi.copyMemory(previousDest + (long) kx * PLANE_BYTES, dest, (long) (N - kx) * PLANE_BYTES);
            sampleCells(v, N - kx, N, 0, N, dest);
        } else if (kx < 0) {
            UnsafeApi.copyMemory(previousDest, dest - (long) kx * PLANE_BYTES, (long) (N + kx) * PLANE_BYTES);
            sampleCells(v, 0, -kx, 0, N, dest);
        } else if (ky > 0) {
            for (int cx = 0; cx < N; cx++) {
                long plane = (long) cx * PLANE_BYTES;
                UnsafeApi.copyMemory(previousDest + plane + (long) ky * ROW_BYTES, dest + plane,
                        (long) (N - ky) * ROW_BYTES);
            }
            sampleCells(v, 0, N, N - ky, N, dest);
        } else {
            for (int cx = 0; cx < N; cx++) {
                long plane = (long) cx * PLANE_BYTES;
                UnsafeApi.copyMemory(previousDest + plane, dest + plane - (long) ky * ROW_BYTES,
                        (long) (N + ky) * ROW_BYTES);
            }
            sampleCells(v, 0, N, 0, -ky, dest);
        }
    }

    /**
     * Writes the full z rows of cells {@code [x0, x1) x [y0, y1)} of the current (unclamped) window: cell
     * {@code (cx, cy, cz)} = uint8 voxel {@code (lo + c * scale)} per axis, z fastest in both layouts.
     */
    private void sampleCells(Volume v, int x0, int x1, int y0, int y1, long dest) {
        final int s = window.scale();
        final long nyz = (long) v.ny() * v.nz();
        final int nz = v.nz();
        final long base = v.byteAddress() + window.lo(2);
        for (int cx = x0; cx < x1; cx++) {
            final long srcPlane = base + (window.lo(0) + (long) cx * s) * nyz;
            for (int cy = y0; cy < y1; cy++) {
                final long src = srcPlane + (window.lo(1) + (long) cy * s) * nz;
                final long dst = dest + (long) cx * PLANE_BYTES + (long) cy * ROW_BYTES;
                if (s == 1) {
                    UnsafeApi.copyMemory(src, dst, ROW_BYTES);
                } else {
                    for (int cz = 0; cz < N; cz++) {
                        UnsafeApi.putByte(dst + cz, UnsafeApi.getByte(src + (long) cz * s));
                    }
                }
            }
        }
    }
}
