package org.cmarl.engine.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reads the event file back with an independent TFRecord + protobuf decoder and checks every checksum. */
class TensorBoardWriterTest {
    @Test
    void shouldFrameRecordsWithValidCrcWhenWritingScalars(@TempDir Path dir) throws IOException {
        Path file;
        try (TensorBoardWriter w = new TensorBoardWriter(dir)) {
            w.scalar("train/loss", 0.25, 1);
            w.scalar("eval/distance_agent0", 12.5, 300);
            w.scalar("eps", 0.1, 1L << 40);
            file = w.file();
        }
        assertTrue(file.getFileName().toString().startsWith("events.out.tfevents."));
        List<byte[]> records = EventFiles.records(Files.readAllBytes(file));
        assertEquals(4, records.size());
        assertTrue(new String(records.get(0), StandardCharsets.ISO_8859_1).contains("brain.Event:2"));
        assertEquals(List.of(new EventFiles.Scalar("train/loss", 0.25f, 1),
                new EventFiles.Scalar("eval/distance_agent0", 12.5f, 300),
                new EventFiles.Scalar("eps", 0.1f, 1L << 40)), EventFiles.scalars(file));
    }

    @Test
    void shouldMatchKnownCrc32cWhenMasking() {
        // CRC-32C of "123456789" is 0xE3069283 (RFC 3720 check value); masked per TFRecord.
        byte[] b = "123456789".getBytes(StandardCharsets.US_ASCII);
        int crc = 0xE3069283;
        assertEquals(((crc >>> 15) | (crc << 17)) + 0xa282ead8, TensorBoardWriter.maskedCrc(b, 0, b.length));
    }
}
