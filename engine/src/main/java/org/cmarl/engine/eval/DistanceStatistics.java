package org.cmarl.engine.eval;

import org.apache.commons.math3.stat.descriptive.DescriptiveStatistics;
import org.apache.commons.math3.stat.descriptive.rank.Percentile;

/**
 * Final distances of one agent (or of all agents) over a set of episodes: count, mean, sample standard deviation
 * (n - 1, NaN for one episode, as numpy's {@code std(ddof=1)}), median, 90th percentile (numpy's default linear
 * interpolation, Commons Math's R_7), minimum and maximum, in mm.
 */
public record DistanceStatistics(long episodes, double meanMm, double stdMm, double medianMm, double p90Mm,
                                 double minMm, double maxMm) {

    public static DistanceStatistics of(double[] distancesMm) {
        if (distancesMm.length == 0) {
            throw new IllegalArgumentException("no distances to summarise");
        }
        DescriptiveStatistics s = new DescriptiveStatistics(distancesMm);
        // numpy.percentile's default (linear) is R_7; Commons Math's own default (LEGACY) differs on small samples
        s.setPercentileImpl(new Percentile().withEstimationType(Percentile.EstimationType.R_7));
        return new DistanceStatistics(s.getN(), s.getMean(),
                distancesMm.length < 2 ? Double.NaN : s.getStandardDeviation(), s.getPercentile(50),
                s.getPercentile(90), s.getMin(), s.getMax());
    }
}
