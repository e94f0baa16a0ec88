package org.cmarl.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.nio.file.Files;
import java.nio.file.Path;

import org.bytedeco.pytorch.Context;
import org.cmarl.engine.nn.Torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --device cuda} where libtorch sees no GPU: one line saying why, exit 2, nothing written. */
class DeviceFlagTest {
    @Test
    void shouldExitTwoNamingTheCpuBuildWhenCudaRequestedOnTheCpuBuild(@TempDir Path dir) throws Exception {
        Torch.ensureLoaded();
        assumeFalse(Context.hasCUDA(), "this libtorch is the GPU build (-Pgpu)");
        Path model = MainTest.SHARED.resolve("models/BrainMRI/SingleAgent.pt");
        MainTest.Outcome o = MainTest.run("--task", "eval", "--load", model.toString(), "--model_name", "Network3d",
                "--landmarks", "13", "--files", "a.txt", "b.txt", "--log_dir", dir.toString(), "--device", "cuda", "--write");
        MainTest.assertOneLineError(o, "rlm: --device cuda: this is the CPU build of libtorch (build with mvn -Pgpu, "
                + "see README \"GPU servers\"); use --device cpu or auto");
        assertEquals(1, o.err().lines().count(), o.err());
        try (var files = Files.list(dir)) {
            assertEquals(0, files.count(), "nothing written for a rejected command");
        }
    }
}
