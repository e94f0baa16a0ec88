package org.cmarl.engine.train;

import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32C;

/**
 * Writes TensorBoard event files (scalars only) without TensorFlow: hand-encoded {@code Event} / {@code Summary}
 * protobuf messages in TFRecord framing.
 *
 * <pre>
 *   record := uint64 length (LE) | uint32 masked_crc32c(length bytes) | data[length] | uint32 masked_crc32c(data)
 *   masked_crc32c(x) = ((crc >>> 15) | (crc << 17)) + 0xa282ead8
 *   Event   := 1: double wall_time | 2: int64 step | 3: string file_version | 5: Summary summary
 *   Summary := repeated 1: Value;  Value := 1: string tag | 2: float simple_value
 * </pre>
 * The first record carries {@code file_version = "brain.Event:2"}, as TensorFlow's writer does. Each scalar is
 * flushed so that a TensorBoard watching the run folder sees it at once.
 */
public final class TensorBoardWriter implements AutoCloseable {
    static final int MASK_DELTA = 0xa282ead8;

    private final Path file;
    private final OutputStream out;
    private boolean closed;

    /** Creates {@code events.out.tfevents.<seconds>.<host>} in {@code runDir}. */
    public TensorBoardWriter(Path runDir) throws IOException {
        Files.createDirectories(runDir);
        long seconds = System.currentTimeMillis() / 1000;
        String host = hostName();
        this.file = runDir.resolve("events.out.tfevents." + seconds + "." + host);
        this.out = new BufferedOutputStream(Files.newOutputStream(file));
        ByteArrayOutputStream event = new ByteArrayOutputStream();
        writeDouble(event, 1, System.currentTimeMillis() / 1000.0);
        writeString(event, 3, "brain.Event:2");
        writeRecord(event.toByteArray());
        out.flush();
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "localhost";
        }
    }

    public Path file() { return file; }

    /** Appends one scalar {@code tag} at {@code step}. */
    public void scalar(String tag, double value, long step) throws IOException {
        if (closed) {
            throw new IllegalStateException("TensorBoard writer for " + file + " is closed");
        }
        ByteArrayOutputStream v = new ByteArrayOutputStream();
        writeString(v, 1, tag);
        writeFloat(v, 2, (float) value);
        ByteArrayOutputStream summary = new ByteArrayOutputStream();
        writeBytes(summary, 1, v.toByteArray());
        ByteArrayOutputStream event = new ByteArrayOutputStream();
        writeDouble(event, 1, System.currentTimeMillis() / 1000.0);
        writeVarintField(event, 2, step);
        writeBytes(event, 5, summary.toByteArray());
        writeRecord(event.toByteArray());
        out.flush();
    }

    private void writeRecord(byte[] data) throws IOException {
        ByteBuffer header = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        header.putLong(data.length);
        header.putInt(maskedCrc(header.array(), 0, 8));
        out.write(header.array());
        out.write(data);
        ByteBuffer footer = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
        footer.putInt(maskedCrc(data, 0, data.length));
        out.write(footer.array());
    }

    static int maskedCrc(byte[] b, int off, int len) {
        CRC32C crc = new CRC32C();
        crc.update(b, off, len);
        int c = (int) crc.getValue();
        return ((c >>> 15) | (c << 17)) + MASK_DELTA;
    }

    private static void writeTag(ByteArrayOutputStream o, int field, int wireType) {
        writeVarint(o, ((long) field << 3) | wireType);
    }

    private static void writeVarint(ByteArrayOutputStream o, long v) {
        while ((v & ~0x7FL) != 0) {
            o.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        o.write((int) v);
    }

    private static void writeVarintField(ByteArrayOutputStream o, int field, long v) {
        writeTag(o, field, 0);
        writeVarint(o, v);
    }

    private static void writeDouble(ByteArrayOutputStream o, int field, double v) {
        writeTag(o, field, 1);
        long bits = Double.doubleToLongBits(v);
        for (int i = 0; i < 8; i++) {
            o.write((int) (bits >>> (8 * i)));
        }
    }

    private static void writeFloat(ByteArrayOutputStream o, int field, float v) {
        writeTag(o, field, 5);
        int bits = Float.floatToIntBits(v);
        for (int i = 0; i < 4; i++) {
            o.write(bits >>> (8 * i));
        }
    }

    private static void writeString(ByteArrayOutputStream o, int field, String s) {
        writeBytes(o, field, s.getBytes(StandardCharsets.UTF_8));
    }

    private static void writeBytes(ByteArrayOutputStream o, int field, byte[] b) {
        writeTag(o, field, 2);
        writeVarint(o, b.length);
        o.write(b, 0, b.length);
    }

    @Override
    public void close() throws IOException {
        if (!closed) {
            closed = true;
            out.close();
        }
    }
}
