package org.cmarl.engine.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.cmarl.engine.dataset.LabelledImage;
import org.cmarl.engine.io.AdamState;
import org.cmarl.engine.io.Checkpoint;
import org.cmarl.engine.io.PtReader;
import org.cmarl.engine.io.TrainingCheckpoint;
import org.cmarl.engine.nn.Architecture;
import org.cmarl.engine.synth.SyntheticDataset;
import org.cmarl.engine.volume.FileType;
import org.cmarl.engine.volume.LandmarkReader;
import org.cmarl.engine.volume.NiftiReader;
import org.cmarl.engine.volume.Volume;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The files of a training run, from two identical seeded runs of the tiny configuration ({@link TinyRun}):
 * reproducibility, the TensorBoard event file, and continuing with {@code --resume}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TrainingRunTest {
    @TempDir
    static Path dir;
    private TinyRun tiny;
    private Path logDir;
    private Path first;
    private Path second;

    @BeforeAll
    void runTwice() throws IOException {
        tiny = new TinyRun(dir.resolve("data"));
        logDir = dir.resolve("runs");
        first = TinyRun.runOk(logDir, tiny.args(logDir));
        second = TinyRun.runOk(logDir, tiny.args(logDir));
    }

    @Test
    void shouldWriteIdenticalLogsAndWeightsWhenRunTwiceWithTheSameSeed() throws IOException {
        String log = Files.readString(first.resolve("logs.txt"));
        // not vacuous: both epochs were logged, with a loss (updates happened) and a validation distance
        assertEquals(2, log.lines().filter(l -> l.startsWith("epoch ")).count(), log);
        assertTrue(log.contains("loss 0.") || log.contains("loss 1.") || log.contains("loss 2."), log);
        assertEquals(log, Files.readString(second.resolve("logs.txt")));
        assertEquals(Files.readString(first.resolve("progress.csv")), Files.readString(second.resolve("progress.csv")));
        for (String f : List.of(TrainingCheckpoints.LATEST_WEIGHTS, TrainingCheckpoints.BEST_WEIGHTS,
                TrainingCheckpoints.LATEST_CHECKPOINT)) {
            assertArrayEquals(Files.readAllBytes(first.resolve(f)), Files.readAllBytes(second.resolve(f)), f);
        }
    }

    @Test
    void shouldPrintWhereTheLearningTimeWentWhenTheRunEnds() throws IOException {
        Path runs = dir.resolve("profile-runs");
        TinyRun.Outcome o = TinyRun.run(tiny.args(runs));
        assertEquals(0, o.exitCode(), () -> "stderr: " + o.err());
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(
                "learning: (\\d+) environment steps in [0-9.]+ s \\([0-9.]+ steps/s\\), (\\d+) updates; act [0-9.]+ s "
                        + "\\(\\d+%\\), step .*, store .*, sample .*, update [0-9.]+ s").matcher(o.out());
        assertTrue(m.find(), o.out());
        int steps = Integer.parseInt(m.group(1));
        // 4 learning episodes of at most 6 steps; one update every --train_freq 3 steps after the warm-up
        assertTrue(steps >= 4 && steps <= 24, "steps " + steps);
        assertEquals(steps / 3, Integer.parseInt(m.group(2)), o.out());
    }

    @Test
    void shouldWriteThePublishedTagsWhenReadingItsEventFileBack() throws IOException {
        List<EventFiles.Scalar> scalars = EventFiles.scalars(EventFiles.eventFile(first));
        Map<String, List<Long>> stepsByTag = new TreeMap<>();
        for (EventFiles.Scalar s : scalars) {
            stepsByTag.computeIfAbsent(s.tag(), t -> new ArrayList<>()).add(s.step());
        }
        // per episode, at the published episode number (1-based)
        for (String tag : List.of("train/dist/0", "train/score/0")) {
            assertEquals(List.of(1L, 2L, 3L, 4L), stepsByTag.get(tag), tag + " in " + stepsByTag.keySet());
        }
        // per epoch, at the episode count (2 images per epoch)
        for (String tag : List.of("train/eps", "train/lr", "train/mean_dist/0", "train/min_dist/0",
                "train/max_dist/0", "eval/mean_dist/0", "eval/min_dist/0", "eval/max_dist/0", "rlm/loss_epoch_mean",
                "rlm/score_epoch_mean")) {
            assertEquals(List.of(2L, 4L), stepsByTag.get(tag), tag + " in " + stepsByTag.keySet());
        }
        // train/loss: the published value is the last episode's mean loss, written when that episode updated
        stepsByTag.getOrDefault("train/loss", List.of()).forEach(step -> assertTrue(step == 2L || step == 4L));
        assertEquals(12, stepsByTag.size() - (stepsByTag.containsKey("train/loss") ? 1 : 0),
                stepsByTag.keySet().toString());
        List<String[]> rows = TinyRun.progressRows(first);
        int valColumn = 9;
        for (int e = 0; e < 2; e++) {
            long step = 2L * (e + 1);
            // eps after 2 and 4 episodes at delta 0.2; the published lr; values as in progress.csv
            assertEquals((float) (1.0 - 0.2 * step), value(scalars, "train/eps", step));
            assertEquals(1e-3f, value(scalars, "train/lr", step));
            float d1 = value(scalars, "train/dist/0", step - 1);
            float d2 = value(scalars, "train/dist/0", step);
            assertEquals(Math.min(d1, d2), value(scalars, "train/min_dist/0", step));
            assertEquals(Math.max(d1, d2), value(scalars, "train/max_dist/0", step));
            assertEquals((d1 + d2) / 2, value(scalars, "train/mean_dist/0", step), 1e-5f);
            assertEquals(Float.parseFloat(rows.get(e)[7]), value(scalars, "train/mean_dist/0", step), 1e-4f);
            // one validation image: its one episode is the mean, the min and the max
            float val = value(scalars, "eval/mean_dist/0", step);
            assertEquals(Float.parseFloat(rows.get(e)[valColumn]), val, 1e-4f);
            assertEquals(val, value(scalars, "eval/min_dist/0", step));
            assertEquals(val, value(scalars, "eval/max_dist/0", step));
            assertEquals(Float.parseFloat(rows.get(e)[5]), value(scalars, "rlm/loss_epoch_mean", step), 1e-5f);
        }
    }

    private static float value(List<EventFiles.Scalar> scalars, String tag, long step) {
        return scalars.stream().filter(s -> s.tag().equals(tag) && s.step() == step).findFirst()
                .orElseThrow(() -> new AssertionError(tag + " at step " + step)).value();
    }

    @Test
    void shouldContinueNumberingWhenResumedForOneMoreEpoch() throws IOException {
        Path checkpoint = first.resolve(TrainingCheckpoints.LATEST_CHECKPOINT);
        // a temporary file left by a writer killed mid-write is never read: only the renamed file is
        Files.write(first.resolve("." + TrainingCheckpoints.LATEST_CHECKPOINT + ".5eed.tmp"), new byte[]{'P', 'K', 3});
        Path resumeLogs = dir.resolve("resumed");
        Path resumed = TinyRun.runOk(resumeLogs, tiny.args(resumeLogs, "--resume", checkpoint.toString(),
                "--max_episodes", "6"));

        List<String[]> rows = TinyRun.progressRows(resumed);
        assertEquals(1, rows.size(), "one more epoch");
        assertEquals("3", rows.get(0)[0], "epoch");
        assertEquals("6", rows.get(0)[1], "episode");
        assertEquals("0.100000", rows.get(0)[3], "eps floor after 6 episodes of delta 0.2");
        assertTrue(Files.readString(resumed.resolve("logs.txt")).contains("resumed from " + checkpoint
                + " at episode 4, epoch 2"));

        TrainingCheckpoint before = PtReader.read(checkpoint).training();
        TrainingCheckpoint after = PtReader.read(resumed.resolve(TrainingCheckpoints.LATEST_CHECKPOINT)).training();
        assertEquals(4, before.episode(), "published 'episode': the last finished one, 1-based");
        assertEquals(6, after.episode());
        long stepsBefore = before.accSteps();
        long stepsAfter = after.accSteps();
        assertTrue(stepsAfter > stepsBefore && stepsAfter <= stepsBefore + 2 * 6,
                "acc_steps " + stepsBefore + " -> " + stepsAfter);
        // Adam's step count continues: one update every 3 agent steps (train_freq), counted over the whole run
        float adamBefore = AdamState.fromPython(before.optimiserState(), checkpoint).params().get(0).step();
        float adamAfter = AdamState.fromPython(after.optimiserState(), checkpoint).params().get(0).step();
        assertEquals(stepsBefore / 3, (long) adamBefore);
        assertEquals(stepsAfter / 3, (long) adamAfter);
    }

    @Test
    void shouldResumeWhenTheCheckpointWasSavedBeforeAnyEpisodeEnded() throws IOException {
        // Ctrl-C (or a --save_freq save) during the first episode writes 'episode' 0: no episode finished yet
        List<LabelledImage> images = load(tiny.train);
        Path early = dir.resolve("early");
        TrainConfig config = TrainConfig.builder().architecture(Architecture.NETWORK3D).landmarks(0)
                .batchSize(2).memorySize(200).initMemorySize(6).maxEpisodes(6).stepsPerEpisode(6)
                .targetUpdateFreq(2).epsilonDelta(0.2).trainFreq(3).seed(5).runDir(early).build();
        Files.createDirectories(early);
        try (TrainingLog log = new TrainingLog(early, "test", config, System.out, false);
             Trainer trainer = new Trainer(config, images, List.of(), log)) {
            TrainingCheckpoints.save(early, trainer, false);
        }
        Path checkpoint = early.resolve(TrainingCheckpoints.LATEST_CHECKPOINT);
        assertEquals(0, PtReader.read(checkpoint).training().episode());

        Path resumeLogs = dir.resolve("resumed-early");
        Path resumed = TinyRun.runOk(resumeLogs, tiny.args(resumeLogs, "--resume", checkpoint.toString(),
                "--max_episodes", "2"));
        assertTrue(Files.readString(resumed.resolve("logs.txt")).contains("resumed from " + checkpoint
                + " at episode 0, epoch 0"));
        assertEquals(2, PtReader.read(resumed.resolve(TrainingCheckpoints.LATEST_CHECKPOINT)).training().episode());
    }

    @Test
    void shouldRestoreWeightsOptimiserAndCountersWhenResuming() throws IOException {
        Checkpoint checkpoint = PtReader.read(first.resolve(TrainingCheckpoints.LATEST_CHECKPOINT));
        TrainingCheckpoint saved = checkpoint.training();
        List<LabelledImage> images = load(tiny.train);
        TrainConfig config = TrainConfig.builder().architecture(Architecture.NETWORK3D).landmarks(0)
                .batchSize(2).memorySize(200).initMemorySize(6).maxEpisodes(6).stepsPerEpisode(6)
                .targetUpdateFreq(2).epsilonDelta(0.2).trainFreq(3).seed(5).runDir(dir.resolve("restore")).build();
        try (TrainingLog log = new TrainingLog(config.runDir(), "test", config, System.out, false);
             Trainer trainer = new Trainer(config, images, List.of(), log)) {
            TrainingCheckpoints.resume(checkpoint, trainer);
            assertEquals(saved.qNetwork(), trainer.online().stateDict());
            assertEquals(saved.targetNetwork(), trainer.target().stateDict());
            AdamState want = AdamState.fromPython(saved.optimiserState(), checkpoint.file());
            AdamState got = trainer.learner().optimiserState(1e-3);
            assertEquals(want.params().size(), got.params().size());
            for (int i = 0; i < want.params().size(); i++) {
                assertEquals(want.params().get(i), got.params().get(i), "Adam state of parameter " + i);
            }
            TrainingState s = trainer.state();
            assertEquals(4, s.episode());
            assertEquals(2, s.epoch());
            assertEquals(saved.accSteps(), s.agentSteps());
            assertEquals(saved.eps(), s.epsilon());
            assertEquals(1e-3, s.learningRate());
            String best = Files.readAllLines(first.resolve("progress.csv")).stream().skip(1)
                    .map(l -> Double.parseDouble(l.split(",", -1)[9])).min(Double::compare).orElseThrow().toString();
            assertEquals(Double.parseDouble(best), s.bestValidationMm(), 0.5e-4, "progress.csv has 4 decimals");
        } finally {
            for (LabelledImage i : images) {
                i.volume().close();
            }
        }
    }

    static List<LabelledImage> load(SyntheticDataset.Result data) {
        List<LabelledImage> images = new ArrayList<>();
        for (int i = 0; i < data.images().size(); i++) {
            Volume v = NiftiReader.load(data.images().get(i));
            int[] l = LandmarkReader.landmark(data.landmarks().get(i), FileType.BRAIN, 0, v);
            images.add(new LabelledImage(data.images().get(i).getFileName().toString(), v, new int[][]{l}));
        }
        return images;
    }

    // ---- bad input: clear one-line errors, exit code 2, no run folder created

    private void assertRejected(String expectedInMessage, String... args) throws IOException {
        Path bad = dir.resolve("bad-" + System.nanoTime());
        String[] full = tiny.args(bad, args);
        TinyRun.Outcome o = TinyRun.run(full);
        assertEquals(2, o.exitCode(), () -> "stderr: " + o.err());
        assertEquals(1, o.err().lines().count(), () -> "one line: " + o.err());
        assertTrue(o.err().startsWith("rlm: ") && o.err().contains(expectedInMessage),
                () -> "expected '" + expectedInMessage + "' in: " + o.err());
        assertEquals(List.of(), TinyRun.runFolders(bad), "no run folder for rejected input");
    }

    @Test
    void shouldRejectInitMemoryAboveMemorySizeBeforeAnyWork() throws IOException {
        assertRejected("--init_memory_size 300 is above --memory_size 200", "--init_memory_size", "300");
    }

    @Test
    void shouldRejectBatchLargerThanWarmUpBeforeAnyWork() throws IOException {
        assertRejected("--batch_size 8 is larger than the 6 transitions", "--batch_size", "8");
    }

    @Test
    void shouldRejectNegativeMicroBatchBeforeAnyWork() throws IOException {
        assertRejected("--micro_batch -1 must be 0 (automatic) or positive", "--micro_batch", "-1");
    }

    @Test
    void shouldRejectValFilesOfTheWrongShape() throws IOException {
        assertRejected("--val_files needs IMAGE_LIST LANDMARK_LIST", "--val_files", tiny.val.imageList().toString());
        // two lists of different lengths
        assertRejected("has 1 files but landmark list", "--val_files", tiny.val.imageList().toString(),
                tiny.train.landmarkList().toString());
    }

    @Test
    void shouldRejectResumeCheckpointOfAnotherArchitectureOrAgentCount() throws IOException {
        String checkpoint = first.resolve(TrainingCheckpoints.LATEST_CHECKPOINT).toString();
        assertRejected(checkpoint, "--resume", checkpoint, "--model_name", "CommNet");
        assertRejected(checkpoint, "--resume", checkpoint, "--landmarks", "0", "1");
    }

    @Test
    void shouldRejectHalfWrittenCheckpoint() throws IOException {
        byte[] whole = Files.readAllBytes(first.resolve(TrainingCheckpoints.LATEST_CHECKPOINT));
        Path half = dir.resolve("half.pt");
        Files.write(half, java.util.Arrays.copyOf(whole, whole.length / 2));
        assertRejected(half.toString(), "--resume", half.toString());
    }

    @Test
    void shouldRejectLogDirThatIsNotAWritableFolder() throws IOException {
        Path file = dir.resolve("a-file");
        Files.writeString(file, "not a folder");
        TinyRun.Outcome o = TinyRun.run(tiny.args(file));
        assertEquals(2, o.exitCode(), () -> "stderr: " + o.err());
        assertEquals(1, o.err().lines().count(), () -> "one line: " + o.err());
        assertTrue(o.err().contains("--log_dir " + file + ": " + file + " is not a folder"), o.err());
    }

    // ---- published flags: --write, --save_freq, --landmarks; refused flags

    @Test
    void shouldCreateNoRunFolderWhenWriteIsNotGiven() throws IOException {
        Path logs = dir.resolve("no-write");
        String[] args = java.util.Arrays.stream(tiny.args(logs, "--max_episodes", "2"))
                .filter(a -> !a.equals("--write")).toArray(String[]::new);
        TinyRun.Outcome o = TinyRun.run(args);
        assertEquals(0, o.exitCode(), o.err());
        assertTrue(o.out().contains("note: without --write nothing is saved (as in the published DQN.py); add --write "
                + "to keep logs.txt, TensorBoard events and the checkpoints"), o.out());
        assertTrue(Files.notExists(logs), "nothing written without --write");
    }

    @Test
    void shouldSaveWithinTheEpochWhenSaveFreqStepsHavePassed() throws IOException {
        Path logs = dir.resolve("save-freq");
        Path run = TinyRun.runOk(logs, tiny.args(logs, "--save_freq", "1", "--max_episodes", "1"));
        assertEquals(List.of(), TinyRun.progressRows(run), "no epoch ended (2 images an epoch)");
        TrainingCheckpoint saved = PtReader.read(run.resolve(TrainingCheckpoints.LATEST_CHECKPOINT)).training();
        assertEquals(1, saved.episode(), "saved after episode 1");
        assertEquals(0.8, saved.eps(), 1e-12);
        assertTrue(Files.exists(run.resolve(TrainingCheckpoints.LATEST_WEIGHTS)));
        assertTrue(Files.readString(run.resolve("logs.txt")).contains("at episode 1 (--save_freq 1: "));
    }

    @Test
    void shouldSaveOnlyAtEpochEndsWhenSaveFreqIsZero() throws IOException {
        Path logs = dir.resolve("save-freq-0");
        Path run = TinyRun.runOk(logs, tiny.args(logs, "--save_freq", "0", "--max_episodes", "1"));
        String log = Files.readString(run.resolve("logs.txt"));
        // no save within the epoch; the run's end saves its partial epoch (PartialEpochTest)
        assertFalse(log.contains("(--save_freq"), log);
        assertTrue(log.contains("saved latest_checkpoint.pt at episode 1 (the last epoch ended after 1 of its 2"), log);
    }

    @Test
    void shouldTrainOneAgentOnLandmarkOneWhenLandmarksAreNotGiven() {
        org.cmarl.engine.cli.RunOptions o = new org.cmarl.engine.cli.RunOptions();
        new picocli.CommandLine(new Object() {
            @picocli.CommandLine.Mixin
            org.cmarl.engine.cli.RunOptions options = o;
        }).parseArgs("--task", "train");
        assertEquals(List.of(1), o.landmarks, "the published default");
        assertEquals(1000, o.saveFreq);
        assertEquals(false, o.write);
    }

    @Test
    void shouldRefuseViewerAndVideoFlagsWhenTheEngineCannotHonourThem() throws IOException {
        assertRejected("--viz 0.01: this engine has no on-screen viewer", "--viz", "0.01");
        assertRejected("--saveVideo: this engine writes no videos; use --saveGif", "--saveVideo");
        assertRejected("--saveGif records --task eval and play episodes; training has none to record", "--saveGif");
    }
}
