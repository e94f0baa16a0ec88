package org.cmarl.engine.nn;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.cmarl.engine.io.PtReader;
import org.cmarl.engine.io.TensorData;

/** Reads ../shared/reference/network_parity (see its README) for the nn tests. */
final class ParityReference {
    static final String NETWORK3D = "network3d_1agent";
    static final String COMMNET = "commnet_3agents";

    private ParityReference() {
    }

    static Path dir() {
        Path d = Path.of(System.getProperty("rlm.shared.dir", "../shared"), "reference", "network_parity");
        assumeTrue(Files.isDirectory(d), "shared reference folder absent: " + d);
        return d;
    }

    static JsonNode model(String key) throws IOException {
        return new ObjectMapper().readTree(dir().resolve("network_parity.json").toFile()).get(key);
    }

    static NetworkConfig config(JsonNode model) {
        Architecture a = model.get("model").asText().equals("CommNet") ? Architecture.COMMNET : Architecture.NETWORK3D;
        return NetworkConfig.of(a, model.get("agents").asInt());
    }

    /** @param format "zip" or "legacy" */
    static LinkedHashMap<String, TensorData> stateDict(JsonNode model, String format) throws IOException {
        String file = model.get("state_dict_files").get(format).asText();
        return PtReader.read(dir().resolve(file)).stateDict();
    }

    static byte[] input(JsonNode model) throws IOException {
        return Files.readAllBytes(dir().resolve(model.get("input").get("file").asText()));
    }

    static double[] doubles(JsonNode array) {
        double[] v = new double[array.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = array.get(i).asDouble();
        }
        return v;
    }

    static float[] floats(TensorData t) {
        float[] v = new float[(int) t.numel()];
        ByteBuffer.wrap(t.data()).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
        return v;
    }
}
