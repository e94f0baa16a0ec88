package org.cmarl.engine.volume;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.Map;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** NiftiReader.load against /work/shared/reference/normalisation.json (the published system's numbers). */
class NormalisationParityTest {
    private static final double TOLERANCE = 1e-3;

    static Path shared() {
        Path dir = Path.of(System.getProperty("rlm.shared.dir", "../shared"));
        Assumptions.assumeTrue(Files.isDirectory(dir.resolve("reference")), "shared folder absent: " + dir);
        return dir;
    }

    static JsonNode reference() throws Exception {
        return new ObjectMapper().readTree(shared().resolve("reference/normalisation.json").toFile());
    }

    static Stream<Integer> imageIndices() {
        return IntStream.range(0, 10).boxed();
    }

    @ParameterizedTest
    @MethodSource("imageIndices")
    void shouldMatchPublishedStatisticsAndVoxelsWhenLoadingSampleScan(int index) throws Exception {
        JsonNode ref = reference().get("images").get(index);
        Path file = shared().resolve("sample-data/brain/images").resolve(ref.get("image_file").asText());
        // odd images on the calling thread only, even ones with helper threads: both paths must be bit-identical
        try (Volume v = new NiftiReader(index % 2 == 0).read(file)) {
            assertArrayEquals(new int[]{ref.get("shape_xyz").get(0).asInt(), ref.get("shape_xyz").get(1).asInt(),
                    ref.get("shape_xyz").get(2).asInt()}, new int[]{v.nx(), v.ny(), v.nz()});
            for (int a = 0; a < 3; a++) {
                assertEquals(ref.get("spacing").get(a).asDouble(), v.spacingMm(a), 1e-9);
            }
            JsonNode raw = ref.get("raw");
            IntensityStats s = v.stats();
            assertEquals(raw.get("min").asDouble(), s.rawMin(), TOLERANCE, "min");
            assertEquals(raw.get("max").asDouble(), s.rawMax(), TOLERANCE, "max");
            assertEquals(raw.get("mean").asDouble(), s.rawMean(), TOLERANCE, "mean");
            assertEquals(raw.get("p10").asDouble(), s.p10(), TOLERANCE, "p10");
            assertEquals(raw.get("p99").asDouble(), s.p99(), TOLERANCE, "p99");
            assertEquals(ref.get("normalised").get("mean").asDouble(), s.normalisedMean(), TOLERANCE, "normalised mean");
            for (Iterator<Map.Entry<String, JsonNode>> it = ref.get("voxels").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                JsonNode xyz = e.getValue().get("xyz");
                float got = v.value(xyz.get(0).asInt(), xyz.get(1).asInt(), xyz.get(2).asInt());
                assertEquals(e.getValue().get("normalised").asDouble(), got, TOLERANCE, e.getKey());
                assertEquals((int) got, v.byteValue(xyz.get(0).asInt(), xyz.get(1).asInt(), xyz.get(2).asInt()),
                        e.getKey() + " uint8 plane truncates");
            }
            assertEquals(ref.get("normalised").get("sha256_float32le_x_fastest").asText(), sha256XFastest(v),
                    "every normalised voxel bit-identical");
        }
    }

    /** SHA-256 of the normalised volume written float32 little endian in NIfTI order (x fastest). */
    static String sha256XFastest(Volume v) throws Exception {
        ByteBuffer buf = ByteBuffer.allocate(v.voxelCount() * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int z = 0; z < v.nz(); z++) {
            for (int y = 0; y < v.ny(); y++) {
                for (int x = 0; x < v.nx(); x++) {
                    buf.putFloat(v.value(x, y, z));
                }
            }
        }
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(buf.array()));
    }
}
