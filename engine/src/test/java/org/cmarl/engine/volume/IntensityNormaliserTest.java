package org.cmarl.engine.volume;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class IntensityNormaliserTest {

    /** Random data of several shapes: wide range with negatives, few distinct values, tiny set, skewed. */
    static float[] data(int kind, int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = switch (kind) {
                case 0 -> (float) (r.nextDouble() * 2e6 - 1e6);
                case 1 -> r.nextInt(7) - 3;
                case 2 -> (float) Math.exp(r.nextGaussian() * 3);
                case 3 -> (float) (r.nextGaussian() * 1e-3);
                default -> i % 2 == 0 ? -0.0f : 0.0f + r.nextInt(3);
            };
        }
        return v;
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 3, 4})
    void shouldEqualSortOracleBitForBitWhenComputingStatsOfRandomData(int kind) {
        IntensityNormaliser normaliser = new IntensityNormaliser();
        for (int n : new int[]{1, 2, 3, 11, 101, 1000, 65_537}) {
            float[] v = data(kind, n, 31L * n + kind);
            IntensityNormaliser.RawStats s = normaliser.rawStats(v, n, "test");
            float min = Float.POSITIVE_INFINITY;
            float max = Float.NEGATIVE_INFINITY;
            double sum = 0;
            for (float f : v) {
                min = Math.min(min, f);
                max = Math.max(max, f);
                sum += f;
            }
            assertEquals(min, s.min(), 0.0, "min n=" + n);
            assertEquals(max, s.max(), 0.0, "max n=" + n);
            assertEquals(sum / n, s.mean(), Math.abs(sum / n) * 1e-12 + 1e-12, "mean n=" + n);
            assertEquals(NormalisationOracle.percentile(v, 10), s.p10(), 0.0, "p10 n=" + n);
            assertEquals(NormalisationOracle.percentile(v, 99), s.p99(), 0.0, "p99 n=" + n);
        }
    }

    @Test
    void shouldInterpolateLikeNumpyWhenVirtualIndexIsFractional() {
        // n = 11: p10 index 1.0 -> 2.0; p99 index 9.9 -> 9 + 0.9 * (10 - 9) -> from b: 100 - 10 * 0.1 = 99 (lerp of 90, 100)
        float[] v = {0, 2, 4, 6, 8, 10, 20, 30, 40, 90, 100};
        IntensityNormaliser.RawStats s = new IntensityNormaliser().rawStats(v, v.length, "t");
        assertEquals(2.0, s.p10(), 0.0);
        assertEquals(99.0, s.p99(), 1e-12);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 3})
    void shouldEqualOracleBitForBitWhenNormalisingInPlace(int kind) {
        int n = 5_003;
        float[] v = data(kind, n, 77 + kind);
        float[] expected = NormalisationOracle.normalise(v);
        IntensityNormaliser.RawStats s = new IntensityNormaliser().rawStats(v, n, "t");
        double mean = IntensityNormaliser.normaliseInPlace(v, n, s, "t");
        double sum = 0;
        for (int i = 0; i < n; i++) {
            assertEquals(Float.floatToIntBits(expected[i]), Float.floatToIntBits(v[i]), "voxel " + i);
            sum += expected[i];
        }
        assertEquals(sum / n, mean, 1e-9);
    }

    @Test
    void shouldRejectWhenClippedImageIsConstant() {
        // one low outlier: p10 == p99 == 5, so the clipped image is constant although the raw one is not
        float[] v = new float[100];
        java.util.Arrays.fill(v, 5f);
        v[0] = -100;
        IntensityNormaliser.RawStats s = new IntensityNormaliser().rawStats(v, v.length, "img.nii");
        ImageFormatException e = assertThrows(ImageFormatException.class,
                () -> IntensityNormaliser.normaliseInPlace(v, v.length, s, "img.nii"));
        assertTrue(e.getMessage().contains("img.nii") && e.getMessage().contains("constant"), e.getMessage());
    }

    @Test
    void shouldRejectNaNAndInfinityNamingTheVoxel() {
        for (float bad : new float[]{Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            float[] v = {1, 2, 3, bad, 5};
            ImageFormatException e = assertThrows(ImageFormatException.class,
                    () -> new IntensityNormaliser().rawStats(v, v.length, "img.nii"));
            assertTrue(e.getMessage().contains("img.nii") && e.getMessage().contains("voxel 3"), e.getMessage());
        }
    }

    @Test
    void shouldRoundTripEveryFiniteFloatThroughSortableKeyInOrder() {
        float[] ordered = {Float.NEGATIVE_INFINITY, -Float.MAX_VALUE, -1f, -Float.MIN_VALUE, -0f, 0f,
                Float.MIN_VALUE, 1f, Float.MAX_VALUE, Float.POSITIVE_INFINITY};
        for (int i = 0; i < ordered.length; i++) {
            int key = IntensityNormaliser.sortableKey(ordered[i]);
            assertEquals(Float.floatToRawIntBits(ordered[i]),
                    Float.floatToRawIntBits(IntensityNormaliser.fromSortableKey(key)));
            if (i > 0) {
                assertTrue(Integer.compareUnsigned(IntensityNormaliser.sortableKey(ordered[i - 1]), key) < 0,
                        ordered[i - 1] + " < " + ordered[i]);
            }
        }
    }
}
