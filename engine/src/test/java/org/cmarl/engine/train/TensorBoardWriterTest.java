package org.cmarl.engine.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reads the event file back with an independent TFRecord + protobuf decoder and checks every checksum. */
class TensorBoardWriterTest {
    record Scalar(String tag, float value, long step) {
    }

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
        List<byte[]> records = readRecords(Files.readAllBytes(file));
        assertEquals(4, records.size());
        assertTrue(new String(records.get(0), StandardCharsets.ISO_8859_1).contains("brain.Event:2"));
        List<Scalar> scalars = new ArrayList<>();
        for (int i = 1; i < records.size(); i++) {
            scalars.add(decodeEvent(records.get(i)));
        }
        assertEquals(List.of(new Scalar("train/loss", 0.25f, 1), new Scalar("eval/distance_agent0", 12.5f, 300),
                new Scalar("eps", 0.1f, 1L << 40)), scalars);
    }

    @Test
    void shouldMatchKnownCrc32cWhenMasking() {
        // CRC-32C of "123456789" is 0xE3069283 (RFC 3720 check value); masked per TFRecord.
        byte[] b = "123456789".getBytes(StandardCharsets.US_ASCII);
        int crc = 0xE3069283;
        assertEquals(((crc >>> 15) | (crc << 17)) + 0xa282ead8, TensorBoardWriter.maskedCrc(b, 0, b.length));
    }

    private static List<byte[]> readRecords(byte[] file) {
        ByteBuffer in = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        List<byte[]> out = new ArrayList<>();
        while (in.hasRemaining()) {
            byte[] len = new byte[8];
            in.get(len);
            assertEquals(TensorBoardWriter.maskedCrc(len, 0, 8), in.getInt(), "length crc");
            long n = ByteBuffer.wrap(len).order(ByteOrder.LITTLE_ENDIAN).getLong();
            byte[] data = new byte[(int) n];
            in.get(data);
            assertEquals(TensorBoardWriter.maskedCrc(data, 0, data.length), in.getInt(), "data crc");
            out.add(data);
        }
        return out;
    }

    /** Minimal protobuf decoding of Event{1: double, 2: varint, 5: Summary{1: Value{1: string, 2: float}}}. */
    private static Scalar decodeEvent(byte[] event) {
        ByteBuffer in = ByteBuffer.wrap(event).order(ByteOrder.LITTLE_ENDIAN);
        long step = 0;
        Scalar s = null;
        while (in.hasRemaining()) {
            long key = varint(in);
            int field = (int) (key >>> 3);
            int wire = (int) (key & 7);
            if (field == 1 && wire == 1) {
                in.getDouble();
            } else if (field == 2 && wire == 0) {
                step = varint(in);
            } else if (field == 5 && wire == 2) {
                byte[] summary = new byte[(int) varint(in)];
                in.get(summary);
                s = decodeSummary(summary);
            } else {
                throw new AssertionError("unexpected field " + field + " wire " + wire);
            }
        }
        return new Scalar(s.tag(), s.value(), step);
    }

    private static Scalar decodeSummary(byte[] summary) {
        ByteBuffer in = ByteBuffer.wrap(summary).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals((1 << 3) | 2, varint(in));
        byte[] value = new byte[(int) varint(in)];
        in.get(value);
        assertEquals(0, in.remaining());
        ByteBuffer v = ByteBuffer.wrap(value).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals((1 << 3) | 2, varint(v));
        byte[] tag = new byte[(int) varint(v)];
        v.get(tag);
        assertEquals((2 << 3) | 5, varint(v));
        float f = v.getFloat();
        assertArrayEquals(new byte[0], new byte[v.remaining()]);
        return new Scalar(new String(tag, StandardCharsets.UTF_8), f, 0);
    }

    private static long varint(ByteBuffer in) {
        long v = 0;
        for (int shift = 0; ; shift += 7) {
            byte b = in.get();
            v |= (long) (b & 0x7F) << shift;
            if (b >= 0) {
                return v;
            }
        }
    }
}
