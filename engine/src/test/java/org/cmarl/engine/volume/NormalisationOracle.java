package org.cmarl.engine.volume;

import java.util.Arrays;

/** Slow, obvious re-statement of SPEC.md section 1 for tests: full sort, numpy lerp, per-voxel clip and rescale. */
final class NormalisationOracle {
    private NormalisationOracle() {
    }

    /** numpy.percentile(values, q) with the default "linear" method (numpy 1.24 arithmetic). */
    static double percentile(float[] values, double q) {
        float[] sorted = values.clone();
        Arrays.sort(sorted);
        double index = (sorted.length - 1) * (q / 100.0);
        int lo = (int) Math.floor(index);
        int hi = Math.min(lo + 1, sorted.length - 1);
        double t = index - lo;
        float a = sorted[lo];
        float b = sorted[hi];
        float diff = b - a; // float32 subtraction, as numpy on float32 inputs
        return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
    }

    /** The normalised voxels, same order as the input. */
    static float[] normalise(float[] raw) {
        float p10 = (float) percentile(raw, 10);
        float p99 = (float) percentile(raw, 99);
        float[] clipped = new float[raw.length];
        for (int i = 0; i < raw.length; i++) {
            float v = raw[i];
            if (v < p10) {
                v = p10;
            }
            if (v > p99) {
                v = p99;
            }
            clipped[i] = v;
        }
        float min = Float.POSITIVE_INFINITY;
        float max = Float.NEGATIVE_INFINITY;
        for (float v : clipped) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        double scale = 255.0 / ((double) max - (double) min);
        double shift = -(double) min * scale;
        float[] out = new float[raw.length];
        for (int i = 0; i < raw.length; i++) {
            float f = (float) ((double) clipped[i] * scale + shift);
            out[i] = Math.max(0f, Math.min(255f, f));
        }
        return out;
    }
}
