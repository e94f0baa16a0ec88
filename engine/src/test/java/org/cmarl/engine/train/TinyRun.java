package org.cmarl.engine.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import org.cmarl.engine.cli.Main;
import org.cmarl.engine.synth.SyntheticDataset;

/**
 * A training run small enough for unit tests (seconds on 2 CPU cores): 2 synthetic 32^3 training phantoms and 1
 * validation phantom, one Network3d agent on landmark 0, 6-step episodes, batch 2, an update every 3 steps,
 * 4 episodes = 2 epochs, through the real command line ({@link Main#run}).
 */
final class TinyRun {
    final Path data;
    final SyntheticDataset.Result train;
    final SyntheticDataset.Result val;

    TinyRun(Path dir) {
        this.data = dir;
        this.train = SyntheticDataset.generate(dir.resolve("train"), 2, 11, 32);
        this.val = SyntheticDataset.generate(dir.resolve("val"), 1, 12, 32);
    }

    /**
     * The tiny run's arguments with {@code logDir}; each flag in {@code extra} (with the values after it) replaces
     * the tiny run's own (picocli rejects a repeated flag) or is added.
     */
    String[] args(Path logDir, String... extra) {
        java.util.LinkedHashMap<String, List<String>> flags = new java.util.LinkedHashMap<>();
        parse(flags, List.of("--task", "train",
                "--files", train.imageList().toString(), train.landmarkList().toString(),
                "--val_files", val.imageList().toString(), val.landmarkList().toString(),
                "--landmarks", "0", "--model_name", "Network3d", "--max_episodes", "4", "--steps_per_episode", "6",
                "--memory_size", "200", "--init_memory_size", "6", "--batch_size", "2", "--train_freq", "3",
                "--target_update_freq", "2", "--delta", "0.2", "--seed", "5", "--device", "cpu",
                "--log_dir", logDir.toString(), "--write"));
        parse(flags, Arrays.asList(extra));
        List<String> a = new ArrayList<>();
        flags.forEach((flag, values) -> {
            a.add(flag);
            a.addAll(values);
        });
        return a.toArray(String[]::new);
    }

    private static void parse(java.util.Map<String, List<String>> flags, List<String> args) {
        List<String> values = null;
        for (String s : args) {
            if (s.startsWith("--")) {
                values = new ArrayList<>();
                flags.put(s, values);
            } else {
                values.add(s);
            }
        }
    }

    /** Exit code, standard output and standard error of one command line. */
    record Outcome(int exitCode, String out, String err) {
    }

    static Outcome run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int rc;
        try (PrintWriter o = new PrintWriter(out, true); PrintWriter e = new PrintWriter(err, true)) {
            rc = Main.run(args, o, e);
        }
        return new Outcome(rc, out.toString(), err.toString());
    }

    /** Runs and expects success; returns the run folders under {@code logDir} created by this run. */
    static Path runOk(Path logDir, String... args) throws IOException {
        List<Path> before = runFolders(logDir);
        Outcome o = run(args);
        assertEquals(0, o.exitCode(), () -> "exit code; stderr: " + o.err() + "\nstdout: " + o.out());
        List<Path> after = new ArrayList<>(runFolders(logDir));
        after.removeAll(before);
        assertEquals(1, after.size(), "one new run folder in " + logDir + ": " + after);
        return after.get(0);
    }

    static List<Path> runFolders(Path logDir) throws IOException {
        if (!Files.isDirectory(logDir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(logDir)) {
            return s.filter(Files::isDirectory).sorted().toList();
        }
    }

    /** The lines of progress.csv after the header. */
    static List<String[]> progressRows(Path runDir) throws IOException {
        List<String> lines = Files.readAllLines(runDir.resolve("progress.csv"));
        List<String[]> rows = new ArrayList<>();
        for (String l : lines.subList(1, lines.size())) {
            rows.add(l.split(",", -1));
        }
        return rows;
    }
}
