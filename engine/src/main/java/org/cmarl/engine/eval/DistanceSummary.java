package org.cmarl.engine.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Mean and sample standard deviation (n - 1) of the final distances, per agent and over all agents, as the
 * published evaluator prints them, with the rest of each agent's {@link DistanceStatistics} (median, 90th
 * percentile, min, max; Commons Math).
 *
 * @param meanMm     per agent
 * @param stdMm      per agent, sample std (NaN for one episode)
 * @param overallMeanMm all agents and episodes
 * @param overallStdMm  all agents and episodes, sample std
 * @param episodes   number of episodes
 * @param perAgent   every statistic per agent
 * @param overall    every statistic over all agents and episodes
 */
public record DistanceSummary(double[] meanMm, double[] stdMm, double overallMeanMm, double overallStdMm,
                              int episodes, List<DistanceStatistics> perAgent, DistanceStatistics overall) {

    public static DistanceSummary of(List<EpisodeResult> results) {
        if (results.isEmpty()) {
            throw new IllegalArgumentException("no episodes to summarise");
        }
        int agents = results.get(0).agents();
        double[] mean = new double[agents];
        double[] std = new double[agents];
        double[] all = new double[results.size() * agents];
        List<DistanceStatistics> perAgent = new ArrayList<>(agents);
        for (int a = 0; a < agents; a++) {
            double[] d = new double[results.size()];
            for (int i = 0; i < d.length; i++) {
                d[i] = results.get(i).distanceMm()[a];
                all[i * agents + a] = d[i];
            }
            DistanceStatistics s = DistanceStatistics.of(d);
            perAgent.add(s);
            mean[a] = s.meanMm();
            std[a] = s.stdMm();
        }
        DistanceStatistics overall = DistanceStatistics.of(all);
        return new DistanceSummary(mean, std, overall.meanMm(), overall.stdMm(), results.size(),
                List.copyOf(perAgent), overall);
    }

    /** Lines a person reads at the end of an evaluation. */
    public String describe() {
        StringBuilder b = new StringBuilder();
        for (int a = 0; a < meanMm.length; a++) {
            b.append(String.format(Locale.ROOT, "agent %d: mean distance %.3f mm, std %.3f mm (%d episodes)%n",
                    a, meanMm[a], stdMm[a], episodes));
        }
        b.append(String.format(Locale.ROOT, "all agents: mean distance %.3f mm, std %.3f mm", overallMeanMm,
                overallStdMm));
        return b.toString();
    }
}
