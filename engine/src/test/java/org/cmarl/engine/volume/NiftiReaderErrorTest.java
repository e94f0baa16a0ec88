package org.cmarl.engine.volume;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.Consumer;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad input: one ImageFormatException naming the file and the problem, and nothing left half-built. */
class NiftiReaderErrorTest {
    @TempDir
    Path dir;

    private static float[] ramp(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = i;
        }
        return v;
    }

    /** A valid 4x4x4 float32 little-endian single-file image, as bytes, patched by {@code edit}. */
    private static byte[] image(Consumer<ByteBuffer> edit) {
        byte[] bytes = NiftiWriter.of(4, 4, 4).encode(ramp(64));
        edit.accept(ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN));
        return bytes;
    }

    private static byte[] gzip(byte[] bytes) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(bytes);
        }
        return out.toByteArray();
    }

    private Path file(String name, byte[] bytes) throws IOException {
        Path f = dir.resolve(name);
        Files.write(f, bytes);
        return f;
    }

    /** Loads {@code f} expecting failure; the message must name the file and contain {@code expected}. */
    private static void assertRejected(Path f, String expected) {
        ImageFormatException e = assertThrows(ImageFormatException.class, () -> NiftiReader.load(f));
        assertTrue(e.getMessage().startsWith(f.toString()), "names the file: " + e.getMessage());
        assertTrue(e.getMessage().contains(expected), "says '" + expected + "': " + e.getMessage());
    }

    @Test
    void shouldRejectWhenFileIsMissing() {
        assertRejected(dir.resolve("nope.nii.gz"), "no such image file");
    }

    @Test
    void shouldRejectWhenSizeofHdrIsNot348() throws IOException {
        assertRejected(file("nifti2.nii", image(b -> b.putInt(0, 540))), "sizeof_hdr is 540");
        assertRejected(file("text.nii", "hello, this is not an image".repeat(20).getBytes()), "expected 348");
    }

    @Test
    void shouldRejectWhenMagicIsWrong() throws IOException {
        assertRejected(file("magic.nii", image(b -> b.put(344, (byte) 'x'))), "magic is \"x+1\\0\"");
    }

    @Test
    void shouldRejectTwoFileMagicWhenNameIsNotHdr() throws IOException {
        assertRejected(file("ni1.nii", image(b -> b.put(345, (byte) 'i'))), "must end in .hdr");
        Path hdr = file("lonely.hdr", Arrays.copyOf(image(b -> {
            b.put(345, (byte) 'i');
            b.putFloat(108, 0f);
        }), 348));
        assertRejected(hdr, "lonely.img");
    }

    @Test
    void shouldRejectWhenFileIsShorterThanHeader() throws IOException {
        assertRejected(file("short.nii", Arrays.copyOf(image(b -> { }), 200)), "truncated: 200 bytes");
    }

    @Test
    void shouldRejectWhenVoxelDataIsTruncated() throws IOException {
        byte[] ok = image(b -> { });
        assertRejected(file("cut.nii", Arrays.copyOf(ok, ok.length - 10)), "need 608 bytes");
        // gzip hides the size, so the shortfall is found while inflating
        assertRejected(file("cut-data.nii.gz", gzip(Arrays.copyOf(ok, ok.length - 10))), "the file holds 246");
    }

    @Test
    void shouldRejectWhenGzipStreamIsTruncatedOrCorrupt() throws IOException {
        byte[] gz = gzip(NiftiWriter.of(40, 40, 40).encode(ramp(64_000)));
        assertRejected(file("cut.nii.gz", Arrays.copyOf(gz, gz.length / 2)), "truncated");
        byte[] corrupt = gz.clone();
        for (int i = gz.length / 2; i < gz.length / 2 + 64; i++) {
            corrupt[i] ^= 0x5A;
        }
        ImageFormatException e = assertThrows(ImageFormatException.class,
                () -> NiftiReader.load(file("corrupt.nii.gz", corrupt)));
        assertTrue(e.getMessage().contains("corrupt.nii.gz") && e.getMessage().contains("gzip"), e.getMessage());
    }

    @Test
    void shouldRejectBeforeAllocatingWhenDimsNeedMoreThanTheFileHolds() throws IOException {
        Consumer<ByteBuffer> huge = b -> {
            b.putShort(42, (short) 600);
            b.putShort(44, (short) 600);
            b.putShort(46, (short) 600);
        };
        // 600^3 float32 = 864 MB claimed by a 608-byte file / a gzip that cannot inflate that far
        assertRejected(file("huge.nii", image(huge)), "need 864000352 bytes");
        assertRejected(file("huge.nii.gz", gzip(image(huge))), "when inflated");
        Consumer<ByteBuffer> insane = b -> {
            b.putShort(42, (short) 30000);
            b.putShort(44, (short) 30000);
            b.putShort(46, (short) 30000);
        };
        assertRejected(file("insane.nii", image(insane)), "more than the 268435456");
    }

    @Test
    void shouldRejectUnsupportedDatatype() throws IOException {
        assertRejected(file("rgb.nii", image(b -> b.putShort(70, (short) 128))), "unsupported datatype code 128");
    }

    @Test
    void shouldRejectWhenRankOrFourthAxisIsUnsupported() throws IOException {
        Path fourD = dir.resolve("4d.nii");
        NiftiWriter.of(4, 4, 4).fourthAxis(2).write(fourD, ramp(128));
        assertRejected(fourD, "dim[4] is 2");
        assertRejected(file("2d.nii", image(b -> b.putShort(40, (short) 2))), "dim[0] (rank) is 2");
        assertRejected(file("zero.nii", image(b -> b.putShort(44, (short) 0))), "dim[2] is 0");
    }

    @Test
    void shouldRejectBadSpacingAndVoxOffset() throws IOException {
        assertRejected(file("spacing.nii", image(b -> b.putFloat(80, 0f))), "pixdim[1] (spacing) is 0.0");
        assertRejected(file("offset.nii", image(b -> b.putFloat(108, 100f))), "vox_offset is 100.0");
    }

    @Test
    void shouldRejectNaNAndInfiniteVoxels() throws IOException {
        for (float bad : new float[]{Float.NaN, Float.POSITIVE_INFINITY}) {
            float[] v = ramp(64);
            v[17] = bad;
            Path f = dir.resolve("bad" + bad + ".nii.gz");
            NiftiWriter.of(4, 4, 4).write(f, v);
            assertRejected(f, "voxel 17 in file order is " + bad);
        }
    }

    @Test
    void shouldRejectConstantImage() throws IOException {
        Path f = dir.resolve("constant.nii");
        float[] v = new float[64];
        Arrays.fill(v, 3f);
        NiftiWriter.of(4, 4, 4).write(f, v);
        assertRejected(f, "constant image");
    }

    @Test
    void shouldStillReadGoodImagesWhenTheSameReaderFailedBefore() throws IOException {
        NiftiReader reader = new NiftiReader();
        Path bad = file("bad.nii", image(b -> b.putShort(70, (short) 128)));
        assertThrows(ImageFormatException.class, () -> reader.read(bad));
        Path good = file("good.nii", image(b -> { }));
        try (Volume v = reader.read(good)) {
            assertEquals(NormalisationOracle.normalise(ramp(64))[1 + 4 * (2 + 4 * 3)], v.value(1, 2, 3), 0f);
        }
    }
}
