package org.cmarl.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.cmarl.engine.synth.SyntheticDataset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Exit codes and messages: the engine's bad-input exceptions and file-system errors are exit 2 and one line in words
 * (no Java class names); anything else, an {@link IllegalArgumentException} included, is exit 1 and "internal error",
 * with the stack trace only under {@code RLM_DEBUG=1}. And run folders: never shared by two runs.
 */
class ExitCodeTest {
    /** A subcommand failing the way a defect of the engine would. */
    @CommandLine.Command(name = "boom")
    static final class Boom implements Callable<Integer> {
        @Override
        public Integer call() {
            throw new IllegalArgumentException("capacityTransitions=-1, required >= 1");
        }
    }

    /** A subcommand running out of memory. */
    @CommandLine.Command(name = "oom")
    static final class OutOfMemory implements Callable<Integer> {
        @Override
        public Integer call() {
            throw new OutOfMemoryError("Java heap space");
        }
    }

    record Outcome(int code, String err) {
    }

    private static Outcome run(boolean debug, String... args) {
        StringWriter err = new StringWriter();
        CommandLine cmd = Main.commandLine(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true), debug);
        cmd.addSubcommand("boom", new Boom());
        cmd.addSubcommand("oom", new OutOfMemory());
        int code = Main.execute(cmd, args, new PrintWriter(err, true), debug);
        return new Outcome(code, err.toString());
    }

    @Test
    void shouldExitOneWithInternalErrorWhenAnIllegalArgumentExceptionEscapes() {
        Outcome o = run(false, "boom");
        assertEquals(Main.EXIT_INTERNAL, o.code(), o.err());
        assertEquals("rlm: internal error: capacityTransitions=-1, required >= 1 (please report it)",
                o.err().lines().findFirst().orElse(""));
        assertFalse(o.err().contains("\tat "), o.err());
        assertTrue(o.err().contains("RLM_DEBUG=1"), o.err());
    }

    @Test
    void shouldExitOneWithOneLineWhenMemoryRunsOut() {
        Outcome o = run(false, "oom");
        assertEquals(Main.EXIT_INTERNAL, o.code(), o.err());
        assertEquals("rlm: internal error: out of memory (Java heap space); a larger -Xmx may help (please report it)",
                o.err().lines().findFirst().orElse(""));
        assertFalse(o.err().contains("\tat "), o.err());
    }

    @Test
    void shouldPrintTheStackTraceWhenDebugIsSet() {
        Outcome o = run(true, "boom");
        assertEquals(Main.EXIT_INTERNAL, o.code(), o.err());
        assertTrue(o.err().contains("\tat org.cmarl.engine.cli.ExitCodeTest$Boom.call"), o.err());
    }

    @Test
    void shouldExitTwoWithOneLineWhenAParameterIsInvalid() {
        Outcome o = run(true, "--threads", "many");
        assertEquals(Main.EXIT_BAD_INPUT, o.code(), o.err());
        assertTrue(o.err().startsWith("rlm: Invalid value for option '--threads'"), o.err());
        assertFalse(o.err().contains("\tat "), o.err());
    }

    @Test
    void shouldNameTheProblemInWordsWhenTheFileSystemFails() {
        assertEquals("a.pt: no such file or folder", Main.message(new NoSuchFileException("a.pt")));
        assertEquals("runs/x: permission denied", Main.message(new AccessDeniedException("runs/x")));
        assertEquals("runs/x: permission denied",
                Main.message(new UncheckedIOException(new AccessDeniedException("runs/x"))));
        assertEquals("writing out: runs/x: permission denied",
                Main.message(new UncheckedIOException("writing out", new AccessDeniedException("runs/x"))));
        assertEquals("out/a.csv: no space left on device",
                Main.message(new FileSystemException("out/a.csv", null, "No space left on device")));
        assertEquals("input/output error", Main.message(new IOException()));
        for (Throwable t : List.of(new NoSuchFileException("a"), new AccessDeniedException("a"),
                new FileSystemException("a"), new IOException(), new UncheckedIOException(new NoSuchFileException("a")),
                new IllegalStateException())) {
            String m = Main.message(t);
            assertFalse(m.contains("Exception") || m.contains("(null)") || m.contains("null"), m);
        }
        assertTrue(Main.isBadInput(new NoSuchFileException("a")));
        assertFalse(Main.isBadInput(new IllegalArgumentException("a")));
        assertFalse(Main.isBadInput(new IllegalStateException("a")));
    }

    @Test
    void shouldSayFolderNotMissingWhenAFileListIsAFolder(@TempDir Path dir) throws IOException {
        Path folder = Files.createDirectories(dir.resolve("lists"));
        MainTest.Outcome o = MainTest.run("--task", "eval", "--load", "x.pt", "--files", folder.toString(),
                folder.toString(), "--log_dir", dir.resolve("runs").toString(), "--write");
        // --load is read first: a missing checkpoint is reported as missing...
        MainTest.assertOneLineError(o, "rlm: x.pt: no such file");
        Path landmarks = Files.writeString(dir.resolve("l.txt"), "1,1,1\n");
        Path list = Files.writeString(dir.resolve("images.txt"), folder + "\n");
        Path landmarkList = Files.writeString(dir.resolve("landmarks.txt"), landmarks + "\n");
        MainTest.Outcome listed = MainTest.run("visualise", "--files", list.toString(), landmarkList.toString(),
                "--out", dir.resolve("v").toString());
        // ...and a folder as a folder, not as "does not exist"
        MainTest.assertOneLineError(listed, "rlm: file list " + list + " line 1: " + folder
                + ": is a folder, not a file");
    }

    @Test
    void shouldGiveEachRunItsOwnFolderWhenManyStartInTheSameSecond(@TempDir Path dir) throws Exception {
        int threads = 8;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            for (int round = 0; round < 20; round++) {
                Path logDir = dir.resolve("round" + round);
                CyclicBarrier start = new CyclicBarrier(threads);
                List<Future<Path>> made = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    made.add(pool.submit(() -> {
                        start.await();
                        return RunDirs.create(logDir, "train");
                    }));
                }
                Set<Path> folders = new HashSet<>();
                for (Future<Path> f : made) {
                    folders.add(f.get());
                }
                assertEquals(threads, folders.size(), "one folder per run: " + folders);
                try (var listed = Files.list(logDir)) {
                    assertEquals(threads, listed.count());
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void shouldWriteTwoRunFoldersWhenTwoEvaluationsStartTogether(@TempDir Path dir) throws Exception {
        SyntheticDataset.Result data = SyntheticDataset.generate(dir.resolve("data"), 1, 4, 32);
        Path weights = dir.resolve("w.pt");
        try (var net = org.cmarl.engine.nn.QNetwork.create(org.cmarl.engine.nn.NetworkConfig.of(
                org.cmarl.engine.nn.Architecture.NETWORK3D, 1), 1, org.cmarl.engine.nn.Device.CPU)) {
            org.cmarl.engine.io.PtWriter.writeStateDict(weights, net.stateDict());
        }
        Path logDir = dir.resolve("runs");
        String[] args = {"--task", "eval", "--load", weights.toString(), "--model_name", "Network3d", "--landmarks",
            "0", "--files", data.imageList().toString(), data.landmarkList().toString(), "--fixed_spawn", "0.5", "0.5",
            "0.5", "--steps_per_episode", "3", "--device", "cpu", "--log_dir", logDir.toString(), "--write"};
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            CyclicBarrier start = new CyclicBarrier(2);
            List<Future<MainTest.Outcome>> runs = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                runs.add(pool.submit(() -> {
                    start.await();
                    return MainTest.run(args);
                }));
            }
            for (Future<MainTest.Outcome> r : runs) {
                MainTest.Outcome o = r.get();
                assertEquals(0, o.code(), o.err());
            }
        } finally {
            pool.shutdownNow();
        }
        try (var listed = Files.list(logDir)) {
            List<Path> folders = listed.sorted().toList();
            assertEquals(2, folders.size(), folders.toString());
            for (Path f : folders) {
                // the header and the one episode of this run, not two runs' rows in one file
                assertEquals(2, Files.readAllLines(f.resolve("results.csv")).size(), f.toString());
                // created like any new file here (umask, usually 0644), not 0600 like a Files.createTempFile file
                Path reference = Files.createFile(dir.resolve("reference-" + f.getFileName()));
                assertEquals(java.nio.file.attribute.PosixFilePermissions.toString(
                                Files.getPosixFilePermissions(reference)),
                        java.nio.file.attribute.PosixFilePermissions.toString(
                                Files.getPosixFilePermissions(f.resolve("results.csv"))));
            }
        }
    }
}
