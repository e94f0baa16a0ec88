package org.cmarl.engine.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.cmarl.engine.io.PtReader;
import org.cmarl.engine.io.TrainingCheckpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 at random moments (seeded), several times, half of them while latest_checkpoint.pt is being written (its
 * first write, and a write replacing it): every named
 * {@code .pt} left in the run folders reads back whole, and training resumes from the latest one. SIGKILL runs no
 * shutdown hook, so this is what atomic writes (temporary file, fsync, rename, fsync of the folder) are for.
 * Each kill is a child JVM of the tiny run ({@link TinyRun}: an epoch, and so a checkpoint, every 2 episodes).
 */
class KilledTrainingTest {
    private static final int KILLS = 4;

    @Test
    void shouldKeepEveryNamedCheckpointReadableAndResumeWhenKilledAtRandomMoments(@TempDir Path dir)
            throws Exception {
        TinyRun tiny = new TinyRun(dir.resolve("data"));
        Path logDir = dir.resolve("runs");
        SplittableRandom random = new SplittableRandom(13);
        Path latest = null;
        int killedDuringWrite = 0;
        for (int kill = 0; kill < KILLS; kill++) {
            List<String> extra = new ArrayList<>(List.of("--max_episodes", "100000"));
            if (latest != null) {
                extra.addAll(List.of("--resume", latest.toString()));
            }
            File output = dir.resolve("child-" + kill + ".txt").toFile();
            List<Path> before = TinyRun.runFolders(logDir);
            Process child = start(tiny.args(logDir, extra.toArray(String[]::new)), output);
            try {
                Path runDir = waitForNewRunFolder(logDir, before, child, output);
                waitFor(() -> Files.exists(runDir.resolve("logs.txt"))
                        && Files.readString(runDir.resolve("logs.txt")).contains("warm-up done"), child, output);
                Path checkpoint = runDir.resolve(TrainingCheckpoints.LATEST_CHECKPOINT);
                switch (kill % 4) {
                    case 0 -> {
                        // some time after this run's first checkpoint
                        waitFor(() -> Files.exists(checkpoint), child, output);
                        Thread.sleep(random.nextInt(2000));
                    }
                    case 1 -> {
                        // during the first write of latest_checkpoint.pt (plus up to 3 ms)
                        waitFor(() -> hasTemporaryFile(runDir, TrainingCheckpoints.LATEST_CHECKPOINT), child, output);
                        Thread.sleep(random.nextInt(4));
                    }
                    case 2 -> Thread.sleep(random.nextInt(4000)); // anywhere, from the end of the warm-up
                    default -> {
                        // during a write that replaces an existing latest_checkpoint.pt
                        waitFor(() -> Files.exists(checkpoint), child, output);
                        waitFor(() -> hasTemporaryFile(runDir, TrainingCheckpoints.LATEST_CHECKPOINT), child, output);
                        Thread.sleep(random.nextInt(4));
                    }
                }
                child.destroyForcibly(); // SIGKILL
                assertTrue(child.waitFor(60, TimeUnit.SECONDS));
                if (hasTemporaryFile(runDir, "")) {
                    killedDuringWrite++;
                }
                latest = checkEveryNamedCheckpoint(runDir, latest);
            } finally {
                child.destroyForcibly();
            }
        }
        assertTrue(killedDuringWrite >= 1, "at least one kill interrupted a checkpoint write");
        System.out.println(KILLS + " kills, " + killedDuringWrite + " during a checkpoint write");
        assertTrue(latest != null, "some run wrote a checkpoint");

        // resume from the latest checkpoint and finish two more episodes
        // the published convention: a checkpoint holds the last finished episode
        long done = PtReader.read(latest).training().episode();
        List<Path> before = TinyRun.runFolders(logDir);
        Path finalRun = TinyRun.runOk(logDir, tiny.args(logDir, "--resume", latest.toString(), "--max_episodes",
                Long.toString(done + 2)));
        assertTrue(!before.contains(finalRun));
        TrainingCheckpoint end = PtReader.read(finalRun.resolve(TrainingCheckpoints.LATEST_CHECKPOINT)).training();
        assertEquals(done + 2, end.episode(), "the last finished episode after two more episodes");
    }

    /** Reads every .pt whose name does not start with a dot; returns the newest training checkpoint so far. */
    private static Path checkEveryNamedCheckpoint(Path runDir, Path latest) throws IOException {
        try (Stream<Path> files = Files.list(runDir)) {
            for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".pt")
                    && !p.getFileName().toString().startsWith(".")).toList()) {
                var checkpoint = PtReader.read(f);
                if (f.getFileName().toString().equals(TrainingCheckpoints.LATEST_CHECKPOINT)) {
                    TrainingCheckpoint t = checkpoint.training();
                    assertTrue(t.episode() >= 1, f + " episode " + t.episode());
                    latest = f;
                } else {
                    assertTrue(checkpoint.stateDict().size() > 0, f.toString());
                }
            }
        }
        return latest;
    }

    /** A temporary file of a write in progress (or killed), of {@code name} or of any file when "". */
    private static boolean hasTemporaryFile(Path runDir, String name) throws IOException {
        try (Stream<Path> files = Files.list(runDir)) {
            return files.anyMatch(p -> p.getFileName().toString().startsWith("." + name)
                    && p.getFileName().toString().endsWith(".tmp"));
        }
    }

    static Process start(String[] args, File output) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED", "-cp",
                System.getProperty("java.class.path"), "org.cmarl.engine.cli.Main"));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output).start();
    }

    interface Check {
        boolean ok() throws IOException;
    }

    private static void waitFor(Check check, Process child, File output) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        while (!check.ok()) {
            if (!child.isAlive()) {
                throw new AssertionError("child exited with " + child.exitValue() + ":\n"
                        + Files.readString(output.toPath()));
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out; child output:\n" + Files.readString(output.toPath()));
            }
            Thread.sleep(0, 200_000);
        }
    }

    private static Path waitForNewRunFolder(Path logDir, List<Path> before, Process child, File output)
            throws Exception {
        Path[] found = new Path[1];
        waitFor(() -> {
            for (Path run : TinyRun.runFolders(logDir)) {
                if (!before.contains(run)) {
                    found[0] = run;
                    return true;
                }
            }
            return false;
        }, child, output);
        return found[0];
    }
}
