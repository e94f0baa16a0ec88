package org.cmarl.engine.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;

import com.fasterxml.jackson.databind.JsonNode;
import org.cmarl.engine.io.TensorData;
import org.cmarl.engine.observation.FrameType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Forward Q-values of the published weights and inputs (network_parity.json) for both checkpoint formats.
 */
class QNetworkParityTest {
    /**
     * About 4 times the largest difference measured against PyTorch 1.13's float32 Q-values (2-core x86-64,
     * libtorch 2.10 CPU): 4.62e-7 for Network3d and 4.77e-7 for CommNet (about 2 float32 ulps of the values), the
     * same for the zip and legacy files. A regression of a few ulps fails; a loose 1e-4 would let through errors
     * 200 times larger than the real one.
     */
    static final double Q_TOLERANCE = 2e-6;

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"network3d_1agent, zip", "network3d_1agent, legacy", "commnet_3agents, zip",
        "commnet_3agents, legacy"})
    void shouldMatchPublishedQValuesWhenLoadingReferenceWeights(String key, String format) throws Exception {
        JsonNode model = ParityReference.model(key);
        NetworkConfig config = ParityReference.config(model);
        LinkedHashMap<String, TensorData> sd = ParityReference.stateDict(model, format);
        byte[] input = ParityReference.input(model);
        int batch = model.get("input").get("shape").get(0).asInt();
        int agents = config.agents();
        double[] expected = ParityReference.doubles(model.get("forward_q_float32").get("values"));
        try (QNetwork net = QNetwork.create(config, 7, Device.CPU);
             ObservationBuffer u8 = ObservationBuffer.allocate(batch, agents, FrameType.UINT8);
             ObservationBuffer f32 = ObservationBuffer.allocate(batch, agents,
                     FrameType.FLOAT32)) {
            net.loadStateDict(sd);
            u8.buffer().putBytes(0, input);
            for (int i = 0; i < input.length; i++) {
                f32.buffer().putFloat(4L * i > Integer.MAX_VALUE ? 0 : 4 * i, input[i] & 0xff);
            }
            float[] qFromBytes = new float[batch * agents * 6];
            float[] qFromFloats = new float[batch * agents * 6];
            net.forward(u8, batch, qFromBytes);
            net.forward(f32, batch, qFromFloats);
            for (int i = 0; i < expected.length; i++) {
                assertEquals(expected[i], qFromBytes[i], Q_TOLERANCE, "q[" + i + "] from uint8 input");
            }
            assertArrayEquals(qFromBytes, qFromFloats, "uint8 and float32 inputs of the same values");
            assertEquals(model.get("n_params").asLong(), net.parameterCount());
        }
    }
}
