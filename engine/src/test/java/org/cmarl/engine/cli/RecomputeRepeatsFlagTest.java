package org.cmarl.engine.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --recompute_repeats}: evaluation runs the network at every step; the results file is byte for byte the
 * default run's (which reuses repeated observations' Q-values), and the summary says how many were reused.
 */
class RecomputeRepeatsFlagTest {
    private static final Path BRAIN = MainTest.SHARED.resolve("sample-data/brain");
    private static final Path MODEL = MainTest.SHARED.resolve("models/BrainMRI/SingleAgent.pt");
    private static final Pattern REPEATS = Pattern.compile("(\\d+) of (\\d+) observations were repeats");

    @Test
    void shouldWriteTheSameResultsWhenRecomputingRepeats(@TempDir Path dir) throws Exception {
        Path images = dir.resolve("images.txt");
        Path landmarks = dir.resolve("landmarks.txt");
        Files.write(images, List.of(BRAIN.resolve(Files.readAllLines(BRAIN.resolve("image_files.txt")).get(0))
                .toString()));
        Files.write(landmarks, List.of(BRAIN.resolve(Files.readAllLines(BRAIN.resolve("landmark_files.txt")).get(0))
                .toString()));
        long[][] counts = new long[2][];
        byte[][] csv = new byte[2][];
        for (int recompute = 0; recompute < 2; recompute++) {
            Path runs = dir.resolve("runs" + recompute);
            List<String> args = new java.util.ArrayList<>(List.of("--task", "eval", "--load", MODEL.toString(),
                    "--model_name", "Network3d", "--landmarks", "13", "--files", images.toString(),
                    landmarks.toString(), "--fixed_spawn", "0.5", "0.5", "0.5", "0.25", "0.75", "0.25",
                    "--device", "cpu", "--write", "--log_dir", runs.toString()));
            if (recompute == 1) {
                args.add("--recompute_repeats");
            }
            MainTest.Outcome o = MainTest.run(args.toArray(new String[0]));
            assertEquals(0, o.code(), o.err());
            Matcher m = REPEATS.matcher(o.out());
            assertTrue(m.find(), "stdout was: " + o.out());
            counts[recompute] = new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2))};
            try (Stream<Path> files = Files.walk(runs)) {
                Path results = files.filter(f -> f.getFileName().toString().equals("results.csv")).findFirst()
                        .orElseThrow();
                csv[recompute] = Files.readAllBytes(results);
            }
        }
        assertArrayEquals(csv[1], csv[0], "results.csv with and without reuse");
        assertEquals(counts[1][1], counts[0][1], "observations");
        assertEquals(0, counts[1][0], "--recompute_repeats reused nothing");
        assertTrue(counts[0][0] > 0, "the default reused " + counts[0][0] + " of " + counts[0][1]);
    }

    @Test
    void shouldRefuseRecomputeRepeatsWhenTraining(@TempDir Path dir) throws Exception {
        Path list = dir.resolve("images.txt");
        Files.write(list, List.of(dir.resolve("missing.nii.gz").toString()));
        MainTest.Outcome o = MainTest.run("--task", "train", "--model_name", "Network3d", "--landmarks", "13",
                "--files", list.toString(), list.toString(), "--recompute_repeats", "--device", "cpu",
                "--log_dir", dir.resolve("runs").toString());
        MainTest.assertOneLineError(o, "rlm: --recompute_repeats applies to --task eval and play");
    }
}
