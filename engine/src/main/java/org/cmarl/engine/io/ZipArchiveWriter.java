package org.cmarl.engine.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32;

/**
 * Writes a zip archive the way PyTorch's {@code PyTorchStreamWriter} (miniz) does, so that {@code torch.load} and
 * {@code mmap=True} loading find what they expect: every entry stored (method 0) with its data aligned to
 * {@value #ALIGNMENT_BYTES} bytes, the padding carried in the local header's extra field {@code "FB" <len> "ZZZ..."},
 * sizes and CRC in a data descriptor after the data (flag bit 3) and in the central directory, DOS time/date 0, and
 * the zip64 end records always present.
 *
 * <pre>
 * local header (30 B, crc/sizes 0) | name | "FB" u16 pad | 'Z' * pad | data (64-aligned) | PK\7\8 crc csize size
 * ... central directory ... | zip64 end record (56 B) | zip64 locator (20 B) | end record (22 B)
 * </pre>
 * Archives must stay below 4 GiB (no zip64 per-entry fields are written).
 */
final class ZipArchiveWriter {
    static final int ALIGNMENT_BYTES = 64;
    private static final int LOCAL_HEADER_BYTES = 30;
    private static final int FLAGS_DATA_DESCRIPTOR_UTF8 = 0x0808;
    private static final long MAX_ARCHIVE_BYTES = 0xffffffffL;

    private record Written(byte[] name, long localHeaderOffset, int crc, long sizeBytes) {
    }

    private final OutputStream out;
    private final List<Written> written = new ArrayList<>();
    private long position;

    ZipArchiveWriter(OutputStream out) {
        this.out = out;
    }

    /** Appends one stored entry; its data starts at a multiple of {@value #ALIGNMENT_BYTES} in the file. */
    void add(String name, byte[] data) throws IOException {
        byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
        long localHeaderOffset = position;
        // Same arithmetic as PyTorch's getPadding(): the 4 bytes of the "FB" field header count before the data.
        long start = position + LOCAL_HEADER_BYTES + nameBytes.length + 4;
        int padding = (int) ((ALIGNMENT_BYTES - start % ALIGNMENT_BYTES) % ALIGNMENT_BYTES);
        CRC32 crc32 = new CRC32();
        crc32.update(data);
        int crc = (int) crc32.getValue();
        if (position + LOCAL_HEADER_BYTES + nameBytes.length + 4 + padding + data.length + 16 > MAX_ARCHIVE_BYTES) {
            throw new IOException("archive would exceed 4 GiB at entry " + name + " (" + data.length + " bytes)");
        }

        le32(0x04034b50);
        le16(0); // version needed, as PyTorch writes it
        le16(FLAGS_DATA_DESCRIPTOR_UTF8);
        le16(0); // stored
        le16(0); // time
        le16(0); // date
        le32(0); // crc, in the data descriptor
        le32(0); // compressed size, idem
        le32(0); // size, idem
        le16(nameBytes.length);
        le16(4 + padding);
        write(nameBytes);
        write(new byte[] {'F', 'B'});
        le16(padding);
        byte[] pad = new byte[padding];
        Arrays.fill(pad, (byte) 'Z');
        write(pad);
        write(data);
        le32(0x08074b50);
        le32(crc);
        le32(data.length);
        le32(data.length);
        written.add(new Written(nameBytes, localHeaderOffset, crc, data.length));
    }

    /** Writes the central directory and end records. Does not close the stream. */
    void finish() throws IOException {
        long cdOffset = position;
        for (Written w : written) {
            le32(0x02014b50);
            le16(0); // version made by
            le16(0); // version needed
            le16(FLAGS_DATA_DESCRIPTOR_UTF8);
            le16(0); // stored
            le16(0); // time
            le16(0); // date
            le32(w.crc());
            le32((int) w.sizeBytes());
            le32((int) w.sizeBytes());
            le16(w.name().length);
            le16(0); // extra
            le16(0); // comment
            le16(0); // disk
            le16(0); // internal attributes
            le32(0); // external attributes
            le32((int) w.localHeaderOffset());
            write(w.name());
        }
        long cdBytes = position - cdOffset;
        long zip64EndOffset = position;
        le32(0x06064b50);
        le64(44); // size of the rest of this record
        le16(0x031e); // made by, as miniz writes it
        le16(0x002d); // version needed: 4.5 (zip64)
        le32(0);
        le32(0);
        le64(written.size());
        le64(written.size());
        le64(cdBytes);
        le64(cdOffset);
        le32(0x07064b50);
        le32(0);
        le64(zip64EndOffset);
        le32(1);
        le32(0x06054b50);
        le16(0);
        le16(0);
        le16(written.size());
        le16(written.size());
        le32((int) cdBytes);
        le32((int) cdOffset);
        le16(0);
    }

    private void write(byte[] b) throws IOException {
        out.write(b);
        position += b.length;
    }

    private void le16(int v) throws IOException {
        out.write(v);
        out.write(v >>> 8);
        position += 2;
    }

    private void le32(int v) throws IOException {
        le16(v & 0xffff);
        le16(v >>> 16);
    }

    private void le64(long v) throws IOException {
        le32((int) v);
        le32((int) (v >>> 32));
    }
}
