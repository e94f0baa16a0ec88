package org.cmarl.engine.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Reads TensorBoard event files back, checking both CRC32C checksums of every record (TFRecord framing) and
 * decoding the scalar events (Event{1: wall_time, 2: step, 5: Summary{1: Value{1: tag, 2: simple_value}}}).
 */
final class EventFiles {
    record Scalar(String tag, float value, long step) {
    }

    private EventFiles() {
    }

    /** The single {@code events.out.tfevents.*} file of a run folder. */
    static Path eventFile(Path runDir) throws IOException {
        try (Stream<Path> s = Files.list(runDir)) {
            List<Path> files = s.filter(p -> p.getFileName().toString().startsWith("events.out.tfevents."))
                    .toList();
            assertEquals(1, files.size(), "event files in " + runDir + ": " + files);
            return files.get(0);
        }
    }

    /** Every scalar of the file, in order (the first record, the file version event, is checked and skipped). */
    static List<Scalar> scalars(Path file) throws IOException {
        List<byte[]> records = records(Files.readAllBytes(file));
        assertEquals(true, new String(records.get(0), StandardCharsets.ISO_8859_1).contains("brain.Event:2"),
                "version record first");
        List<Scalar> out = new ArrayList<>();
        for (byte[] r : records.subList(1, records.size())) {
            out.add(decodeEvent(r));
        }
        return out;
    }

    static List<byte[]> records(byte[] file) {
        ByteBuffer in = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        List<byte[]> out = new ArrayList<>();
        while (in.hasRemaining()) {
            byte[] len = new byte[8];
            in.get(len);
            assertEquals(TensorBoardWriter.maskedCrc(len, 0, 8), in.getInt(), "length crc of record " + out.size());
            long n = ByteBuffer.wrap(len).order(ByteOrder.LITTLE_ENDIAN).getLong();
            byte[] data = new byte[(int) n];
            in.get(data);
            assertEquals(TensorBoardWriter.maskedCrc(data, 0, data.length), in.getInt(),
                    "data crc of record " + out.size());
            out.add(data);
        }
        return out;
    }

    private static Scalar decodeEvent(byte[] event) {
        ByteBuffer in = ByteBuffer.wrap(event).order(ByteOrder.LITTLE_ENDIAN);
        long step = 0;
        String tag = null;
        float value = Float.NaN;
        while (in.hasRemaining()) {
            long key = varint(in);
            int field = (int) (key >>> 3);
            int wire = (int) (key & 7);
            if (field == 1 && wire == 1) {
                in.getDouble();
            } else if (field == 2 && wire == 0) {
                step = varint(in);
            } else if (field == 5 && wire == 2) {
                ByteBuffer summary = slice(in, (int) varint(in));
                assertEquals((1 << 3) | 2, varint(summary), "Summary.value");
                ByteBuffer v = slice(summary, (int) varint(summary));
                assertEquals((1 << 3) | 2, varint(v), "Value.tag");
                byte[] t = new byte[(int) varint(v)];
                v.get(t);
                tag = new String(t, StandardCharsets.UTF_8);
                assertEquals((2 << 3) | 5, varint(v), "Value.simple_value");
                value = v.getFloat();
            } else {
                throw new AssertionError("unexpected field " + field + " wire " + wire);
            }
        }
        return new Scalar(tag, value, step);
    }

    private static ByteBuffer slice(ByteBuffer in, int n) {
        ByteBuffer s = in.slice(in.position(), n).order(ByteOrder.LITTLE_ENDIAN);
        in.position(in.position() + n);
        return s;
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
