package org.cmarl.engine.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

import me.tongfei.progressbar.ProgressBar;
import org.cmarl.engine.dataset.LabelledImage;
import org.cmarl.engine.env.Mode;
import org.cmarl.engine.env.Spawn;
import org.cmarl.engine.eval.DistanceSummary;
import org.cmarl.engine.eval.EpisodeResult;
import org.cmarl.engine.eval.EpisodeResultCodec;
import org.cmarl.engine.eval.Evaluator;
import org.cmarl.engine.eval.NetworkEvaluation;
import org.cmarl.engine.eval.ResultsCsv;
import org.cmarl.engine.io.TensorData;
import org.cmarl.engine.nn.Device;
import org.cmarl.engine.nn.DistributedGroup;
import org.cmarl.engine.nn.NetworkConfig;
import org.cmarl.engine.nn.Precision;
import org.cmarl.engine.report.RunReport;
import org.cmarl.engine.ui.ProgressBars;
import org.cmarl.engine.viz.EpisodeGifRecorder;

/**
 * {@code --task eval|play} wired up: a {@link NetworkEvaluation} of the {@code --load} weights over every image and
 * spawn, results.csv written as episodes finish, GIFs, the summary on the console and in logs.txt; in a multi-process
 * run every rank plays its share and rank 0 gathers the results.
 */
final class EvaluationRun {
    private final RunOptions o;
    private final PrintStream out;
    private final String commandLine;

    EvaluationRun(RunOptions options, PrintStream out, String commandLine) {
        this.o = options;
        this.out = out;
        this.commandLine = commandLine;
    }

    /**
     * Plays every spawn on every image.
     *
     * @param runDir  the run folder (results.csv with {@code --write}, GIFs with {@code --saveGif}), or null
     * @param weights the network to evaluate; null on ranks other than 0 (rank 0 broadcasts them)
     * @param group   the ranks of a multi-process run, or null
     */
    int run(Mode mode, NetworkConfig netConfig, Device device, Precision precision, long seed, Path runDir,
            List<LabelledImage> images, List<Spawn> spawns, Map<String, TensorData> weights,
            DistributedGroup group) throws IOException {
        int batch = NetworkEvaluation.batchEpisodes(o.batchEpisodes, device);
        int total = images.size() * spawns.size();
        if (group != null && o.saveGif) {
            throw new BadInputException("--saveGif is not available in a multi-process run (" + group.worldSize()
                    + " ranks): evaluate with one process to record GIFs");
        }
        long start = System.nanoTime();
        List<EpisodeResult> results;
        String timeReport;
        // rows appended as episodes finish (an interrupted run keeps them); rewritten in episode order at the end
        Path csv = o.write && runDir != null ? runDir.resolve("results.csv") : null;
        try (NetworkEvaluation evaluation = new NetworkEvaluation(netConfig, device, seed, mode, o.stepsPerEpisode,
                batch, total);
             EpisodeGifRecorder gifs = o.saveGif
                     ? new EpisodeGifRecorder(runDir.resolve("gifs")).numberedAsResults(images.size()) : null;
             ResultsCsv rows = csv == null ? null : ResultsCsv.create(csv, netConfig.agents(), images.size())) {
            Evaluator evaluator = evaluation.load(weights, group, precision)
                    .reuseRepeatedObservations(!o.recomputeRepeats);
            try (ProgressBar bar = ProgressBars.create(EnumFlags.task(mode),
                    evaluator.shareOf(total), " episodes", out)) {
                results = evaluator.run(images, spawns, new SplittableRandom(seed), r -> {
                    if (rows != null) {
                        appendRow(rows, r);
                    }
                    bar.step();
                }, gifs);
            }
            timeReport = evaluator.timeReport();
        }
        if (group != null) {
            results = gather(group, results);
            if (results == null) {
                out.printf(Locale.ROOT, "rank %d: %d episodes evaluated, results sent to rank 0%n", group.rank(),
                        shareOf(total, group));
                return 0;
            }
        }
        if (csv != null) {
            ResultsCsv.write(csv, netConfig.agents(), results, images.size());
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        long steps = results.stream().mapToLong(EpisodeResult::steps).sum();
        out.printf(Locale.ROOT, "%d episodes, %d steps in %.1f s (%.1f steps/s); evaluation loop %s%n", total, steps,
                seconds, steps / seconds, timeReport);
        String summary = mode == Mode.EVAL ? DistanceSummary.of(results).describe() : null;
        if (summary != null) {
            out.println(summary);
        }
        if (csv != null) {
            out.println("results: " + csv);
            // as the published logger: the command and the summary in logs.txt; then the report of the folder
            Files.writeString(runDir.resolve("logs.txt"), "command: " + commandLine + "\n"
                    + (summary == null ? "" : summary + "\n"), StandardCharsets.UTF_8);
            out.println("report: " + RunReport.write(runDir));
        }
        if (o.saveGif) {
            out.println("GIFs: " + runDir.resolve("gifs"));
        }
        return 0;
    }

    /**
     * Rank 0: every rank's results in queue order (run-major, then image), as one process would list them.
     * Other ranks: publish theirs and return null. Through the run's c10d store, one record per rank.
     */
    private static List<EpisodeResult> gather(DistributedGroup group, List<EpisodeResult> mine) {
        group.publish("eval/" + group.rank(), EpisodeResultCodec.encode(mine));
        if (group.rank() != 0) {
            group.barrier(); // rank 0 (the store's host) stays until every record is read
            return null;
        }
        List<EpisodeResult> all = new ArrayList<>(mine);
        for (int r = 1; r < group.worldSize(); r++) {
            all.addAll(EpisodeResultCodec.decode(group.fetch("eval/" + r)));
        }
        group.barrier();
        all.sort(Comparator.comparingInt(EpisodeResult::run).thenComparingInt(EpisodeResult::image));
        return all;
    }

    /** The episodes rank r of w plays: r, r + w, ... below {@code total}. */
    private static int shareOf(int total, DistributedGroup group) {
        return total <= group.rank() ? 0 : (total - group.rank() + group.worldSize() - 1) / group.worldSize();
    }

    /** One results.csv row per finished episode, flushed at once (an interrupted evaluation keeps its rows). */
    static void appendRow(ResultsCsv rows, EpisodeResult r) {
        try {
            rows.append(r);
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + rows.file() + ": " + e.getMessage(), e);
        }
    }
}
