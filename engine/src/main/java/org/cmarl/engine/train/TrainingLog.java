package org.cmarl.engine.train;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Locale;

import me.tongfei.progressbar.ProgressBar;
import org.cmarl.engine.eval.EpisodeResult;
import org.cmarl.engine.ui.ProgressBars;

/**
 * What a training run leaves for people: {@code logs.txt} (command line, full configuration, every epoch's figures;
 * no wall-clock times, so that two seeded runs write identical logs),
 * TensorBoard scalars, {@code progress.csv} (one row per epoch, for plotting) and a progress bar on the terminal. It only
 * writes: the {@link Trainer} saves the checkpoints ({@link TrainingCheckpoints}).
 */
public final class TrainingLog implements AutoCloseable {
    private final Path runDir;
    private final PrintStream console;
    private final boolean progressBar;
    private final Writer logTxt;
    private final Writer progressCsv;
    private final TensorBoardWriter tensorBoard;
    private final int agents;
    private final int maxEpisodes;
    private ProgressBar bar;
    // the bar's rate window: agent steps and updates since barNanos; the message shows the last full window
    private long stepsSinceBar;
    private long updatesSinceBar;
    private long barNanos = System.nanoTime();
    private long barAgentSteps;
    private double barEpsilon = 1;
    private String barRates = "";
    private String lastDistance = "-";

    /**
     * Creates the run folder's log files; with {@code runDir} null (no {@code --write}) the log writes to the console
     * only (and the trainer saves no checkpoint).
     *
     * @param commandLine the command as typed, for logs.txt
     * @param progressBar show a progress bar on {@code console} (false in tests and when output is not a terminal)
     */
    public TrainingLog(Path runDir, String commandLine, TrainConfig config, PrintStream console, boolean progressBar)
            throws IOException {
        this.runDir = runDir;
        this.console = console;
        this.progressBar = progressBar;
        this.agents = config.agents();
        this.maxEpisodes = config.maxEpisodes();
        if (runDir == null) {
            this.logTxt = null;
            this.progressCsv = null;
            this.tensorBoard = null;
            return;
        }
        Files.createDirectories(runDir);
        this.logTxt = Files.newBufferedWriter(runDir.resolve("logs.txt"), StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        Path csv = runDir.resolve("progress.csv");
        boolean fresh = !Files.exists(csv);
        this.progressCsv = Files.newBufferedWriter(csv, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
        if (fresh) {
            StringBuilder h = new StringBuilder("epoch,episode,agent_steps,eps,lr,loss,train_distance_mm");
            for (int a = 0; a < agents; a++) {
                h.append(",train_distance_mm_").append(a);
            }
            h.append(",train_score,val_distance_mm");
            for (int a = 0; a < agents; a++) {
                h.append(",val_distance_mm_").append(a);
            }
            progressCsv.write(h.append('\n').toString());
            progressCsv.flush();
        }
        this.tensorBoard = new TensorBoardWriter(runDir);
        line("command: " + commandLine);
        line("configuration:\n" + config.describe());
    }

    /**
     * The log of a rank other than 0 in a data-parallel run: it writes no file (rank 0 alone writes logs.txt,
     * progress.csv, TensorBoard events and checkpoints) and prints nothing; {@link #runDir()} is null.
     */
    public static TrainingLog silent(TrainConfig config) {
        return new TrainingLog(config);
    }

    private TrainingLog(TrainConfig config) {
        this.runDir = null;
        this.console = new PrintStream(OutputStream.nullOutputStream());
        this.progressBar = false;
        this.agents = config.agents();
        this.maxEpisodes = config.maxEpisodes();
        this.logTxt = Writer.nullWriter();
        this.progressCsv = Writer.nullWriter();
        this.tensorBoard = null;
    }

    /** The run folder; null for {@link #silent} logs. */
    public Path runDir() { return runDir; }

    private void line(String s) throws IOException {
        if (logTxt == null) {
            return;
        }
        logTxt.write(s);
        logTxt.write('\n');
        logTxt.flush();
    }

    void warmUpStarted(int transitions) {
        if (progressBar && transitions > 0) {
            bar = ProgressBars.create("warm-up", transitions, " transitions", console);
        } else {
            console.println("warm-up: " + transitions + " random-policy transitions");
        }
    }

    void warmUpProgress(int transitions) {
        if (bar != null) {
            bar.stepTo(transitions);
        }
    }

    void warmUpDone(TrainingState state) throws IOException {
        if (bar != null) {
            bar.close();
            bar = null;
        }
        line("warm-up done");
        // the training bar starts with learning (not at the first finished episode): one CommNet episode holds
        // several 30-110 s updates, during which the bar's clock and rate must already run
        if (progressBar) {
            bar = ProgressBars.create("train", maxEpisodes, " episodes", console);
            bar.stepTo(state.episode());
        }
        barAgentSteps = state.agentSteps();
        barEpsilon = state.epsilon();
        barNanos = System.nanoTime();
    }

    /** After every update: the bar's rate follows the updates, not only the ends of episodes. */
    void updateDone(long agentSteps) {
        updatesSinceBar++;
        stepsSinceBar += agentSteps - barAgentSteps;
        barAgentSteps = agentSteps;
        refreshBar();
    }

    private void refreshBar() {
        double seconds = (System.nanoTime() - barNanos) / 1e9;
        if (seconds > 1) {
            barRates = rates(stepsSinceBar, updatesSinceBar, seconds);
            stepsSinceBar = 0;
            updatesSinceBar = 0;
            barNanos = System.nanoTime();
        }
        if (bar != null) {
            bar.setExtraMessage(barMessage());
        }
    }

    /** e.g. " 1.5 steps/s 33 s/update eps 0.900 dist 12.30 mm": the rates of the last window, the latest episode. */
    String barMessage() {
        return String.format(Locale.ROOT, " %s eps %.3f dist %s", barRates, barEpsilon, lastDistance).replace("  ",
                " ");
    }

    void episodeDone(TrainingState state, Trainer.EpisodeOutcome o) throws IOException {
        if (tensorBoard != null) {
            // published trainer.py append_episode_board: per episode, step = the episode number (1-based)
            for (int a = 0; a < agents; a++) {
                tensorBoard.scalar("train/dist/" + a, o.distanceMm()[a], state.episode());
                tensorBoard.scalar("train/score/" + a, o.score()[a], state.episode());
            }
        }
        stepsSinceBar += state.agentSteps() - barAgentSteps;
        barAgentSteps = state.agentSteps();
        barEpsilon = state.epsilon();
        // the latest episode's final distance (mean over agents), not an epoch's
        lastDistance = String.format(Locale.ROOT, "%.2f mm", Trainer.mean(o.distanceMm()));
        if (bar != null) {
            bar.stepTo(state.episode());
        }
        refreshBar();
    }

    /**
     * "55 steps/s 1.2 updates/s", or "1.5 steps/s 33 s/update" when updates are slower than one a second (CPU
     * training with the published batch: an update takes tens of seconds, and "0.0 updates/s" would say nothing).
     */
    static String rates(long steps, long updates, double seconds) {
        double stepRate = steps / seconds;
        String s = (stepRate >= 10 ? String.format(Locale.ROOT, "%.0f", stepRate)
                : String.format(Locale.ROOT, "%.2g", stepRate)) + " steps/s";
        if (updates == 0) {
            return s + " 0 updates/s";
        }
        double updateRate = updates / seconds;
        return s + (updateRate >= 1 ? String.format(Locale.ROOT, " %.1f updates/s", updateRate)
                : String.format(Locale.ROOT, " %.0f s/update", seconds / updates));
    }

    void epochDone(TrainingState state, Trainer.EpochStats stats, double[] valDistance,
                   List<EpisodeResult> valEpisodes, boolean improved)
            throws IOException {
        double[] train = stats.meanDistanceMm();
        double trainMean = Trainer.mean(train);
        double score = Trainer.mean(stats.meanScore());
        double valMean = valDistance == null ? Double.NaN : Trainer.mean(valDistance);

        if (runDir == null) {
            return;
        }
        StringBuilder csv = new StringBuilder();
        csv.append(state.epoch()).append(',').append(state.episode()).append(',').append(state.agentSteps())
                .append(',').append(fmt(state.epsilon())).append(',')
                .append(fmt(state.learningRate())).append(',').append(fmt(stats.meanLoss())).append(',')
                .append(fmt(trainMean));
        for (double d : train) {
            csv.append(',').append(fmt(d));
        }
        csv.append(',').append(fmt(score)).append(',').append(fmt(valMean));
        for (int a = 0; a < agents; a++) {
            csv.append(',').append(valDistance == null ? "" : fmt(valDistance[a]));
        }
        progressCsv.write(csv.append('\n').toString());
        progressCsv.flush();

        epochScalars(state, stats, valDistance, valEpisodes);

        line(String.format(Locale.ROOT,
                "epoch %d: episodes %d, agent steps %d, eps %.4f, lr %.3g, loss %s, train distance %.3f mm,"
                        + " score %.3f%s", state.epoch(), state.episode(), state.agentSteps(),
                state.epsilon(), state.learningRate(), fmt(stats.meanLoss()), trainMean, score,
                valDistance == null ? "" : String.format(Locale.ROOT, ", validation distance %.3f mm%s", valMean,
                        improved ? " (best)" : "")));
    }

    /**
     * The published epoch scalars (trainer.py append_epoch_board), step = the episode count at the epoch's end:
     * {@code train/eps}, {@code train/lr}, {@code train/loss}, then per agent i {@code train/mean_dist/i},
     * {@code train/min_dist/i}, {@code train/max_dist/i} and the same under {@code eval/} for validation. The
     * engine's own figures go under {@code rlm/}: the epoch's mean loss and mean score.
     */
    private void epochScalars(TrainingState state, Trainer.EpochStats stats, double[] valDistance,
                              List<EpisodeResult> valEpisodes) throws IOException {
        long step = state.episode();
        tensorBoard.scalar("train/eps", state.epsilon(), step);
        tensorBoard.scalar("train/lr", state.learningRate(), step);
        // published quirk: trainer.py empties its loss list at every episode start, so the epoch's "loss" is the
        // mean loss of the epoch's last episode (written only when that episode made an update)
        Trainer.EpisodeOutcome last = stats.lastEpisode();
        if (last != null && last.updates() > 0) {
            tensorBoard.scalar("train/loss", last.meanLoss(), step);
        }
        double[] mean = stats.meanDistanceMm();
        double[] min = stats.minDistanceMm();
        double[] max = stats.maxDistanceMm();
        for (int a = 0; a < agents; a++) {
            tensorBoard.scalar("train/mean_dist/" + a, mean[a], step);
            tensorBoard.scalar("train/min_dist/" + a, min[a], step);
            tensorBoard.scalar("train/max_dist/" + a, max[a], step);
        }
        if (valDistance != null) {
            for (int a = 0; a < agents; a++) {
                double lo = Double.POSITIVE_INFINITY;
                double hi = Double.NEGATIVE_INFINITY;
                for (EpisodeResult r : valEpisodes) {
                    lo = Math.min(lo, r.distanceMm()[a]);
                    hi = Math.max(hi, r.distanceMm()[a]);
                }
                tensorBoard.scalar("eval/mean_dist/" + a, valDistance[a], step);
                tensorBoard.scalar("eval/min_dist/" + a, lo, step);
                tensorBoard.scalar("eval/max_dist/" + a, hi, step);
            }
        }
        if (!Double.isNaN(stats.meanLoss())) {
            tensorBoard.scalar("rlm/loss_epoch_mean", stats.meanLoss(), step);
        }
        tensorBoard.scalar("rlm/score_epoch_mean", Trainer.mean(stats.meanScore()), step);
    }

    /** Figures with enough digits to re-plot, and the same text for the same value (reproducible logs). */
    static String fmt(double v) {
        return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.6g", v);
    }

    /** Writes a line to logs.txt only (the progress bar stays; e.g. a save within an epoch). */
    void logOnly(String s) throws IOException {
        line(s);
    }

    /** Writes a line to logs.txt and the console (e.g. the final summary). */
    public void note(String s) throws IOException {
        if (bar != null) {
            bar.close();
            bar = null;
        }
        console.println(s);
        line(s);
    }

    @Override
    public void close() throws IOException {
        if (bar != null) {
            bar.close();
            bar = null;
        }
        // no --write: none of them was opened; a silent log (rank > 0): null writers, no TensorBoard
        if (tensorBoard != null) {
            tensorBoard.close();
        }
        if (progressCsv != null) {
            progressCsv.close();
        }
        if (logTxt != null) {
            logTxt.close();
        }
    }
}
