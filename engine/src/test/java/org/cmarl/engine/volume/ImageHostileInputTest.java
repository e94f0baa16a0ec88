package org.cmarl.engine.volume;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crafted images and lists: damaged gzip streams that were accepted, a gzip bomb that took gigabytes
 * before it was refused, non-finite affines, a byte order mark in a list. Each is refused with one
 * {@link ImageFormatException} naming the file, within a timeout, and the bombs without allocating what they ask for.
 */
class ImageHostileInputTest {
    private static final Duration QUICKLY = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    private static float[] ramp(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = i % 97 + 0.25f * (i % 5);
        }
        return v;
    }

    /** One gzip member of {@code data} at the given deflate level (0: stored blocks, bytes kept as they are). */
    static byte[] gzipMember(byte[] data, int level) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, (byte) 0xff});
        Deflater d = new Deflater(level, true);
        d.setInput(data);
        d.finish();
        byte[] chunk = new byte[1 << 16];
        while (!d.finished()) {
            out.write(chunk, 0, d.deflate(chunk));
        }
        d.end();
        CRC32 crc = new CRC32();
        crc.update(data);
        ByteBuffer trailer = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        trailer.putInt((int) crc.getValue()).putInt(data.length);
        out.writeBytes(trailer.array());
        return out.toByteArray();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    private Path file(String name, byte[] bytes) throws IOException {
        Path f = dir.resolve(name);
        Files.write(f, bytes);
        return f;
    }

    private static ImageFormatException rejected(Path f, String expected) {
        ImageFormatException e = assertTimeoutPreemptively(QUICKLY,
                () -> assertThrows(ImageFormatException.class, () -> new NiftiReader(false).readStats(f)));
        assertTrue(e.getMessage().startsWith(f.toString()), "names the file: " + e.getMessage());
        assertTrue(e.getMessage().contains(expected), "says '" + expected + "': " + e.getMessage());
        return e;
    }

    /** Heap bytes the calling thread allocates while {@code action} runs. */
    private static long allocatedBy(Runnable action) {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long id = Thread.currentThread().getId();
        long before = threads.getThreadAllocatedBytes(id);
        action.run();
        return threads.getThreadAllocatedBytes(id) - before;
    }

    private static final byte[] IMAGE = NiftiWriter.of(8, 8, 8).encode(ramp(512));

    @Test
    void shouldRejectAFlippedVoxelByteWhenBytesFollowTheVoxelData() throws IOException {
        // stored deflate blocks keep the bytes as they are: a flipped voxel byte inflates fine, only the CRC sees it
        byte[] withTail = concat(IMAGE, "trailing bytes after the voxels".getBytes(StandardCharsets.US_ASCII));
        byte[] gz = gzipMember(withTail, 0);
        int voxelByte = 10 + 5 + 352 + 4 * 300 + 2; // gzip header, stored block header, NIfTI header, voxel 300
        assertEquals(withTail[352 + 4 * 300 + 2], gz[voxelByte]);
        gz[voxelByte] ^= 0x40;
        rejected(file("flipped.nii.gz", gz), "CRC-32");
    }

    @Test
    void shouldRejectAWrongTrailerWhenBytesFollowTheVoxelData() throws IOException {
        byte[] gz = gzipMember(concat(IMAGE, new byte[100]), 6);
        gz[gz.length - 8] ^= 1;
        rejected(file("crc.nii.gz", gz), "CRC-32");
        gz[gz.length - 8] ^= 1;
        gz[gz.length - 1] ^= 1;
        rejected(file("length.nii.gz", gz), "inflates to 2500 bytes but its trailer says");
    }

    @Test
    void shouldReadConcatenatedMembersAsOneStreamAndAcceptZeroPadding() throws IOException {
        RawImage whole = NiftiReader.readRaw(file("whole.nii.gz", gzipMember(IMAGE, 6)));
        byte[] split = concat(gzipMember(Arrays.copyOf(IMAGE, 1000), 6),
                gzipMember(Arrays.copyOfRange(IMAGE, 1000, IMAGE.length), 1), new byte[512]);
        RawImage members = NiftiReader.readRaw(file("members.nii.gz", split));
        assertArrayEquals(whole.values(), members.values());
    }

    @Test
    void shouldRejectGarbageAfterTheLastGzipMember() throws IOException {
        rejected(file("garbage.nii.gz", concat(gzipMember(IMAGE, 6), "GARBAGE".getBytes(StandardCharsets.US_ASCII))),
                "neither a gzip member nor zero padding");
        rejected(file("second.nii.gz", concat(gzipMember(IMAGE, 6), new byte[] {0x1f, (byte) 0x8b, 8})),
                "truncated gzip stream");
    }

    @Test
    void shouldStopInflatingWhenTheStreamHoldsMuchMoreThanTheHeaderDeclares() throws IOException {
        // 8x8x8 voxels, then 256 MiB of zeros in the same member (250 KB of deflate)
        byte[] tail = new byte[1 << 20];
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Deflater d = new Deflater(9, true);
        byte[] chunk = new byte[1 << 16];
        out.writeBytes(new byte[] {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, (byte) 0xff});
        d.setInput(IMAGE);
        while (!d.needsInput()) {
            out.write(chunk, 0, d.deflate(chunk));
        }
        for (int i = 0; i < 256; i++) {
            d.setInput(tail);
            while (!d.needsInput()) {
                out.write(chunk, 0, d.deflate(chunk));
            }
        }
        d.finish();
        while (!d.finished()) {
            out.write(chunk, 0, d.deflate(chunk));
        }
        out.writeBytes(new byte[8]); // trailer never reached
        Path f = file("long.nii.gz", out.toByteArray());
        long allocated = allocatedBy(() -> rejected(f, "holds more than 1048576 bytes after the 2048 bytes of voxels"));
        assertTrue(allocated < 64L << 20, "allocated " + allocated + " bytes");
    }

    /** A gzip bomb: a uint8 header declaring {@code n^3} voxels, then that many zero bytes at deflate level 9. */
    private static byte[] bomb(int n) {
        byte[] header = NiftiWriter.of(1, 1, 1).dataType(NiftiDataType.UINT8).encode(new float[] {0});
        ByteBuffer b = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN);
        b.putShort(42, (short) n).putShort(44, (short) n).putShort(46, (short) n);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, (byte) 0xff});
        Deflater d = new Deflater(9, true);
        byte[] chunk = new byte[1 << 16];
        d.setInput(Arrays.copyOf(header, 352));
        while (!d.needsInput()) {
            out.write(chunk, 0, d.deflate(chunk));
        }
        byte[] zeros = new byte[1 << 22];
        for (long left = (long) n * n * n; left > 0; left -= zeros.length) {
            d.setInput(zeros, 0, (int) Math.min(zeros.length, left));
            while (!d.needsInput()) {
                out.write(chunk, 0, d.deflate(chunk));
            }
        }
        d.finish();
        while (!d.finished()) {
            out.write(chunk, 0, d.deflate(chunk));
        }
        out.writeBytes(new byte[8]);
        return out.toByteArray();
    }

    @Test
    void shouldRefuseAGzipBombFromItsHeaderWithoutAllocating() throws IOException {
        // 800^3 = 512 M uint8 voxels in about 500 KB: within deflate's 1032:1, so only a voxel budget stops it
        byte[] gz = bomb(800);
        assertTrue(gz.length < 600_000, gz.length + " bytes");
        Path f = file("bomb.nii.gz", gz);
        long allocated = allocatedBy(() -> rejected(f, "800x800x800 = 512000000 voxels, more than the 268435456"));
        assertTrue(allocated < 16L << 20, "allocated " + allocated + " bytes");
    }

    @Test
    void shouldRejectNonFiniteSformAndQform() throws IOException {
        double[][] rows = {{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, Double.NaN}};
        byte[] sform = NiftiWriter.of(4, 4, 4).sform(1, rows).encode(ramp(64));
        rejected(file("sform.nii", sform), "affine entry [2][3] is NaN, expected a finite number");
        rows[2][3] = 0;
        rows[0][0] = Double.POSITIVE_INFINITY;
        rejected(file("sform-inf.nii", NiftiWriter.of(4, 4, 4).sform(1, rows).encode(ramp(64))),
                "affine entry [0][0] is Infinity");
        byte[] qform = NiftiWriter.of(4, 4, 4).qform(1, 0, 0, 0, 1, 0, Double.NaN, 0).encode(ramp(64));
        rejected(file("qform.nii", qform), "affine entry [1][3] is NaN");
        // an unused sform (sform_code 0) may hold anything
        rows[0][0] = Double.NaN;
        byte[] unused = NiftiWriter.of(4, 4, 4).sform(0, rows).encode(ramp(64));
        assertEquals(64, NiftiReader.readRaw(file("unused.nii", unused)).values().length);
    }

    @Test
    void shouldStripAByteOrderMarkAtTheStartOfAFileList() throws IOException {
        Files.write(dir.resolve("a.nii.gz"), new byte[1]);
        Files.write(dir.resolve("b.nii.gz"), new byte[1]);
        Path list = dir.resolve("list.txt");
        Files.writeString(list, "\uFEFFa.nii.gz\nb.nii.gz\n", StandardCharsets.UTF_8);
        assertEquals(List.of(dir.resolve("a.nii.gz"), dir.resolve("b.nii.gz")), FileList.read(list));
    }

    @Test
    void shouldStripAByteOrderMarkAtTheStartOfALandmarkFile() throws IOException {
        Path f = dir.resolve("landmarks.txt");
        Files.writeString(f, "\uFEFF1.5,2,3\n4,5,6\n", StandardCharsets.UTF_8);
        LandmarkSet set = LandmarkReader.read(f, FileType.BRAIN, null);
        assertEquals(1.5, set.points()[0][0]);
    }
}
