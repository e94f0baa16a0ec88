package org.cmarl.engine.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.stream.Stream;

import org.cmarl.engine.io.PtReader;
import org.cmarl.engine.io.TrainingCheckpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run whose {@code --max_episodes} is not a whole number of epochs saves its last episodes too (before, the last
 * partial epoch was lost, and a run shorter than one epoch wrote no .pt at all), and every output of a run has the
 * permissions any new file gets here (the umask's, usually 0644), not the owner-only 0600 of a temporary file.
 */
class PartialEpochTest {
    @Test
    void shouldSaveTheLastEpisodesWhenMaxEpisodesEndsInsideAnEpoch(@TempDir Path dir) throws IOException {
        TinyRun tiny = new TinyRun(dir.resolve("data"));
        Path logDir = dir.resolve("runs");
        // 2 training images: epoch 1 = episodes 1-2, then episode 3 alone
        Path run = TinyRun.runOk(logDir, tiny.args(logDir, "--max_episodes", "3"));
        TrainingCheckpoint saved = PtReader.read(run.resolve(TrainingCheckpoints.LATEST_CHECKPOINT)).training();
        assertEquals(3, saved.episode(), "the published convention: the last finished episode");
        assertEquals(Math.max(0.1, 1 - 0.2 * 3), saved.eps(), 1e-12);
        String log = Files.readString(run.resolve("logs.txt"));
        assertTrue(log.contains("saved latest_checkpoint.pt at episode 3 (the last epoch ended after 1 of its 2 "
                + "episodes)"), log);
        assertEquals(1, log.lines().filter(l -> l.startsWith("epoch ")).count(), log);
    }

    @Test
    void shouldWriteCheckpointsWhenTheRunIsShorterThanOneEpoch(@TempDir Path dir) throws IOException {
        TinyRun tiny = new TinyRun(dir.resolve("data"));
        Path logDir = dir.resolve("runs");
        Path run = TinyRun.runOk(logDir, tiny.args(logDir, "--max_episodes", "1"));
        assertTrue(PtReader.read(run.resolve(TrainingCheckpoints.LATEST_WEIGHTS)).stateDict().size() > 0);
        assertEquals(1, PtReader.read(run.resolve(TrainingCheckpoints.LATEST_CHECKPOINT)).training().episode());
        // outputs get the permissions of any new file in this folder (umask), never 0600
        Path reference = Files.createFile(dir.resolve("reference-file"));
        String expected = PosixFilePermissions.toString(Files.getPosixFilePermissions(reference));
        try (Stream<Path> files = Files.list(run)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                assertEquals(expected, PosixFilePermissions.toString(Files.getPosixFilePermissions(f)), f.toString());
            }
        }
    }
}
