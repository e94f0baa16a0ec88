package org.cmarl.engine.volume;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Fixtures written by NiftiWriter: every datatype, both byte orders, .nii and .nii.gz, orientations, scaling. */
class NiftiReaderTest {
    static final int NX = 5;
    static final int NY = 4;
    static final int NZ = 3;

    @TempDir
    Path dir;

    /** Distinct stored values that fit the type, covering its sign and its upper range; x fastest. */
    static double[] storedValues(NiftiDataType type) {
        double[] v = new double[NX * NY * NZ];
        for (int i = 0; i < v.length; i++) {
            v[i] = switch (type) {
                case UINT8 -> i * 4 + 3;
                case INT8 -> i * 4 - 120;
                case INT16 -> i * 500 - 15000;
                case UINT16 -> 65535 - i * 1000;
                case INT32 -> i * 1000 - 30000;
                case UINT32 -> 4_000_000_000L - i * 1_000_000L;
                case FLOAT32 -> (float) (i * 1.25 - 17.5);
                case FLOAT64 -> i * 0.5 - 3.25;
            };
        }
        return v;
    }

    static Stream<Arguments> everyTypeOrderAndCompression() {
        List<Arguments> a = new ArrayList<>();
        for (NiftiDataType t : NiftiDataType.values()) {
            for (ByteOrder o : new ByteOrder[]{ByteOrder.LITTLE_ENDIAN, ByteOrder.BIG_ENDIAN}) {
                for (String ext : new String[]{".nii", ".nii.gz"}) {
                    a.add(Arguments.of(t, o, ext));
                }
            }
        }
        return a.stream();
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("everyTypeOrderAndCompression")
    void shouldReadStoredValuesAndNormaliseLikeOracleWhenAnyTypeOrderOrCompression(NiftiDataType type, ByteOrder order,
                                                                               String ext) throws IOException {
        double[] stored = storedValues(type);
        Path file = dir.resolve("img" + ext);
        NiftiWriter.of(NX, NY, NZ).dataType(type).byteOrder(order).spacingMm(1.5, 2, 2.5).write(file, stored);

        RawImage raw = NiftiReader.readRaw(file);
        assertEquals(type, raw.header().dataType());
        assertEquals(order, raw.header().byteOrder());
        float[] expected = new float[stored.length];
        for (int i = 0; i < stored.length; i++) {
            expected[i] = (float) stored[i];
        }
        assertArrayEquals(expected, raw.values());

        float[] normalised = NormalisationOracle.normalise(expected);
        try (Volume v = NiftiReader.load(file)) {
            assertArrayEquals(new double[]{1.5, 2, 2.5}, v.spacingMm());
            assertEquals("img", v.name());
            for (int z = 0; z < NZ; z++) {
                for (int y = 0; y < NY; y++) {
                    for (int x = 0; x < NX; x++) {
                        float want = normalised[x + NX * (y + NY * z)];
                        assertEquals(want, v.value(x, y, z), 0f, "voxel " + x + "," + y + "," + z);
                        assertEquals((int) want, v.byteValue(x, y, z));
                    }
                }
            }
            float min = Float.POSITIVE_INFINITY;
            float max = Float.NEGATIVE_INFINITY;
            for (float f : expected) {
                min = Math.min(min, f);
                max = Math.max(max, f);
            }
            assertEquals(min, v.stats().rawMin(), 0.0);
            assertEquals(max, v.stats().rawMax(), 0.0);
            assertEquals(NormalisationOracle.percentile(expected, 99), v.stats().p99(), 0.0);
        }
    }

    @Test
    void shouldApplySlopeAndInterceptOnlyWhenSlopeIsFiniteAndNonZero() throws IOException {
        double[] stored = storedValues(NiftiDataType.INT16);
        float[][] cases = {{2f, -3f}, {0f, 7f}, {Float.NaN, 7f}, {Float.POSITIVE_INFINITY, 1f}, {2f, Float.NaN}};
        double[][] expectSlopeInter = {{2, -3}, {1, 0}, {1, 0}, {1, 0}, {2, 0}};
        for (int c = 0; c < cases.length; c++) {
            Path file = dir.resolve("scl" + c + ".nii");
            NiftiWriter.of(NX, NY, NZ).dataType(NiftiDataType.INT16).scaling(cases[c][0], cases[c][1])
                    .write(file, stored);
            RawImage raw = NiftiReader.readRaw(file);
            for (int i = 0; i < stored.length; i++) {
                assertEquals((float) (stored[i] * expectSlopeInter[c][0] + expectSlopeInter[c][1]), raw.values()[i],
                        0f, "case " + c + " voxel " + i);
            }
        }
    }

    @Test
    void shouldUseSformWhenSformCodeIsPositiveEvenWithQform() throws IOException {
        double[][] rows = {{0, -2, 0, 10}, {1.5, 0, 0, -20}, {0, 0, 3, 5}};
        Path file = dir.resolve("sform.nii.gz");
        NiftiWriter.of(NX, NY, NZ).spacingMm(1.5, 2, 3).sform(2, rows).qform(1, 0, 0, 1, 1, 7, 7, 7)
                .write(file, storedValues(NiftiDataType.FLOAT32));
        double[][] m = NiftiReader.readHeader(file).voxelToPhysical().matrix();
        for (int r = 0; r < 3; r++) {
            assertArrayEquals(rows[r], m[r], 0.0, "row " + r);
        }
        assertArrayEquals(new double[]{0, 0, 0, 1}, m[3], 0.0);
    }

    @Test
    void shouldBuildQformMatrixFromQuaternionWithNegativeQfac() throws IOException {
        // 90 degrees about z: (a, b, c, d) = (cos 45, 0, 0, sin 45); R = [[0,-1,0],[1,0,0],[0,0,1]];
        // columns scaled by spacing (2, 3, 4), qfac -1 negates the third column
        double s = Math.sqrt(0.5);
        Path file = dir.resolve("qform.nii");
        NiftiWriter.of(NX, NY, NZ).spacingMm(2, 3, 4).qform(1, 0, 0, s, -1, 10, 20, 30)
                .write(file, storedValues(NiftiDataType.FLOAT32));
        Affine a = NiftiReader.readHeader(file).voxelToPhysical();
        double[][] want = {{0, -3, 0, 10}, {2, 0, 0, 20}, {0, 0, -4, 30}, {0, 0, 0, 1}};
        for (int r = 0; r < 4; r++) {
            assertArrayEquals(want[r], a.matrix()[r], 1e-6, "row " + r);
        }
        // the published sample scans: qform_code 1, identity quaternion pattern (0, 1, 0), qfac -1
        Path sample = dir.resolve("sample-like.nii");
        NiftiWriter.of(NX, NY, NZ).qform(1, 0, 1, 0, -1, 90, -126, -72).write(sample, storedValues(NiftiDataType.FLOAT32));
        double[][] m = NiftiReader.readHeader(sample).voxelToPhysical().matrix();
        double[][] wantSample = {{-1, 0, 0, 90}, {0, 1, 0, -126}, {0, 0, 1, -72}, {0, 0, 0, 1}};
        for (int r = 0; r < 4; r++) {
            assertArrayEquals(wantSample[r], m[r], 1e-6, "sample row " + r);
        }
    }

    @Test
    void shouldUseSpacingAsAffineWhenNoQformOrSform() throws IOException {
        Path file = dir.resolve("plain.nii");
        NiftiWriter.of(NX, NY, NZ).spacingMm(0.5, 0.75, 2).write(file, storedValues(NiftiDataType.FLOAT32));
        assertArrayEquals(new double[]{0.5, 0, 0, 0}, NiftiReader.readHeader(file).voxelToPhysical().matrix()[0]);
        assertArrayEquals(new double[]{0, 0, 2, 0}, NiftiReader.readHeader(file).voxelToPhysical().matrix()[2]);
    }

    @Test
    void shouldReadFourDimensionalImageWithSingletonFourthAxis() throws IOException {
        Path file = dir.resolve("4d.nii.gz");
        double[] stored = storedValues(NiftiDataType.FLOAT32);
        NiftiWriter.of(NX, NY, NZ).fourthAxis(1).write(file, stored);
        RawImage raw = NiftiReader.readRaw(file);
        assertEquals(4, raw.header().dims()[0]);
        assertEquals((float) stored[NX * NY * NZ - 1], raw.value(NX - 1, NY - 1, NZ - 1), 0f);
    }

    @Test
    void shouldReadTwoFileHdrImgPair() throws IOException {
        Path hdr = dir.resolve("pair.hdr");
        double[] stored = storedValues(NiftiDataType.FLOAT32);
        float[] values = new float[stored.length];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) stored[i];
        }
        NiftiWriter.of(NX, NY, NZ).writePair(hdr, values);
        RawImage raw = NiftiReader.readRaw(hdr);
        assertEquals("ni1", raw.header().magic());
        assertArrayEquals(values, raw.values());
        try (Volume v = NiftiReader.load(hdr)) {
            assertEquals("pair", v.name());
            assertEquals(NormalisationOracle.normalise(values)[7], v.value(2, 1, 0), 0f);
        }
    }

    @Test
    void shouldDetectGzipByMagicBytesNotByName() throws IOException {
        Path gzNamedNii = dir.resolve("actually-gzip.nii");
        NiftiWriter.of(NX, NY, NZ).write(dir.resolve("tmp.nii.gz"), storedValues(NiftiDataType.FLOAT32));
        java.nio.file.Files.move(dir.resolve("tmp.nii.gz"), gzNamedNii);
        assertEquals((float) storedValues(NiftiDataType.FLOAT32)[3], NiftiReader.readRaw(gzNamedNii).values()[3], 0f);
        Path plainNamedGz = dir.resolve("plain.nii.gz");
        java.nio.file.Files.write(plainNamedGz, NiftiWriter.of(NX, NY, NZ).encode(storedValues(NiftiDataType.FLOAT32)));
        assertEquals((float) storedValues(NiftiDataType.FLOAT32)[3], NiftiReader.readRaw(plainNamedGz).values()[3], 0f);
    }

    @Test
    void shouldEqualOracleBitForBitWhenImageIsLargeEnoughForTheThreadedPathAndNxIsOdd() throws IOException {
        // 131 x 127 x 128 = 2.13 M voxels: above the two-thread threshold, odd nx (halves 65 / 66), gzip pipeline
        int nx = 131;
        int ny = 127;
        int nz = 128;
        float[] values = new float[nx * ny * nz];
        java.util.SplittableRandom r = new java.util.SplittableRandom(5);
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (1000 + 300 * r.nextGaussian());
        }
        Path file = dir.resolve("large.nii.gz");
        NiftiWriter.of(nx, ny, nz).write(file, values);
        float[] want = NormalisationOracle.normalise(values);
        double sum = 0;
        for (float f : want) {
            sum += f;
        }
        try (Volume v = new NiftiReader().read(file)) {
            for (int z = 0; z < nz; z++) {
                for (int y = 0; y < ny; y++) {
                    for (int x = 0; x < nx; x++) {
                        float w = want[x + nx * (y + ny * z)];
                        if (Float.floatToIntBits(w) != Float.floatToIntBits(v.value(x, y, z))
                                || (int) w != v.byteValue(x, y, z)) {
                            assertEquals(w, v.value(x, y, z), 0f, "voxel " + x + "," + y + "," + z);
                            assertEquals((int) w, v.byteValue(x, y, z), "byte " + x + "," + y + "," + z);
                        }
                    }
                }
            }
            assertEquals(sum / values.length, v.stats().normalisedMean(), 1e-9);
            assertEquals(NormalisationOracle.percentile(values, 10), v.stats().p10(), 0.0);
        }
    }

    @Test
    void shouldReuseScratchAcrossImagesOfDifferentSizes() throws IOException {
        NiftiReader reader = new NiftiReader();
        Path big = dir.resolve("big.nii");
        Path small = dir.resolve("small.nii");
        float[] bigValues = new float[8 * 6 * 4];
        for (int i = 0; i < bigValues.length; i++) {
            bigValues[i] = (i * 37) % 101;
        }
        NiftiWriter.of(8, 6, 4).write(big, bigValues);
        float[] smallValues = {3, 1, 4, 1, 5, 9, 2, 6};
        NiftiWriter.of(2, 2, 2).write(small, smallValues);
        float[] want = NormalisationOracle.normalise(smallValues);
        try (Volume b = reader.read(big); Volume s = reader.read(small)) {
            assertEquals(NormalisationOracle.normalise(bigValues)[5 + 8 * (3 + 6 * 2)], b.value(5, 3, 2), 0f);
            assertEquals(want[1 + 2 * (0 + 2 * 1)], s.value(1, 0, 1), 0f);
            assertEquals(8, s.voxelCount());
        }
    }
}
