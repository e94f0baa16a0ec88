package org.cmarl.engine.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Expected values are numpy's: mean, std(ddof=1), percentile(50), percentile(90) (linear), min, max. */
class DistanceStatisticsTest {
    @Test
    void shouldMatchNumpysLinearPercentilesWhenSummarisingDistances() {
        // numpy.percentile([4, 1, 3, 2], 90) = 3.7; median 2.5; std(ddof=1) = sqrt(5/3)
        assertEquals(new DistanceStatistics(4, 2.5, Math.sqrt(5.0 / 3), 2.5, 3.7, 1, 4),
                DistanceStatistics.of(new double[]{4, 1, 3, 2}));
        // [1, 3, 8]: p90 at rank 1.8 = 3 + 0.8 * 5
        DistanceStatistics s = DistanceStatistics.of(new double[]{1, 3, 8});
        assertEquals(7.0, s.p90Mm(), 1e-12);
        assertEquals(Math.sqrt(13), s.stdMm(), 1e-12);
    }

    @Test
    void shouldGiveNoStdWhenThereIsOneEpisode() {
        assertEquals(new DistanceStatistics(1, 1.5, Double.NaN, 1.5, 1.5, 1.5, 1.5),
                DistanceStatistics.of(new double[]{1.5}));
    }
}
