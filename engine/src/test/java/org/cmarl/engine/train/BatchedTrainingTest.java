package org.cmarl.engine.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

import org.cmarl.engine.synth.SyntheticDataset;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --num_envs} through the real command line on the tiny run ({@link TinyRun}): 1 is the default loop, file
 * for file; a seeded run with 3 environments reproduces; values outside the range are one-line errors. And the
 * validation's {@code --batch_episodes}: how many episodes advance together changes no figure.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BatchedTrainingTest {
    @TempDir
    static Path dir;
    private TinyRun tiny;
    private Path logDir;
    private Path defaultRun;
    private Path oneEnv;
    private Path threeEnvs;
    private Path threeEnvsAgain;

    @BeforeAll
    void run() throws IOException {
        tiny = new TinyRun(dir.resolve("data"));
        logDir = dir.resolve("runs");
        defaultRun = TinyRun.runOk(logDir, tiny.args(logDir));
        oneEnv = TinyRun.runOk(logDir, tiny.args(logDir, "--num_envs", "1"));
        threeEnvs = TinyRun.runOk(logDir, tiny.args(logDir, "--num_envs", "3"));
        threeEnvsAgain = TinyRun.runOk(logDir, tiny.args(logDir, "--num_envs", "3"));
    }

    @Test
    void shouldWriteTheDefaultRunsFilesWhenNumEnvsIsOne() throws IOException {
        // the command line differs (it is logged as typed); every other line, and every checkpoint byte, is equal
        assertEquals(withoutCommand(defaultRun), withoutCommand(oneEnv));
        assertFalse(Files.readString(oneEnv.resolve("logs.txt")).contains("num_envs="),
                "the default adds no configuration line");
        assertEquals(Files.readString(defaultRun.resolve("progress.csv")),
                Files.readString(oneEnv.resolve("progress.csv")));
        assertSameCheckpoints(defaultRun, oneEnv);
    }

    @Test
    void shouldWriteIdenticalFilesWhenASeededThreeEnvironmentRunIsRepeated() throws IOException {
        String log = Files.readString(threeEnvs.resolve("logs.txt"));
        // not vacuous: both epochs ran, with updates, and the setting is logged
        assertEquals(2, log.lines().filter(l -> l.startsWith("epoch ")).count(), log);
        assertTrue(log.contains("num_envs=3"), log);
        assertTrue(log.contains("loss 0.") || log.contains("loss 1.") || log.contains("loss 2."), log);
        assertEquals(log, Files.readString(threeEnvsAgain.resolve("logs.txt")));
        assertEquals(Files.readString(threeEnvs.resolve("progress.csv")),
                Files.readString(threeEnvsAgain.resolve("progress.csv")));
        assertSameCheckpoints(threeEnvs, threeEnvsAgain);
        // and it is another run than the one-environment loop (its own episodes and images)
        assertFalse(Files.readString(defaultRun.resolve("progress.csv"))
                .equals(Files.readString(threeEnvs.resolve("progress.csv"))));
    }

    @Test
    void shouldValidateToTheSameFiguresWhenBatchEpisodesChanges() throws IOException {
        // three validation images: --batch_episodes 3 plays them together, the CPU default (1) one by one
        SyntheticDataset.Result val = SyntheticDataset.generate(dir.resolve("val3"), 3, 13, 32);
        Path logs = dir.resolve("runs-val");
        String[] valFiles = {"--val_files", val.imageList().toString(), val.landmarkList().toString()};
        Path alone = TinyRun.runOk(logs, tiny.args(logs, valFiles));
        String[] together3 = java.util.stream.Stream.concat(java.util.Arrays.stream(valFiles),
                java.util.stream.Stream.of("--batch_episodes", "3")).toArray(String[]::new);
        Path together = TinyRun.runOk(logs, tiny.args(logs, together3));
        String log = withoutCommand(together);
        assertTrue(log.contains("\nbatch_episodes=3"), log);
        assertEquals(withoutCommand(alone), log.replace("\nbatch_episodes=3", ""));
        assertEquals(Files.readString(together.resolve("progress.csv")), Files.readString(alone.resolve("progress.csv")));
        assertSameCheckpoints(together, alone);
    }

    @Test
    void shouldRejectNumEnvsOutsideItsRangeWithOneLineBeforeAnyFolder() throws IOException {
        assertRejected("--num_envs 0 must be 1.." + TrainConfig.MAX_NUM_ENVS, "--num_envs", "0");
        assertRejected("--num_envs 257 must be 1.." + TrainConfig.MAX_NUM_ENVS, "--num_envs", "257");
    }

    private void assertRejected(String expectedInMessage, String... args) throws IOException {
        Path bad = dir.resolve("bad-" + System.nanoTime());
        TinyRun.Outcome o = TinyRun.run(tiny.args(bad, args));
        assertEquals(2, o.exitCode(), () -> "stderr: " + o.err());
        assertEquals(1, o.err().lines().count(), () -> "one line: " + o.err());
        assertTrue(o.err().startsWith("rlm: ") && o.err().contains(expectedInMessage),
                () -> "expected '" + expectedInMessage + "' in: " + o.err());
        assertEquals(List.of(), TinyRun.runFolders(bad), "no run folder for rejected input");
    }

    private static String withoutCommand(Path run) throws IOException {
        return Files.readString(run.resolve("logs.txt")).lines().filter(l -> !l.startsWith("command: "))
                .collect(Collectors.joining("\n"));
    }

    private static void assertSameCheckpoints(Path a, Path b) throws IOException {
        for (String f : List.of(TrainingCheckpoints.LATEST_WEIGHTS, TrainingCheckpoints.BEST_WEIGHTS,
                TrainingCheckpoints.LATEST_CHECKPOINT)) {
            assertArrayEquals(Files.readAllBytes(a.resolve(f)), Files.readAllBytes(b.resolve(f)), f);
        }
    }
}
