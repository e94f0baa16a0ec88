package org.cmarl.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import org.cmarl.engine.synth.SyntheticDataset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The demo's data and loading stages (training is covered by the trainer's tests). */
class DemoCommandTest {
    @Test
    void shouldReportLandmarksOfTheGeneratedPhantomsWhenRunWithoutTraining(@TempDir Path dir) throws Exception {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new String[]{"demo", "--out", dir.toString(), "--episodes", "0", "--seed", "3"},
                new PrintWriter(out, true), new PrintWriter(err, true));
        assertEquals(0, code, err.toString());
        // the same seed regenerates the same phantoms: their landmark voxels must be what the demo reported
        SyntheticDataset.Result expected = SyntheticDataset.generate(dir.resolve("check"), 4, 3, 48);
        String text = out.toString();
        for (int i = 0; i < 4; i++) {
            int[] l0 = expected.landmarkVoxels().get(i)[0];
            String line = text.lines().filter(s -> s.contains(expected.images().get(0).getFileName().toString()))
                    .findFirst().orElse("");
            assertTrue(line.contains("48x48x48"), line);
            assertTrue(text.contains(String.format("0:(%d,%d,%d)", l0[0], l0[1], l0[2])), text);
        }
        assertTrue(Files.exists(dir.resolve("synthetic/train/image_files.txt")));
        assertTrue(Files.exists(dir.resolve("synthetic/val/landmark_files.txt")));
    }
}
