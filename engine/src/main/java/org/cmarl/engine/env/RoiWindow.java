package org.cmarl.engine.env;

import org.cmarl.engine.observation.ObservationGeometry;

/**
 * Where one ROI samples its volume, per axis (SPEC.md section 3, "ROI"): the clamped crop rectangle
 * {@code [lo, hi)} in voxels (the published {@code Rectangle}), the sampling stride ({@code scale}), and which
 * screen cells {@code [firstCell, endCell)} the samples {@code lo, lo + scale, ...} fill; every other cell is 0.
 *
 * <p>Mutable and reused: {@link #set} recomputes it in place so the step loop allocates nothing.
 */
public final class RoiWindow {
    /** Screen cells per axis. */
    private static final int SIZE = ObservationGeometry.ROI_VOXELS;

    private final int[] lo = new int[3];
    private final int[] hi = new int[3];
    private final int[] firstCell = new int[3];
    private final int[] endCell = new int[3];
    private final boolean[] clampedLow = new boolean[3];
    private final boolean[] clampedHigh = new boolean[3];
    private int scale = 1;

    /** Recomputes the window for an agent at {@code location} in an image of size {@code dims} at {@code scale}. */
    public void set(int scale, int x, int y, int z, int nx, int ny, int nz) {
        this.scale = scale;
        setAxis(0, x, nx);
        setAxis(1, y, ny);
        setAxis(2, z, nz);
    }

    private void setAxis(int axis, int location, int dim) {
        final int s = scale;
        int l;
        int h;
        if ((s & 1) == 1) {
            // odd scale: lo = l - int(45 * s / 2) - 1, hi = l + int(45 * s / 2); 45 * s is odd, so int() is floor.
            l = location - (SIZE * s) / 2 - 1;
            h = location + (SIZE * s) / 2;
        } else {
            // even scale: round(45 * s / 2) is exact because 45 * s is even.
            l = location - (SIZE * s) / 2;
            h = location + (SIZE * s) / 2;
        }
        int first = 0;
        int end = SIZE;
        boolean low = false;
        boolean high = false;
        // [quirk] SPEC.md section 3 ROI clamping: the low side first, with the UNCLAMPED hi; the sampling grid then
        // restarts at voxel 0 (phase shift).
        if (l < 0) {
            l = 0;
            first = SIZE - count(0, h, s);
            low = true;
        }
        if (h > dim) {
            h = dim;
            end = first + count(l, dim, s);
            high = true;
        }
        lo[axis] = l;
        hi[axis] = h;
        firstCell[axis] = first;
        endCell[axis] = end;
        clampedLow[axis] = low;
        clampedHigh[axis] = high;
    }

    /** Number of values {@code a, a + s, ... < b} (numpy {@code len(arange(a, b, s))}). */
    static int count(int a, int b, int s) {
        return b <= a ? 0 : (b - a + s - 1) / s;
    }

    public int scale() { return scale; }
    /** First sampled voxel on the axis (clamped crop start, the published {@code xmin/ymin/zmin}). */
    public int lo(int axis) { return lo[axis]; }
    /** Crop end on the axis, exclusive (clamped, the published {@code xmax/ymax/zmax}). */
    public int hi(int axis) { return hi[axis]; }
    /** First screen cell filled on the axis. */
    public int firstCell(int axis) { return firstCell[axis]; }
    /** One past the last screen cell filled on the axis. */
    public int endCell(int axis) { return endCell[axis]; }
    public boolean clampedLow(int axis) { return clampedLow[axis]; }
    public boolean clampedHigh(int axis) { return clampedHigh[axis]; }
}
