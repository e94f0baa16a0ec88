package org.cmarl.engine.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

class DeviceTest {
    @Test
    void shouldFallBackToCpuWithOneNoticeWhenCudaRequestedWithoutGpu() {
        Torch.ensureLoaded();
        assumeFalse(torch.cuda_is_available(), "this machine has a GPU");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream notice = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        assertEquals(Device.CPU, Device.parse("cuda", notice));
        assertEquals("device cuda requested but libtorch sees no CUDA device; running on the CPU\n",
                bytes.toString(StandardCharsets.UTF_8));
        bytes.reset();
        assertEquals(Device.CPU, Device.parse("AUTO", notice));
        assertEquals("", bytes.toString(StandardCharsets.UTF_8), "auto falls back silently");
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
}
