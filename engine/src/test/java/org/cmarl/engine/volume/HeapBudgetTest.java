package org.cmarl.engine.volume;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.cmarl.engine.io.CheckpointException;
import org.cmarl.engine.io.PtReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files whose declared size passes every check on the file but not the JVM's heap: in a JVM started with
 * {@code -Xmx64m}, the readers must refuse them with their own one-line error, not die of OutOfMemoryError.
 */
class HeapBudgetTest {
    @TempDir
    Path dir;

    /** Reads {@code args[1]} as an image ("image") or a checkpoint ("checkpoint"); prints the outcome on one line. */
    public static void main(String[] args) {
        Path file = Path.of(args[1]);
        try {
            if (args[0].equals("image")) {
                new NiftiReader(false).readStats(file);
            } else {
                PtReader.read(file);
            }
            System.out.println("READ");
        } catch (ImageFormatException | CheckpointException e) {
            System.out.println("REFUSED " + e.getMessage());
        } catch (OutOfMemoryError e) {
            System.out.println("OOM " + e);
        }
    }

    private static String runWithSmallHeap(String kind, Path file) throws Exception {
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx64m",
                "-cp", System.getProperty("java.class.path"), HeapBudgetTest.class.getName(), kind, file.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertEquals(0, p.waitFor(), out);
        return out;
    }

    @Test
    void shouldRefuseAnImageTheHeapCannotHoldInsteadOfRunningOutOfMemory() throws Exception {
        // 400^3 uint8 zeros: 64 M voxels, about 62 KB gzipped, within deflate's ratio and the voxel budget, but
        // its scratch (64 MB bytes + 256 MB floats) does not fit a 64 MB heap
        byte[] header = NiftiWriter.of(1, 1, 1).dataType(NiftiDataType.UINT8).encode(new float[] {0});
        ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN).putShort(42, (short) 400).putShort(44, (short) 400)
                .putShort(46, (short) 400);
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
            out.write(header, 0, 352);
            byte[] zeros = new byte[1 << 20];
            for (int i = 0; i < 61; i++) {
                out.write(zeros);
            }
            out.write(zeros, 0, 64_000_000 - 61 * (1 << 20));
        }
        Path f = dir.resolve("big.nii.gz");
        Files.write(f, gz.toByteArray());
        String out = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> runWithSmallHeap("image", f));
        assertTrue(out.startsWith("REFUSED " + f + ": 400x400x400 uint8 voxels need 305 MiB of heap to load, only "),
                out);
    }

    @Test
    void shouldRefuseACheckpointTheHeapCannotHoldInsteadOfRunningOutOfMemory() throws Exception {
        Path f = dir.resolve("big.pt");
        try (var ch = java.nio.channels.FileChannel.open(f, java.nio.file.StandardOpenOption.CREATE_NEW,
                java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[] {1}), 99_999_999L); // a sparse 100 MB file
        }
        String out = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> runWithSmallHeap("checkpoint", f));
        assertTrue(out.startsWith("REFUSED " + f + ": file of 95 MiB needs about 190 MiB of heap to load, only "),
                out);
        assertTrue(List.of(out.split("\n")).size() == 1, out);
    }
}
