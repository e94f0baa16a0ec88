package org.cmarl.engine.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.bytedeco.pytorch.Context;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DeviceTest {
    @Test
    void shouldRefuseCudaNamingTheCpuBuildWhenLibtorchHasNoCuda() {
        Torch.ensureLoaded();
        assumeFalse(Context.hasCUDA(), "this libtorch is the GPU build (-Pgpu)");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Device.parse("cuda"));
        assertEquals("--device cuda: this is the CPU build of libtorch (build with mvn -Pgpu, see README \"GPU "
                + "servers\"); use --device cpu or auto", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Device.parse(" GPU "));
    }

    @Test
    void shouldFallBackToCpuSilentlyWhenAutoOnTheCpuBuild() {
        Torch.ensureLoaded();
        assumeFalse(Context.hasCUDA(), "this libtorch is the GPU build (-Pgpu)");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream notice = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        assertEquals(Device.CPU, Device.parse("AUTO", notice));
        assertEquals("", bytes.toString(StandardCharsets.UTF_8), "the CPU build has no GPU to miss");
    }

    @Test
    void shouldNameTheMissingDriverWhenTheGpuBuildRunsWithoutOne(@TempDir Path dir) {
        assertEquals("no NVIDIA driver is loaded (" + dir.resolve("version") + " is missing)",
                Device.whyNoCuda(true, dir.resolve("version")));
    }

    @Test
    void shouldQuoteTheDriverVersionWhenTheDriverShowsNoDevice(@TempDir Path dir) throws Exception {
        Path version = Files.writeString(dir.resolve("version"),
                "NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.14  Thu Feb 22 01:44:30 UTC 2024\nGCC\n");
        assertEquals("the NVIDIA driver (NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.14  Thu Feb 22 "
                + "01:44:30 UTC 2024) shows libtorch no usable GPU (CUDA 13.1 needs driver 580 or newer and compute "
                + "capability 7.5+; check nvidia-smi and CUDA_VISIBLE_DEVICES)", Device.whyNoCuda(true, version));
    }

    @Test
    void shouldSayCpuBuildBeforeLookingForADriver(@TempDir Path dir) {
        assertTrue(Device.whyNoCuda(false, dir.resolve("version")).startsWith("this is the CPU build"));
    }

    @Test
    void shouldParseCpuAndRejectUnknownNamesWithTheName() {
        assertEquals(Device.CPU, Device.parse(" CPU "));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Device.parse("tpu"));
        assertEquals("device 'tpu' unknown, expected cpu, cuda or auto", e.getMessage());
    }

    @Test
    void shouldUseRequestedThreadCountWhenSet() {
        int before = Torch.threads();
        try {
            Torch.setThreads(1);
            assertEquals(1, Torch.threads());
        } finally {
            Torch.setThreads(before);
        }
    }

    @Test
    void shouldTakeCudaLocalRankWhenTheHostShowsSeveralGpus() {
        assertEquals(0, Device.cudaIndexFor(0, 8));
        assertEquals(3, Device.cudaIndexFor(3, 8));
        assertEquals(7, Device.cudaIndexFor(7, 8));
    }

    @Test
    void shouldTakeCudaZeroWhenEachRankSeesItsOwnGpu() {
        // rlm launch and srun --gpus-per-task=1 narrow CUDA_VISIBLE_DEVICES to one device per rank
        assertEquals(0, Device.cudaIndexFor(5, 1));
        assertEquals(0, Device.cudaIndexFor(0, 1));
    }

    @Test
    void shouldRefuseWhenTheHostHasFewerGpusThanLocalRanks() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Device.cudaIndexFor(2, 2));
        assertEquals("LOCAL_RANK 2 but this host shows 2 CUDA devices (cuda:0..cuda:1); start at most 2 ranks per "
                + "host, or give each rank one device with CUDA_VISIBLE_DEVICES", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Device.cudaIndexFor(0, 0));
        assertThrows(IllegalArgumentException.class, () -> Device.cudaIndexFor(-1, 4));
    }

    @Test
    void shouldBuildTensorsOnCudaZeroWhenNoLauncherChoseAnother() {
        assertEquals(0, Device.cudaIndex());
    }
}
