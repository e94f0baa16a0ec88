package org.cmarl.engine.volume;

import org.agrona.concurrent.UnsafeBuffer;

/**
 * Intensity statistics and normalisation of SPEC.md section 1, exact to the published arithmetic:
 * numpy's linear-interpolation percentiles p10 / p99, clip with float32 thresholds, double-precision rescale of
 * the clipped range to [0, 255], clamp, no rounding.
 *
 * <p>Percentiles are found by an exact two-pass radix selection on the float bit patterns (O(n), no sort, no copy):
 * pass 1 counts the top 16 bits of every order-preserving key; pass 2 counts the low 16 bits of only the voxels in
 * the (at most four) top-16 buckets that hold the wanted order statistics. An instance keeps its two 64 Ki-entry
 * count tables, so repeated use allocates nothing large.
 *
 * <p>Not thread-safe: one instance per loading thread.
 */
public final class IntensityNormaliser {
    /** Number of buckets per radix pass: 16 bits of the 32-bit key. */
    private static final int RADIX_BUCKETS = 1 << 16;
    /** The published percentiles (SPEC.md section 1). */
    public static final double LOW_PERCENTILE = 10.0;
    public static final double HIGH_PERCENTILE = 99.0;
    public static final float OUTPUT_MAX = 255f;

    private final int[] highCounts = new int[RADIX_BUCKETS];
    private final int[][] lowCounts = new int[4][RADIX_BUCKETS];
    private final int[] bucketSlot = new int[RADIX_BUCKETS];

    /**
     * Maps float bits to an int whose unsigned order is the float's numeric order (NaN excluded; -0 sorts just
     * before +0, which changes no value).
     */
    static int sortableKey(float v) {
        int bits = Float.floatToRawIntBits(v);
        return bits ^ ((bits >> 31) | 0x80000000);
    }

    static float fromSortableKey(int key) {
        int bits = key < 0 ? key ^ 0x80000000 : ~key;
        return Float.intBitsToFloat(bits);
    }

    /** Raw statistics of the first {@code n} values (the caller has checked they are finite). */
    public record RawStats(double min, double max, double mean, double p10, double p99) {
    }

    /**
     * Minimum, maximum, mean (double accumulation) and numpy-linear p10 / p99 of {@code values[0..n)}.
     *
     * @throws ImageFormatException naming {@code source} when a value is NaN or infinite
     */
    public RawStats rawStats(float[] values, int n, String source) {
        if (n < 1) {
            throw new IllegalArgumentException("n=" + n + ", required >= 1");
        }
        final int[] counts = highCounts;
        java.util.Arrays.fill(counts, 0);
        float min = Float.POSITIVE_INFINITY;
        float max = Float.NEGATIVE_INFINITY;
        double sum = 0;
        for (int i = 0; i < n; i++) {
            float v = values[i];
            min = Math.min(min, v);
            max = Math.max(max, v);
            sum += v;
            counts[sortableKey(v) >>> 16]++;
        }
        // min/max propagate NaN and reach +-inf for an infinite voxel: one check after the loop, not per voxel
        if (!Float.isFinite(min) || !Float.isFinite(max)) {
            int bad = firstNonFinite(values, n);
            throw new ImageFormatException(source + ": voxel " + bad + " (file order) is " + values[bad]
                    + ", expected finite values only");
        }
        double[] p = percentiles(values, n, LOW_PERCENTILE, HIGH_PERCENTILE);
        return new RawStats(min, max, sum / n, p[0], p[1]);
    }

    private static int firstNonFinite(float[] values, int n) {
        for (int i = 0; i < n; i++) {
            if (!Float.isFinite(values[i])) {
                return i;
            }
        }
        throw new IllegalStateException("no non-finite value found");
    }

    /**
     * numpy's default {@code percentile} (method "linear") of two quantiles. Requires {@link #highCounts} to hold
     * the top-16-bit counts of {@code values[0..n)} (as left by {@link #rawStats}).
     */
    private double[] percentiles(float[] values, int n, double qLow, double qHigh) {
        double[] q = {qLow, qHigh};
        long[] ranks = new long[4];
        double[] gamma = new double[2];
        for (int i = 0; i < 2; i++) {
            // numpy 1.24 "linear": virtual index (n - 1) * q / 100, neighbours floor and floor + 1 (clipped)
            double virtualIndex = (n - 1) * (q[i] / 100.0);
            long lo = (long) Math.floor(virtualIndex);
            gamma[i] = virtualIndex - lo;
            ranks[2 * i] = Math.min(lo, n - 1);
            ranks[2 * i + 1] = Math.min(lo + 1, n - 1);
        }
        // pass 1 result: bucket and rank within the bucket of each wanted order statistic
        int[] bucket = new int[4];
        long[] rankInBucket = new long[4];
        for (int r = 0; r < 4; r++) {
            long cumulative = 0;
            int b = 0;
            while (cumulative + highCounts[b] <= ranks[r]) {
                cumulative += highCounts[b];
                b++;
            }
            bucket[r] = b;
            rankInBucket[r] = ranks[r] - cumulative;
        }
        // pass 2: low-16-bit counts of the voxels in the wanted buckets only
        java.util.Arrays.fill(bucketSlot, -1);
        int slots = 0;
        for (int r = 0; r < 4; r++) {
            if (bucketSlot[bucket[r]] < 0) {
                java.util.Arrays.fill(lowCounts[slots], 0);
                bucketSlot[bucket[r]] = slots++;
            }
        }
        final int[] slotOf = bucketSlot;
        final int[][] low = lowCounts;
        for (int i = 0; i < n; i++) {
            int key = sortableKey(values[i]);
            int s = slotOf[key >>> 16];
            if (s >= 0) {
                low[s][key & 0xFFFF]++;
            }
        }
        float[] stat = new float[4];
        for (int r = 0; r < 4; r++) {
            int[] counts = low[bucketSlot[bucket[r]]];
            long cumulative = 0;
            int b = 0;
            while (cumulative + counts[b] <= rankInBucket[r]) {
                cumulative += counts[b];
                b++;
            }
            stat[r] = fromSortableKey((bucket[r] << 16) | b);
        }
        return new double[]{lerp(stat[0], stat[1], gamma[0]), lerp(stat[2], stat[3], gamma[1])};
    }

    /**
     * numpy 1.24 {@code _lerp}: the difference is taken in float32 (both neighbours are float32), the rest in
     * double; from {@code t >= 0.5} on it interpolates back from {@code b}.
     */
    static double lerp(float a, float b, double t) {
        float diff = b - a;
        return t >= 0.5 ? b - diff * (1.0 - t) : a + diff * t;
    }

    /**
     * Slow obvious reference: numpy "linear" percentile by full sort. For tests and tools only.
     */
    public static double percentileBySort(float[] values, int n, double q) {
        float[] sorted = java.util.Arrays.copyOf(values, n);
        java.util.Arrays.sort(sorted);
        double virtualIndex = (n - 1) * (q / 100.0);
        int lo = (int) Math.floor(virtualIndex);
        int hi = Math.min(lo + 1, n - 1);
        return lerp(sorted[lo], sorted[hi], virtualIndex - lo);
    }

    /**
     * Clips, rescales and transposes {@code values} (file order, x fastest) into the volume's float plane (x slowest,
     * z fastest) and returns the mean of the normalised voxels.
     *
     * @throws ImageFormatException naming {@code source} when the clipped image is constant
     */
    public double normaliseInto(float[] values, RawStats raw, Volume volume, String source) {
        final float lowF = (float) raw.p10();   // SPEC.md section 1: thresholds cast to float32 before comparing
        final float highF = (float) raw.p99();
        final float clippedMin = clip((float) raw.min(), lowF, highF);
        final float clippedMax = clip((float) raw.max(), lowF, highF);
        if (!(clippedMax > clippedMin)) {
            throw new ImageFormatException(source + ": constant image after clipping to [p10, p99] = [" + lowF + ", "
                    + highF + "] (raw min " + raw.min() + ", max " + raw.max() + "), cannot rescale to [0, 255]");
        }
        // the published image library's rescale: double scale and shift, float32 result, clamped (SPEC.md 1)
        final double scale = OUTPUT_MAX / ((double) clippedMax - (double) clippedMin);
        final double shift = -(double) clippedMin * scale;
        final int nx = volume.nx();
        final int ny = volume.ny();
        final int nz = volume.nz();
        final int sliceXY = nx * ny;
        final UnsafeBuffer dst = volume.floatVoxels();
        double sum = 0;
        // 16 x 16 (x, z) tiles per y: reads 16 source lines (z rows, stride nx*ny) and writes 16 runs of 16
        // contiguous floats (one per x), so both sides touch whole cache lines.
        final int tile = 16;
        for (int y = 0; y < ny; y++) {
            for (int z0 = 0; z0 < nz; z0 += tile) {
                final int z1 = Math.min(z0 + tile, nz);
                for (int x0 = 0; x0 < nx; x0 += tile) {
                    final int x1 = Math.min(x0 + tile, nx);
                    for (int x = x0; x < x1; x++) {
                        final int dstRow = (x * ny + y) * nz;
                        int src = x + nx * y + sliceXY * z0;
                        for (int z = z0; z < z1; z++, src += sliceXY) {
                            float v = clip(values[src], lowF, highF);
                            float out = (float) (v * scale + shift);
                            out = Math.min(Math.max(out, 0f), OUTPUT_MAX);
                            sum += out;
                            dst.putFloat((dstRow + z) << 2, out);
                        }
                    }
                }
            }
        }
        return sum / ((long) nx * ny * nz);
    }

    /** SPEC.md section 1 step 2, in its order: below p10 becomes p10, then above p99 becomes p99. */
    private static float clip(float v, float low, float high) {
        float c = v < low ? low : v;
        return c > high ? high : c;
    }
}
