package org.cmarl.engine.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.bytedeco.openblas.presets.openblas_nolapack;
import org.cmarl.engine.observation.FrameType;
import org.junit.jupiter.api.Test;

class TorchLoadingTest {
    @Test
    void shouldRunTorchWhenJavacppCacheIsCold() throws Exception {
        Path cache = Files.createTempDirectory("javacpp-cold-cache");
        try {
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            ProcessBuilder pb = new ProcessBuilder(List.of(java,
                    "-Dorg.bytedeco.javacpp.cachedir=" + cache,
                    "-cp", System.getProperty("java.class.path"),
                    TorchSmokeMain.class.getName()));
            pb.redirectErrorStream(true);
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(120, TimeUnit.SECONDS), "child JVM timed out: " + out);
            assertEquals(0, p.exitValue(), "child JVM failed: " + out);
            assertTrue(out.contains("result=37.5"), "unexpected child output: " + out);
            try (Stream<Path> files = Files.walk(cache)) {
                assertTrue(files.anyMatch(f -> f.getFileName().toString().equals("libtorch_cpu.so")),
                        "libtorch_cpu.so was not extracted into " + cache);
            }
        } finally {
            deleteTree(cache);
        }
    }

    @Test
    void shouldDefaultToAllCoresSharedAmongLocalProcessesWhenNoThreadsAreGiven() {
        assertEquals(8, Torch.defaultThreads(null, null, 8));
        assertEquals(4, Torch.defaultThreads(null, "2", 8));
        assertEquals(1, Torch.defaultThreads(null, "16", 8), "never below one thread");
        assertEquals(8, Torch.defaultThreads(null, "x", 8));
        assertEquals(0, Torch.defaultThreads("3", "2", 8), "OMP_NUM_THREADS: libtorch's own reading stands");
        assertEquals(8, Torch.defaultThreads(" ", null, 8));
    }

    @Test
    void shouldUseEveryCoreWhenSetToTheDefault() {
        int before = Torch.threads();
        try {
            Torch.setThreads(1);
            Torch.setDefaultThreads();
            int expected = Torch.defaultThreads(System.getenv("OMP_NUM_THREADS"), System.getenv("LOCAL_WORLD_SIZE"),
                    Runtime.getRuntime().availableProcessors());
            assertEquals(expected == 0 ? 1 : expected, Torch.threads());
        } finally {
            Torch.setThreads(before);
        }
    }

    @Test
    void shouldKeepOpenBlasToOneThreadWhenLibtorchIsLoaded() {
        Torch.ensureLoaded();
        assertEquals(1, openblas_nolapack.blas_get_num_threads());
    }

    /**
     * OpenBLAS's pool threads busy-wait for about 0.1 s after each call (measured: 110-140 ms of CPU in the half
     * second after one forward); with the pool at one thread nothing runs while the caller sleeps. Counted over the
     * process's native threads named "java" (threads created from the Java main thread, as OpenBLAS's and OpenMP's
     * are); the JVM's own compiler and GC threads carry other names.
     */
    @Test
    void shouldLeaveNoThreadBusyWhenForwardReturns() throws Exception {
        assumeTrue(Files.isDirectory(Path.of("/proc/self/task")), "needs Linux /proc");
        int threadsBefore = Torch.threads();
        Torch.setThreads(1);
        try (QNetwork net = QNetwork.create(NetworkConfig.of(Architecture.NETWORK3D, 1), 1, Device.CPU);
             ObservationBuffer obs = ObservationBuffer.allocate(1, 1, FrameType.FLOAT32)) {
            float[] q = new float[6];
            for (int i = 0; i < 3; i++) {
                net.forward(obs, 1, q);
            }
            long before = javaThreadCpuTicks();
            Thread.sleep(400);
            long busyMs = (javaThreadCpuTicks() - before) * 10; // USER_HZ = 100 on Linux
            assertTrue(busyMs < 60, "threads named java used " + busyMs + " ms of CPU in 400 ms after a forward");
        } finally {
            Torch.setThreads(threadsBefore);
        }
    }

    /** utime + stime (clock ticks) summed over this process's threads whose name is "java". */
    private static long javaThreadCpuTicks() throws IOException {
        long ticks = 0;
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : tasks.toList()) {
                try {
                    if (!Files.readString(task.resolve("comm")).strip().equals("java")) {
                        continue;
                    }
                    String stat = Files.readString(task.resolve("stat"));
                    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    ticks += Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
                } catch (IOException gone) {
                    // the thread ended between the listing and the read: it is not busy
                }
            }
        }
        return ticks;
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> files = Files.walk(root)) {
            for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(f);
            }
        }
    }
}
