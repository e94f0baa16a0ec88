package org.cmarl.engine.volume;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Coverage-guided fuzzing (Jazzer) of the image reader. In a normal {@code mvn verify} each target runs once per
 * committed input under {@code src/test/resources/org/cmarl/engine/volume/NiftiFuzzTestInputs/<target>/}; with
 * {@code JAZZER_FUZZ=1} it fuzzes (README, "Hostile input").
 *
 * <p>The contract: statistics of a valid image, or an {@link ImageFormatException} naming the file; for the gzip
 * stream, its bytes or an IOException, never more than deflate can produce from the input. Any other exception, an
 * OutOfMemoryError or a hang is a finding.
 */
class NiftiFuzzTest {
    /**
     * How long one target fuzzes under {@code JAZZER_FUZZ=1} (regression runs ignore it). Jazzer 0.24 takes the
     * duration only from the annotation; the corpus it builds is kept, so running again continues the campaign.
     */
    static final String FUZZ_DURATION = "3m";

    /** Deflate's largest expansion (258-byte matches in about 2 bits), plus slack for the smallest streams. */
    private static final long MAX_DEFLATE_RATIO = 1032;

    /** One reader for every input, as an environment reuses one: also checks that a failure leaves it usable. */
    private static final NiftiReader READER = new NiftiReader(false);
    private static Path dir;
    private static Path file;

    @BeforeAll
    static void createFile() throws IOException {
        // a memory file system where there is one: opening a file on the default /tmp was most of an input's time
        Path shm = Path.of("/dev/shm");
        dir = Files.isDirectory(shm) && Files.isWritable(shm) ? Files.createTempDirectory(shm, "nifti-fuzz")
                : Files.createTempDirectory("nifti-fuzz");
        file = dir.resolve("fuzzed.nii.gz");
    }

    @AfterAll
    static void deleteFile() throws IOException {
        Files.deleteIfExists(file);
        Files.deleteIfExists(dir);
    }

    /** Whole files, plain or gzipped (the reader goes by the magic bytes, not the name). */
    @FuzzTest(maxDuration = FUZZ_DURATION)
    void fuzzNiftiFile(byte[] bytes) {
        try {
            Files.write(file, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            IntensityStats stats = READER.readStats(file);
            assertTrue(Double.isFinite(stats.rawMin()) && Double.isFinite(stats.rawMax()) && stats.rawMin() < stats.rawMax()
                    && Double.isFinite(stats.normalisedMean()),
                    stats.toString());
        } catch (ImageFormatException e) {
            assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
        }
    }

    /**
     * The gzip stream on its own: everything it accepts, java.util.zip also reads, to the same bytes (java.util.zip
     * may stop early at a short member it does not look for, so its output is a prefix of ours).
     */
    @FuzzTest(maxDuration = FUZZ_DURATION)
    void fuzzGzipStream(byte[] bytes) {
        byte[] ours;
        try (GzipStream in = new GzipStream(new ByteArrayInputStream(bytes), 512)) {
            ours = in.readAllBytes();
        } catch (IOException e) {
            return; // corrupt or truncated: the contract allows exactly this
        }
        assertTrue(ours.length <= MAX_DEFLATE_RATIO * bytes.length, ours.length + " bytes from " + bytes.length);
        byte[] theirs;
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(bytes))) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            in.transferTo(out);
            theirs = out.toByteArray();
        } catch (IOException e) {
            throw new AssertionError("accepted a stream java.util.zip refuses: " + e, e);
        }
        assertTrue(theirs.length <= ours.length, "java.util.zip read more: " + theirs.length + " > " + ours.length);
        assertArrayEquals(theirs, Arrays.copyOf(ours, theirs.length));
    }
}
