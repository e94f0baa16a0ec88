package org.cmarl.engine.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.cmarl.engine.dataset.LabelledImage;
import org.cmarl.engine.io.AdamState;
import org.cmarl.engine.io.Checkpoint;
import org.cmarl.engine.io.PtReader;
import org.cmarl.engine.io.TrainingCheckpoint;
import org.cmarl.engine.nn.Architecture;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The published episode convention both ways, on a training checkpoint written by PyTorch the way the published
 * trainer writes it (src/test/python/published_training_checkpoint.py: the reference Network3d weights, Adam after 3
 * steps, StepLR after 2 epochs, 'episode' 4 = the last finished episode, 1-based). The file is 9 MB, so it is
 * generated here with Debian's python3-torch rather than committed; without PyTorch the test is skipped, except on
 * CI (CI=true), where it fails.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PublishedCheckpointTest {
    static final Path SHARED = Path.of(System.getProperty("rlm.shared.dir", "../shared"));
    static final Path SCRIPT = Path.of("src/test/python/published_training_checkpoint.py");

    @TempDir
    static Path dir;
    private TinyRun tiny;
    private Path published;

    @BeforeAll
    void writePublishedCheckpoint() throws Exception {
        String python = PythonTorch.find();
        tiny = new TinyRun(dir.resolve("data"));
        published = dir.resolve("published_checkpoint.pt");
        Process p = new ProcessBuilder(python, SCRIPT.toString(),
                SHARED.resolve("reference/network_parity/network3d_1agent_seed0_zip.pt").toString(),
                published.toString(), "4", "2", "0.2", "24").redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "python timed out");
        assertEquals(0, p.exitValue(), output);
    }

    @Test
    void shouldRestorePublishedCountersWhenResumingAPublishedCheckpoint() throws IOException {
        Checkpoint checkpoint = PtReader.read(published);
        TrainingCheckpoint saved = checkpoint.training();
        assertEquals(4, saved.episode());
        List<LabelledImage> images = TrainingRunTest.load(tiny.train);
        TrainConfig config = TrainConfig.builder().architecture(Architecture.NETWORK3D).landmarks(0)
                .batchSize(2).memorySize(200).initMemorySize(6).maxEpisodes(6).stepsPerEpisode(6)
                .targetUpdateFreq(2).epsilonDelta(0.2).trainFreq(3).seed(5).runDir(null).build();
        try (TrainingLog log = new TrainingLog(null, "test", config, System.out, false);
             Trainer trainer = new Trainer(config, images, List.of(), log)) {
            TrainingCheckpoints.resume(checkpoint, trainer);
            assertEquals(saved.qNetwork(), trainer.online().stateDict());
            assertEquals(saved.targetNetwork(), trainer.target().stateDict());
            AdamState want = AdamState.fromPython(saved.optimiserState(), published);
            AdamState got = trainer.learner().optimiserState(1e-3);
            for (int i = 0; i < want.params().size(); i++) {
                assertEquals(want.params().get(i), got.params().get(i), "Adam state of parameter " + i);
            }
            assertEquals(3.0f, got.params().get(0).step());
            // 4 episodes done: the next one is episode 5 (published: start_episode = episode + 1)
            assertEquals(new TrainingState(4, 2, 24, 0.2, 1e-3, Double.POSITIVE_INFINITY), trainer.state());
        } finally {
            for (LabelledImage i : images) {
                i.volume().close();
            }
        }
    }

    @Test
    void shouldRunEpisodesFiveAndSixWhenResumingAPublishedCheckpointSavedAtEpisodeFour() throws IOException {
        Path logs = dir.resolve("resumed");
        Path run = TinyRun.runOk(logs, tiny.args(logs, "--resume", published.toString(), "--max_episodes", "6"));
        List<String[]> rows = TinyRun.progressRows(run);
        assertEquals(1, rows.size(), "one epoch (2 images) from episode 5 to 6");
        assertEquals("3", rows.get(0)[0], "epoch");
        assertEquals("6", rows.get(0)[1], "episode");
        assertTrue(Files.readString(run.resolve("logs.txt")).contains("resumed from " + published
                + " at episode 4, epoch 2"));
        TrainingCheckpoint after = PtReader.read(run.resolve(TrainingCheckpoints.LATEST_CHECKPOINT)).training();
        assertEquals(6, after.episode(), "saved as published: the last finished episode");
        assertTrue(after.accSteps() > 24 && after.accSteps() <= 24 + 2 * 6, "acc_steps " + after.accSteps());
        // the per-episode TensorBoard steps are the published episode numbers 5 and 6
        List<EventFiles.Scalar> dist = EventFiles.scalars(EventFiles.eventFile(run)).stream()
                .filter(s -> s.tag().equals("train/dist/0")).toList();
        assertEquals(List.of(5L, 6L), dist.stream().map(EventFiles.Scalar::step).toList());
    }

    /** A Python 3 that imports torch: Debian's /usr/bin/python3 first (a pyenv python3 on PATH may lack it). */
    static final class PythonTorch {
        static String find() throws InterruptedException {
            for (String candidate : List.of("/usr/bin/python3", "python3")) {
                try {
                    Process p = new ProcessBuilder(candidate, "-c", "import torch").redirectErrorStream(true).start();
                    p.getInputStream().readAllBytes();
                    if (p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0) {
                        return candidate;
                    }
                } catch (IOException e) {
                    // not installed: try the next
                }
            }
            String message = "no python3 with torch (Debian: apt-get install python3-torch)";
            if ("true".equals(System.getenv("CI"))) {
                throw new AssertionError(message + "; CI must install it (.ci/run)");
            }
            Assumptions.abort(message);
            return null;
        }
    }
}
