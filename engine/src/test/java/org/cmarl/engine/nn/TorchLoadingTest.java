package org.cmarl.engine.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

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

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> files = Files.walk(root)) {
            for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(f);
            }
        }
    }
}
