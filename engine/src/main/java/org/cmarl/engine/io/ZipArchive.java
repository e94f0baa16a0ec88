package org.cmarl.engine.io;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;

/**
 * A minimal reader of the zip archives {@code torch.save} writes, over the whole file held in memory.
 *
 * <p>PyTorch stores every entry uncompressed (method 0), its data 64-byte aligned, with CRC and sizes in the
 * central directory and a data descriptor (the local header has them zeroed); it always writes the zip64 end
 * records. Only what is needed is parsed: the end of central directory (zip64 if present), the central directory,
 * and each entry's local header to find where its data starts. Every offset and size is checked against the file.
 *
 * <pre>
 * [local header 30 B | name | extra ("FB" padding) | data ...]*  [central directory]  [zip64 EOCD | locator]  EOCD
 * </pre>
 */
final class ZipArchive {
    private static final int LOCAL_HEADER_SIG = 0x04034b50;
    private static final int CENTRAL_HEADER_SIG = 0x02014b50;
    private static final int EOCD_SIG = 0x06054b50;
    private static final int ZIP64_EOCD_SIG = 0x06064b50;
    private static final int ZIP64_LOCATOR_SIG = 0x07064b50;
    private static final int EOCD_BYTES = 22;
    private static final int ZIP64_LOCATOR_BYTES = 20;
    private static final int LOCAL_HEADER_BYTES = 30;
    private static final int CENTRAL_HEADER_BYTES = 46;
    private static final int MAX_COMMENT_BYTES = 0xffff;
    private static final int ZIP64_EXTRA_ID = 0x0001;

    /** One stored entry: where its bytes are in the file. */
    record Entry(String name, int dataOffset, int sizeBytes, int crc32) {
    }

    private final Path file;
    private final byte[] buf;
    private final Map<String, Entry> entries = new LinkedHashMap<>();

    ZipArchive(Path file, byte[] buf) throws CheckpointException {
        this.file = file;
        this.buf = buf;
        parse();
    }

    /** Entries by name, in central directory order. */
    Map<String, Entry> entries() { return entries; }

    /** The entry's bytes are checked against its CRC-32 (PyTorch's reader checks it too). */
    void verifyCrc(Entry e) throws CheckpointException {
        CRC32 crc = new CRC32();
        crc.update(buf, e.dataOffset(), e.sizeBytes());
        if ((int) crc.getValue() != e.crc32()) {
            throw new CheckpointException(file, "zip entry " + e.name() + " is corrupt: CRC-32 "
                    + Integer.toHexString((int) crc.getValue()) + ", expected " + Integer.toHexString(e.crc32()));
        }
    }

    private void parse() throws CheckpointException {
        int eocd = findEndOfCentralDirectory();
        long entryCount = u16(eocd + 10);
        long cdBytes = u32(eocd + 12);
        long cdOffset = u32(eocd + 16);
        int locator = eocd - ZIP64_LOCATOR_BYTES;
        if (locator >= 0 && i32(locator) == ZIP64_LOCATOR_SIG) {
            long zip64Eocd = i64(locator + 8);
            if (zip64Eocd < 0 || zip64Eocd > locator - 56) {
                throw corrupt("zip64 end record offset " + zip64Eocd + " outside the file");
            }
            int z = (int) zip64Eocd;
            if (i32(z) != ZIP64_EOCD_SIG) {
                throw corrupt("no zip64 end record at offset " + z);
            }
            entryCount = i64(z + 32);
            cdBytes = i64(z + 40);
            cdOffset = i64(z + 48);
        }
        if (cdOffset < 0 || cdBytes < 0 || cdOffset > eocd || cdBytes > eocd - cdOffset) {
            throw corrupt("central directory (offset " + cdOffset + ", " + cdBytes + " bytes) outside the file");
        }
        // Each central header takes at least 46 bytes: a larger count cannot be true.
        if (entryCount < 0 || entryCount > cdBytes / CENTRAL_HEADER_BYTES) {
            throw corrupt("central directory claims " + entryCount + " entries in " + cdBytes + " bytes");
        }
        int p = (int) cdOffset;
        int cdEnd = (int) (cdOffset + cdBytes);
        for (long i = 0; i < entryCount; i++) {
            if (p > cdEnd - CENTRAL_HEADER_BYTES || i32(p) != CENTRAL_HEADER_SIG) {
                throw corrupt("central directory entry " + i + " at offset " + p + " is damaged");
            }
            int method = u16(p + 10);
            int crc = i32(p + 16);
            long compressed = u32(p + 20);
            long size = u32(p + 24);
            int nameLen = u16(p + 28);
            int extraLen = u16(p + 30);
            int commentLen = u16(p + 32);
            long localOffset = u32(p + 42);
            int next = p + CENTRAL_HEADER_BYTES + nameLen + extraLen + commentLen;
            if (next > cdEnd) {
                throw corrupt("central directory entry " + i + " runs past the directory");
            }
            String name = new String(buf, p + CENTRAL_HEADER_BYTES, nameLen, StandardCharsets.UTF_8);
            // zip64 extra field: the 64-bit values appear in this order, only for fields saturated at 0xffffffff.
            int x = p + CENTRAL_HEADER_BYTES + nameLen;
            int xEnd = x + extraLen;
            while (x + 4 <= xEnd) {
                int id = u16(x);
                int len = u16(x + 2);
                if (x + 4 + len > xEnd) {
                    throw corrupt("extra field of " + name + " runs past its header");
                }
                if (id == ZIP64_EXTRA_ID) {
                    int q = x + 4;
                    if (size == 0xffffffffL && q + 8 <= x + 4 + len) {
                        size = i64(q);
                        q += 8;
                    }
                    if (compressed == 0xffffffffL && q + 8 <= x + 4 + len) {
                        compressed = i64(q);
                        q += 8;
                    }
                    if (localOffset == 0xffffffffL && q + 8 <= x + 4 + len) {
                        localOffset = i64(q);
                    }
                }
                x += 4 + len;
            }
            if (method != 0) {
                throw corrupt("entry " + name + " is compressed (method " + method
                        + "); PyTorch stores checkpoint entries uncompressed");
            }
            if (compressed != size) {
                throw corrupt("stored entry " + name + " has " + compressed + " stored bytes but size " + size);
            }
            if (localOffset < 0 || localOffset > buf.length - LOCAL_HEADER_BYTES
                    || i32((int) localOffset) != LOCAL_HEADER_SIG) {
                throw corrupt("entry " + name + ": no local header at offset " + localOffset);
            }
            int lh = (int) localOffset;
            long dataOffset = (long) lh + LOCAL_HEADER_BYTES + u16(lh + 26) + u16(lh + 28);
            // subtraction, not dataOffset + size: a zip64 size near 2^63 must not overflow into range
            if (size < 0 || size > buf.length - dataOffset) {
                throw corrupt("entry " + name + " (" + size + " bytes at offset " + dataOffset
                        + ") runs past the end of the file (" + buf.length + " bytes)");
            }
            entries.put(name, new Entry(name, (int) dataOffset, (int) size, crc));
            p = next;
        }
    }

    private int findEndOfCentralDirectory() throws CheckpointException {
        int lowest = Math.max(0, buf.length - EOCD_BYTES - MAX_COMMENT_BYTES);
        for (int p = buf.length - EOCD_BYTES; p >= lowest; p--) {
            if (i32(p) == EOCD_SIG && p + EOCD_BYTES + u16(p + 20) == buf.length) {
                return p;
            }
        }
        throw corrupt("no zip end of central directory record (truncated file?)");
    }

    private CheckpointException corrupt(String reason) {
        return new CheckpointException(file, "corrupt zip archive: " + reason);
    }

    private int u16(int p) {
        return (buf[p] & 0xff) | (buf[p + 1] & 0xff) << 8;
    }

    private int i32(int p) {
        return (buf[p] & 0xff) | (buf[p + 1] & 0xff) << 8 | (buf[p + 2] & 0xff) << 16 | buf[p + 3] << 24;
    }

    private long u32(int p) {
        return i32(p) & 0xffffffffL;
    }

    private long i64(int p) {
        return u32(p) | (long) i32(p + 4) << 32;
    }
}
