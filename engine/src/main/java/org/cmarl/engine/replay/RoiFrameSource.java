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
 * One step moves an agent {@code 9, 3, 1} voxels along one axis at scales {@code 3, 2, 1} (SPEC.md section 3): 3
 * cells, 1.5 cells (not a whole cell) and 1 cell; a refused move leaves the frame unchanged. A window is computed per
 * axis from the location on that axis alone ({@link RoiWindow}), so when the previous frame was taken at the same
 * scale and only axis {@code A} moved, the other two axes sample exactly the same voxels (and zero the same cells
 * when clamped). If {@code A} is x or y, both windows are unclamped on it (cell {@code c} samples
 * {@code lo + c * scale}) and the crops differ by {@code k} whole cells, then {@code new(c) = previous(c + k)} on
 * {@code A}: in the C-order frame that is one contiguous copy at an offset of {@code k} planes (2,025 bytes) or rows
 * (45 bytes), after which only the {@code |k|} planes or rows the previous frame did not hold are sampled from the
 * volume ({@link #writeUint8FrameAfter}). The previous frame is still in cache, so the copy runs at memory speed
 * instead of 2,025 row extractions (measured: about 14 us against 20 us for a full extraction from cached rows,
 * 35 us from cold ones). A move along z is extracted in full: its new cells are one byte in every row, 2,025 small
 * writes that cost more than the row copies they save (measured 24 us). So is every other case (another scale, a
 * half-cell move, a clamped moving axis, a jump along two axes).
 */
public final class RoiFrameSource implements FrameSource {
    private static final int N = RoiWindow.SIZE;
    private static final int ROW_BYTES = N;
    private static final int PLANE_BYTES = N * N;
    private static final long FRAME_BYTES = (long) N * N * N;

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
        if (scale == previousScale) {
            previous.set(previousScale, previousX, previousY, previousZ, v.nx(), v.ny(), v.nz());
            int moved = -1;
            int changedAxes = 0;
            for (int axis = 0; axis < 3; axis++) {
                if (window.lo(axis) != previous.lo(axis) || window.firstCell(axis) != previous.firstCell(axis)
                        || window.endCell(axis) != previous.endCell(axis)) {
                    moved = axis;
                    changedAxes++;
                }
            }
            if (changedAxes == 0) {
                // a refused move (or a jump to the same place): the same frame
                UnsafeApi.copyMemory(previousDest, dest, FRAME_BYTES);
                return;
            }
            // a move along z (moved == 2) is cheaper to extract in full, see the class comment
            if (changedAxes == 1 && moved != 2 && unclamped(window, moved) && unclamped(previous, moved)) {
                int shiftVoxels = window.lo(moved) - previous.lo(moved);
                int k = shiftVoxels / scale;
                if (k * scale == shiftVoxels && Math.abs(k) < N) {
                    writeShifted(v, moved, k, dest, previousDest);
                    return;
                }
            }
        }
        RoiExtractor.extract(v, window, FrameType.UINT8, dest);
    }

    /** Every cell {@code c} of {@code axis} samples voxel {@code lo + c * scale}: no zero cells, no phase shift. */
    private static boolean unclamped(RoiWindow w, int axis) {
        return w.firstCell(axis) == 0 && w.endCell(axis) == N;
    }

    /**
     * {@code new(c) = previous(c + k)} along {@code axis} (x or y) for {@code 0 <= c + k < 45}: one copy of the whole
     * frame at an offset of {@code k} cells along the axis (byte {@code i} of the new frame = byte
     * {@code i + k * stride} of the previous one; for y, the bytes that land in the {@code |k|} new rows of each plane
     * come from the neighbouring plane and are overwritten next), then the {@code |k|} new planes or rows.
     */
    private void writeShifted(Volume v, int axis, int k, long dest, long previousDest) {
        final long stride = axis == 0 ? PLANE_BYTES : ROW_BYTES;
        final long offset = k * stride;
        if (k >= 0) {
            UnsafeApi.copyMemory(previousDest + offset, dest, FRAME_BYTES - offset);
        } else {
            UnsafeApi.copyMemory(previousDest, dest - offset, FRAME_BYTES + offset);
        }
        final int from = k >= 0 ? N - k : 0;
        final int to = k >= 0 ? N : -k;
        writeRows(v, axis == 0 ? from : 0, axis == 0 ? to : N, axis == 1 ? from : 0, axis == 1 ? to : N, dest);
    }

    /**
     * Writes the rows {@code [x0, x1) x [y0, y1)} (all 45 z cells) of the current window as a full extraction
     * would: cell {@code c} of an axis samples voxel {@code lo + (c - firstCell) * scale} inside
     * {@code [firstCell, endCell)} and is 0 outside (SPEC.md section 3, "ROI"). Used for the few new planes or rows
     * of a shifted frame only.
     */
    private void writeRows(Volume v, int x0, int x1, int y0, int y1, long dest) {
        final int s = window.scale();
        final int fx = window.firstCell(0);
        final int ex = window.endCell(0);
        final int fy = window.firstCell(1);
        final int ey = window.endCell(1);
        final int fz = window.firstCell(2);
        final int ez = window.endCell(2);
        final long ny = v.ny();
        final long nz = v.nz();
        final long base = v.byteAddress();
        final boolean contiguousRows = s == 1 && fz == 0 && ez == N;
        for (int cx = x0; cx < x1; cx++) {
            final boolean xIn = cx >= fx && cx < ex;
            final long sx = window.lo(0) + (long) (cx - fx) * s;
            for (int cy = y0; cy < y1; cy++) {
                final long dstRow = dest + (long) cx * PLANE_BYTES + (long) cy * ROW_BYTES;
                if (!xIn || cy < fy || cy >= ey) {
                    UnsafeApi.setMemory(dstRow, ROW_BYTES, (byte) 0);
                    continue;
                }
                final long sy = window.lo(1) + (long) (cy - fy) * s;
                final long srcRow = base + (sx * ny + sy) * nz + window.lo(2);
                if (contiguousRows) {
                    UnsafeApi.copyMemory(srcRow, dstRow, ROW_BYTES);
                    continue;
                }
                for (int cz = 0; cz < N; cz++) {
                    UnsafeApi.putByte(dstRow + cz, cz >= fz && cz < ez
                            ? UnsafeApi.getByte(srcRow + (long) (cz - fz) * s) : (byte) 0);
                }
            }
        }
    }
}
