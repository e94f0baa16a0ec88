package org.cmarl.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --precision} and {@code --train_precision} at the command line: bad values are one-line errors, early. */
class PrecisionFlagTest {
    private static final Path MODEL = MainTest.SHARED.resolve("models/BrainMRI/SingleAgent.pt");

    @Test
    void shouldRejectAnUnknownPrecisionBeforeCreatingAnyFolderWhenEvaluating(@TempDir Path dir) throws Exception {
        Path runs = dir.resolve("runs");
        Path list = dir.resolve("images.txt");
        Files.write(list, List.of(dir.resolve("missing.nii.gz").toString()));
        MainTest.Outcome o = MainTest.run("--task", "eval", "--load", MODEL.toString(), "--model_name", "Network3d",
                "--landmarks", "13", "--files", list.toString(), list.toString(), "--precision", "fp16",
                "--device", "cpu", "--log_dir", runs.toString(), "--write");
        MainTest.assertOneLineError(o, "rlm: --precision fp16 is not one of fp32, bf16, auto");
        assertTrue(!Files.exists(runs), "a run folder was created");
    }

    @Test
    void shouldRejectAnUnknownTrainPrecisionWhenTraining(@TempDir Path dir) throws Exception {
        Path list = dir.resolve("images.txt");
        Files.write(list, List.of(dir.resolve("missing.nii.gz").toString()));
        MainTest.Outcome o = MainTest.run("--task", "train", "--model_name", "Network3d", "--landmarks", "13",
                "--files", list.toString(), list.toString(), "--train_precision", "half", "--device", "cpu",
                "--log_dir", dir.resolve("runs").toString());
        MainTest.assertOneLineError(o, "rlm: --train_precision half is not one of fp32, bf16, auto");
    }

    @Test
    void shouldSayWhatAutoChoseInOneLineWhenEvaluating(@TempDir Path dir) throws Exception {
        Path list = dir.resolve("images.txt");
        Files.write(list, List.of(dir.resolve("missing.nii.gz").toString()));
        MainTest.Outcome o = MainTest.run("--task", "eval", "--load", MODEL.toString(), "--model_name", "Network3d",
                "--landmarks", "13", "--files", list.toString(), list.toString(), "--precision", "auto",
                "--device", "cpu", "--log_dir", dir.resolve("runs").toString());
        // the image list names a missing file: the run stops after the flags were checked
        assertEquals(2, o.code(), o.err());
        String line = o.out().lines().filter(l -> l.startsWith("precision auto: ")).findFirst().orElse("");
        assertTrue(line.startsWith("precision auto: bf16 (the CPU has ") || line.startsWith("precision auto: fp32 ("),
                "stdout was: " + o.out());
    }
}
