package org.cmarl.engine.volume;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;
import java.util.zip.ZipException;

/**
 * A gzip stream (RFC 1952) read member by member, with every check made and nothing skipped silently:
 * <ul>
 *   <li>each member's header is parsed (its header CRC checked when flagged) and its CRC-32 and length trailer are
 *       checked as soon as its deflate data ends, so a reader that stops at the data it needs still gets the check
 *       once it reads on to the end of the stream ({@code -1});</li>
 *   <li>members that follow one another are one stream, as gzip(1) and Python's gzip (nibabel) read them;</li>
 *   <li>zero bytes after the last member are padding (gzip(1) accepts them too); any other byte after it is an
 *       error, where {@link java.util.zip.GZIPInputStream} would silently drop it.</li>
 * </ul>
 * Not thread-safe. Errors are {@link ZipException} (corrupt) or {@link EOFException} (truncated).
 */
final class GzipStream extends InputStream {
    private static final int FHCRC = 2;
    private static final int FEXTRA = 4;
    private static final int FNAME = 8;
    private static final int FCOMMENT = 16;
    private static final int RESERVED_FLAGS = 0xe0;

    private final InputStream in;
    private final byte[] buf;
    /** Compressed bytes buffered and not yet handed to the inflater: {@code buf[pos, len)}. */
    private int pos;
    private int len;
    private final Inflater inflater = new Inflater(true);
    private final CRC32 crc = new CRC32();
    private final CRC32 headerCrc = new CRC32();
    private long memberBytes;
    private int member;
    private boolean eof;
    private final byte[] one = new byte[1];

    /** Reads the first member's header. */
    GzipStream(InputStream in, int bufferBytes) throws IOException {
        this.in = in;
        this.buf = new byte[bufferBytes];
        readHeader();
    }

    @Override
    public int read() throws IOException {
        int r = read(one, 0, 1);
        return r < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int n) throws IOException {
        Objects.checkFromIndexSize(off, n, b.length);
        if (eof) {
            return -1;
        }
        if (n == 0) {
            return 0;
        }
        while (true) {
            if (inflater.needsInput()) {
                if (fill() == 0) {
                    throw new EOFException("gzip member " + member + " ends before its deflate data does");
                }
                inflater.setInput(buf, pos, len - pos);
                pos = len;
            }
            int r;
            try {
                r = inflater.inflate(b, off, n);
            } catch (DataFormatException e) {
                throw new ZipException("invalid deflate data in gzip member " + member + ": " + e.getMessage());
            }
            if (r > 0) {
                crc.update(b, off, r);
                memberBytes += r;
                return r;
            }
            if (inflater.finished()) {
                pos = len - inflater.getRemaining();
                readTrailer();
                if (!nextMember()) {
                    eof = true;
                    return -1;
                }
            } else if (inflater.needsDictionary()) {
                throw new ZipException("gzip member " + member + " needs a preset dictionary");
            }
        }
    }

    @Override
    public void close() throws IOException {
        inflater.end();
        in.close();
    }

    /** Bytes buffered after a refill; 0 at the end of the file. */
    private int fill() throws IOException {
        if (pos < len) {
            return len - pos;
        }
        pos = 0;
        len = 0;
        int r = in.read(buf, 0, buf.length);
        if (r > 0) {
            len = r;
        }
        return len;
    }

    private int u8() throws IOException {
        if (fill() == 0) {
            throw new EOFException("gzip member " + member + " is cut in its header or trailer");
        }
        return buf[pos++] & 0xff;
    }

    /** A header byte: also counted in the header CRC. */
    private int h8() throws IOException {
        int v = u8();
        headerCrc.update(v);
        return v;
    }

    private void readHeader() throws IOException {
        member++;
        headerCrc.reset();
        if (h8() != 0x1f || h8() != 0x8b) {
            throw new ZipException("gzip member " + member + " does not start with the gzip magic 1f 8b");
        }
        int method = h8();
        if (method != 8) {
            throw new ZipException("gzip member " + member + " uses compression method " + method
                    + " (only 8, deflate, exists)");
        }
        int flags = h8();
        if ((flags & RESERVED_FLAGS) != 0) {
            throw new ZipException("gzip member " + member + " sets reserved header flags " + flags);
        }
        for (int i = 0; i < 6; i++) { // mtime, xfl, os
            h8();
        }
        if ((flags & FEXTRA) != 0) {
            int extraBytes = h8() | h8() << 8;
            for (int i = 0; i < extraBytes; i++) {
                h8();
            }
        }
        if ((flags & FNAME) != 0) {
            while (h8() != 0) {
                // zero-terminated file name
            }
        }
        if ((flags & FCOMMENT) != 0) {
            while (h8() != 0) {
                // zero-terminated comment
            }
        }
        if ((flags & FHCRC) != 0) {
            int expected = (int) (headerCrc.getValue() & 0xffff);
            int stored = u8() | u8() << 8;
            if (stored != expected) {
                throw new ZipException("gzip member " + member + " header CRC is " + Integer.toHexString(stored)
                        + ", computed " + Integer.toHexString(expected));
            }
        }
        inflater.reset();
        crc.reset();
        memberBytes = 0;
    }

    private void readTrailer() throws IOException {
        long storedCrc = u8() | u8() << 8 | u8() << 16 | (long) u8() << 24;
        long storedSize = u8() | u8() << 8 | u8() << 16 | (long) u8() << 24;
        if (storedCrc != crc.getValue()) {
            throw new ZipException("gzip member " + member + " CRC-32 is " + Long.toHexString(crc.getValue())
                    + " but its trailer says " + Long.toHexString(storedCrc) + " (the data is damaged)");
        }
        if (storedSize != (memberBytes & 0xffffffffL)) {
            throw new ZipException("gzip member " + member + " inflates to " + memberBytes
                    + " bytes but its trailer says " + storedSize + " (mod 2^32)");
        }
    }

    /** After a member: the next member's header, or the end (zero padding allowed, anything else refused). */
    private boolean nextMember() throws IOException {
        if (fill() == 0) {
            return false;
        }
        if ((buf[pos] & 0xff) == 0x1f) {
            readHeader();
            return true;
        }
        do {
            for (; pos < len; pos++) {
                if (buf[pos] != 0) {
                    throw new ZipException("bytes after the end of the gzip stream (gzip member " + member
                            + ") are neither a gzip member nor zero padding");
                }
            }
        } while (fill() > 0);
        return false;
    }
}
