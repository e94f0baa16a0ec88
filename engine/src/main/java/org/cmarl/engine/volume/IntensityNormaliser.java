package org.cmarl.engine.volume;

import java.util.Arrays;

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
    private final int[] highCounts1 = new int[RADIX_BUCKETS];
    private final int[] highCounts2 = new int[RADIX_BUCKETS];
    private final int[] highCounts3 = new int[RADIX_BUCKETS];
    private double sum0;
    private double sum1;
    private double sum2;
    private double sum3;
    private final int[][] lowCounts = new int[6][RADIX_BUCKETS];
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
     * Minimum and maximum are order statistics 0 and n-1 of the same radix selection, so the first pass over the
     * data only sums and counts.
     *
     * @throws ImageFormatException naming {@code source} when a value is NaN or infinite
     */
    public RawStats rawStats(float[] values, int n, String source) {
        if (n < 1 || n > values.length) {
            throw new IllegalArgumentException("n=" + n + ", required 1.." + values.length);
        }
        begin();
        accumulate(values, 0, n);
        return finish(values, n, source);
    }

    /** Starts an incremental {@link #rawStats}: {@code begin}, {@code accumulate} over consecutive ranges, {@code finish}. */
    public void begin() {
        Arrays.fill(highCounts, 0);
        Arrays.fill(highCounts1, 0);
        Arrays.fill(highCounts2, 0);
        Arrays.fill(highCounts3, 0);
        sum0 = 0;
        sum1 = 0;
        sum2 = 0;
        sum3 = 0;
    }

    /** Pass 1 over {@code values[from..to)}: sums and top-16-bit key counts. */
    public void accumulate(float[] values, int from, int to) {
        final int[] counts = highCounts;
        final int[] counts1 = highCounts1;
        final int[] counts2 = highCounts2;
        final int[] counts3 = highCounts3;
        // four partial sums: breaks the 4-cycle add dependency chain (the mean is a report, order-insensitive at 1e-9)
        double s0 = sum0;
        double s1 = sum1;
        double s2 = sum2;
        double s3 = sum3;
        final int end4 = from + ((to - from) & ~3);
        for (int i = from; i < end4; i += 4) {
            final float v0 = values[i];
            final float v1 = values[i + 1];
            final float v2 = values[i + 2];
            final float v3 = values[i + 3];
            s0 += v0;
            s1 += v1;
            s2 += v2;
            s3 += v3;
            // one count table per lane: runs of equal voxels (MRI background) would otherwise serialise on
            // store-to-load forwarding of the same counter
            counts[sortableKey(v0) >>> 16]++;
            counts1[sortableKey(v1) >>> 16]++;
            counts2[sortableKey(v2) >>> 16]++;
            counts3[sortableKey(v3) >>> 16]++;
        }
        for (int i = end4; i < to; i++) {
            s0 += values[i];
            counts[sortableKey(values[i]) >>> 16]++;
        }
        sum0 = s0;
        sum1 = s1;
        sum2 = s2;
        sum3 = s3;
    }

    /**
     * Ends an incremental {@link #rawStats} over {@code values[0..n)} (all of it accumulated): checks finiteness, then
     * selects min, max, p10, p99 (pass 2).
     */
    public RawStats finish(float[] values, int n, String source) {
        final int[] counts = highCounts;
        final double sum = (sum0 + sum1) + (sum2 + sum3);
        for (int b = 0; b < RADIX_BUCKETS; b++) {
            counts[b] += highCounts1[b] + highCounts2[b] + highCounts3[b];
        }
        // NaN and +-inf have an all-ones exponent: their keys fill the lowest 128 and the highest 128 top-16 buckets
        // (0x0000-0x007F: negative, 0xFF80-0xFFFF: positive), which no finite float reaches. One check after the loop.
        int nonFinite = 0;
        for (int b = 0; b < 128; b++) {
            nonFinite += counts[b] + counts[RADIX_BUCKETS - 1 - b];
        }
        if (nonFinite > 0) {
            int bad = firstNonFinite(values, n);
            throw new ImageFormatException(source + ": " + nonFinite + " voxels are NaN or infinite (first: voxel "
                    + bad + " in file order is " + values[bad] + "), expected finite values only");
        }
        // numpy 1.24 "linear": virtual index (n - 1) * q / 100, neighbours floor and floor + 1 (clipped to n - 1)
        double[] gamma = new double[2];
        long[] ranks = new long[6];
        ranks[4] = 0;
        ranks[5] = n - 1L;
        double[] q = {LOW_PERCENTILE, HIGH_PERCENTILE};
        for (int i = 0; i < 2; i++) {
            double virtualIndex = (n - 1) * (q[i] / 100.0);
            long lo = (long) Math.floor(virtualIndex);
            gamma[i] = virtualIndex - lo;
            ranks[2 * i] = Math.min(lo, n - 1);
            ranks[2 * i + 1] = Math.min(lo + 1, n - 1);
        }
        float[] stat = orderStatistics(values, n, ranks);
        return new RawStats(stat[4], stat[5], sum / n, lerp(stat[0], stat[1], gamma[0]), lerp(stat[2], stat[3], gamma[1]));
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
     * The values of the given ranks (0-based, ascending order) by radix selection. Requires {@link #highCounts} to
     * hold the top-16-bit key counts of {@code values[0..n)}.
     */
    private float[] orderStatistics(float[] values, int n, long[] ranks) {
        final int wanted = ranks.length;
        int[] bucket = new int[wanted];
        long[] rankInBucket = new long[wanted];
        for (int r = 0; r < wanted; r++) {
            long cumulative = 0;
            int b = 0;
            while (cumulative + highCounts[b] <= ranks[r]) {
                cumulative += highCounts[b];
                b++;
            }
            bucket[r] = b;
            rankInBucket[r] = ranks[r] - cumulative;
        }
        Arrays.fill(bucketSlot, -1);
        int slots = 0;
        for (int r = 0; r < wanted; r++) {
            if (bucketSlot[bucket[r]] < 0) {
                Arrays.fill(lowCounts[slots], 0);
                bucketSlot[bucket[r]] = slots++;
            }
        }
        // pass 2: low-16-bit counts of the voxels in the wanted buckets only
        final int[] slotOf = bucketSlot;
        final int[][] low = lowCounts;
        for (int i = 0; i < n; i++) {
            int key = sortableKey(values[i]);
            int s = slotOf[key >>> 16];
            if (s >= 0) {
                low[s][key & 0xFFFF]++;
            }
        }
        float[] stat = new float[wanted];
        for (int r = 0; r < wanted; r++) {
            int[] counts = low[bucketSlot[bucket[r]]];
            long cumulative = 0;
            int b = 0;
            while (cumulative + counts[b] <= rankInBucket[r]) {
                cumulative += counts[b];
                b++;
            }
            stat[r] = fromSortableKey((bucket[r] << 16) | b);
        }
        return stat;
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
     * The clip-and-rescale of SPEC.md section 1 for one image, decided from its raw statistics alone (so a constant
     * image is rejected before any voxel memory is allocated).
     *
     * @param low   p10 cast to float32: voxels below become this
     * @param high  p99 cast to float32: voxels above become this
     * @param scale {@code 255 / (max - min)} of the clipped image, in double
     * @param shift {@code -min * scale}
     */
    public record Rescale(float low, float high, double scale, double shift) {

        /** One voxel: clip, {@code float32(double(v) * scale + shift)}, clamp to [0, 255]. */
        public float apply(float v) {
            return rescale(v, low, high, scale, shift);
        }
    }

    /**
     * @throws ImageFormatException naming {@code source} when the clipped image is constant
     */
    public static Rescale rescaleFor(RawStats raw, String source) {
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
        return new Rescale(lowF, highF, scale, -(double) clippedMin * scale);
    }

    /**
     * Clips and rescales {@code values[0..n)} in place to [0, 255] (SPEC.md section 1) and returns their mean.
     *
     * @throws ImageFormatException naming {@code source} when the clipped image is constant
     */
    public static double normaliseInPlace(float[] values, int n, RawStats raw, String source) {
        Rescale r = rescaleFor(raw, source);
        return rescaleRun(values, 0, n, r) / n;
    }

    /**
     * Rescales, in place, the voxels with {@code x} in {@code [xFrom, xTo)} of an {@code nx x ny x nz} image in file
     * order (x fastest) and returns their sum. Disjoint x ranges touch disjoint voxels, so two threads can each
     * take one.
     */
    public static double rescaleXRange(float[] values, int nx, int ny, int nz, int xFrom, int xTo, Rescale r) {
        double sum = 0;
        for (int row = 0; row < ny * nz; row++) {
            final int base = row * nx;
            sum += rescaleRun(values, base + xFrom, base + xTo, r);
        }
        return sum;
    }

    /** Rescales {@code values[from..to)} in place; returns their sum. */
    private static double rescaleRun(float[] values, int from, int to, Rescale r) {
        final float lowF = r.low();
        final float highF = r.high();
        final double scale = r.scale();
        final double shift = r.shift();
        double sum0 = 0;
        double sum1 = 0;
        final int end2 = from + ((to - from) & ~1);
        for (int i = from; i < end2; i += 2) {
            final float out0 = rescale(values[i], lowF, highF, scale, shift);
            final float out1 = rescale(values[i + 1], lowF, highF, scale, shift);
            values[i] = out0;
            values[i + 1] = out1;
            sum0 += out0;
            sum1 += out1;
        }
        if (end2 < to) {
            final float out = rescale(values[end2], lowF, highF, scale, shift);
            values[end2] = out;
            sum0 += out;
        }
        return sum0 + sum1;
    }

    private static float rescale(float v, float lowF, float highF, double scale, double shift) {
        final float out = (float) (clip(v, lowF, highF) * scale + shift);
        return out < 0f ? 0f : (out > OUTPUT_MAX ? OUTPUT_MAX : out);
    }

    /** SPEC.md section 1 step 2, in its order: below p10 becomes p10, then above p99 becomes p99. */
    private static float clip(float v, float low, float high) {
        float c = v < low ? low : v;
        return c > high ? high : c;
    }
}
