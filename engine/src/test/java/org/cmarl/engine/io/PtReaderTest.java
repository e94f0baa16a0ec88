package org.cmarl.engine.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PtReaderTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /**
     * The reference sums are float64 sums computed by PyTorch (vectorised, pairwise order); ours add in row-major
     * order. Over at most 1M float32 values of magnitude < 1 the two orders differ by far less than this.
     */
    private static final double SUM_TOLERANCE = 1e-9;

    @Test
    void shouldMatchPublishedLayoutWhenReadingSingleAgentLegacyModel() throws Exception {
        Path file = SharedFiles.singleAgentModel();
        JsonNode layout = JSON.readTree(SharedFiles.parity("singleagent_pt_layout.json").toFile());

        Checkpoint ckpt = PtReader.read(file);

        assertEquals(Checkpoint.Format.LEGACY, ckpt.format());
        assertEquals(Checkpoint.Kind.STATE_DICT, ckpt.kind());
        LinkedHashMap<String, TensorData> sd = ckpt.stateDict();
        List<String> expectedNames = new ArrayList<>();
        for (JsonNode t : layout.get("tensors")) {
            expectedNames.add(t.get("key").asText());
        }
        assertEquals(expectedNames, new ArrayList<>(sd.keySet()));
        for (JsonNode t : layout.get("tensors")) {
            TensorData tensor = sd.get(t.get("key").asText());
            assertEquals(DType.FLOAT32, tensor.dtype());
            assertArrayEquals(longs(t.get("size")), tensor.shape(), t.get("key").asText());
            assertEquals(t.get("sha256_f32le").asText(), sha256(tensor.data()), t.get("key").asText());
            assertEquals(t.get("sum").asDouble(), sumFloat32(tensor), SUM_TOLERANCE, t.get("key").asText());
        }
        // The published model keeps the state_dict's _metadata attribute (module versions).
        PyOrderedDict root = (PyOrderedDict) ckpt.root();
        Map<?, ?> metadata = (Map<?, ?>) root.attributes().get("_metadata");
        assertEquals(Map.of("version", 1L), metadata.get("conv0"));
    }

    @ParameterizedTest
    @CsvSource({
        "network3d_1agent, zip, ZIP",
        "network3d_1agent, legacy, LEGACY",
        "commnet_3agents, zip, ZIP",
        "commnet_3agents, legacy, LEGACY"})
    void shouldMatchParityParametersWhenReadingSeed0StateDicts(String model, String kind, Checkpoint.Format format)
            throws Exception {
        JsonNode ref = JSON.readTree(SharedFiles.parity("network_parity.json").toFile()).get(model);
        Path file = SharedFiles.parity(ref.get("state_dict_files").get(kind).asText());

        Checkpoint ckpt = PtReader.read(file);

        assertEquals(format, ckpt.format());
        LinkedHashMap<String, TensorData> sd = ckpt.stateDict();
        List<String> expectedNames = new ArrayList<>();
        ref.get("state_dict_keys_in_order").forEach(n -> expectedNames.add(n.asText()));
        assertEquals(expectedNames, new ArrayList<>(sd.keySet()));
        long totalElements = 0;
        for (String name : expectedNames) {
            JsonNode p = ref.get("params").get(name);
            TensorData t = sd.get(name);
            assertEquals(p.get("dtype").asText(), t.dtype().displayName(), name);
            assertArrayEquals(longs(p.get("shape")), t.shape(), name);
            assertEquals(p.get("sum").asDouble(), sumFloat32(t), SUM_TOLERANCE, name);
            FloatBufferView values = new FloatBufferView(t);
            JsonNode first4 = p.get("first4");
            for (int i = 0; i < first4.size(); i++) {
                assertEquals((float) first4.get(i).asDouble(), values.get(i), name + "[" + i + "]");
            }
            totalElements += t.numel();
        }
        assertEquals(ref.get("n_params").asLong(), totalElements);
    }

    @ParameterizedTest
    @CsvSource({"network3d_1agent", "commnet_3agents"})
    void shouldReadBitIdenticalTensorsWhenSameStateDictInBothFormats(String model) throws Exception {
        Map<String, TensorData> zip = PtReader.readStateDict(SharedFiles.parity(model + "_seed0_zip.pt"));
        Map<String, TensorData> legacy = PtReader.read(SharedFiles.parity(model + "_seed0_legacy.pt")).stateDict();
        assertEquals(new ArrayList<>(zip.keySet()), new ArrayList<>(legacy.keySet()));
        assertEquals(zip, legacy);
    }

    @Test
    void shouldRejectWhenFileMissing(@TempDir Path dir) {
        Path missing = dir.resolve("nothing.pt");
        CheckpointException e = assertThrows(CheckpointException.class, () -> PtReader.read(missing));
        assertEquals(missing, e.file());
        assertEquals("no such file", e.reason());
    }

    @Test
    void shouldRejectWhenFileIsNotACheckpoint(@TempDir Path dir) throws IOException {
        Path text = dir.resolve("notes.pt");
        Files.writeString(text, "hello");
        CheckpointException e = assertThrows(CheckpointException.class, () -> PtReader.read(text));
        assertTrue(e.getMessage().startsWith(text + ": not a PyTorch checkpoint"), e.getMessage());
    }

    static long[] longs(JsonNode array) {
        long[] out = new long[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asLong();
        }
        return out;
    }

    static String sha256(byte[] data) throws NoSuchAlgorithmException {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }

    static double sumFloat32(TensorData t) {
        FloatBufferView v = new FloatBufferView(t);
        double sum = 0;
        for (int i = 0; i < t.numel(); i++) {
            sum += v.get(i);
        }
        return sum;
    }

    /** Little-endian float32 view of a tensor's bytes. */
    record FloatBufferView(ByteBuffer buffer) {
        FloatBufferView(TensorData t) {
            this(ByteBuffer.wrap(t.data()).order(ByteOrder.LITTLE_ENDIAN));
        }

        float get(int i) {
            return buffer.getFloat(i * 4);
        }
    }
}
