package org.cmarl.engine.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import org.cmarl.engine.io.DType;
import org.cmarl.engine.io.TensorData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class QNetworkStateDictTest {
    @ParameterizedTest
    @ValueSource(strings = {ParityReference.NETWORK3D, ParityReference.COMMNET})
    void shouldGiveBackReferenceBytesInPublishedOrderWhenLoadedFromCheckpoint(String key) throws Exception {
        JsonNode model = ParityReference.model(key);
        LinkedHashMap<String, TensorData> sd = ParityReference.stateDict(model, "zip");
        List<String> expectedOrder = new ArrayList<>();
        model.get("state_dict_keys_in_order").forEach(n -> expectedOrder.add(n.asText()));
        try (QNetwork net = QNetwork.create(ParityReference.config(model), 3, Device.CPU)) {
            assertEquals(expectedOrder, net.parameterNames());
            net.loadStateDict(sd);
            LinkedHashMap<String, TensorData> back = net.stateDict();
            assertEquals(expectedOrder, new ArrayList<>(back.keySet()));
            for (String name : expectedOrder) {
                assertEquals(sd.get(name), back.get(name), name);
            }
        }
    }

    @Test
    void shouldReproduceWeightsWhenSameSeedAndDifferWhenOtherSeed() {
        NetworkConfig config = NetworkConfig.of(Architecture.COMMNET, 2);
        try (QNetwork a = QNetwork.create(config, 42, Device.CPU);
             QNetwork b = QNetwork.create(config, 42, Device.CPU);
             QNetwork c = QNetwork.create(config, 43, Device.CPU)) {
            Map<String, TensorData> sa = a.stateDict();
            assertEquals(sa, b.stateDict());
            assertNotEquals(sa.get("fc2.1.weight"), c.stateDict().get("fc2.1.weight"));
            c.loadStateDict(sa);
            assertEquals(sa, c.stateDict());
        }
    }

    @Test
    void shouldUseXavierBoundsBiasBoundsAndQuarterSlopesWhenInitialised() {
        try (QNetwork net = QNetwork.create(NetworkConfig.of(Architecture.NETWORK3D, 2), 5, Device.CPU)) {
            LinkedHashMap<String, TensorData> sd = net.stateDict();
            // conv0: fan_in 4*125, fan_out 32*125; fc1: 512 in, 256 out
            assertUniform(sd.get("conv0.weight"), Math.sqrt(6.0 / (4 * 125 + 32 * 125)));
            assertUniform(sd.get("conv0.bias"), 1 / Math.sqrt(4 * 125));
            assertUniform(sd.get("fc1.1.weight"), Math.sqrt(6.0 / (512 + 256)));
            assertUniform(sd.get("fc1.1.bias"), 1 / Math.sqrt(512));
            assertUniform(sd.get("fc3.0.weight"), Math.sqrt(6.0 / (128 + 6)));
            for (String p : List.of("prelu0.weight", "prelu3.weight", "prelu4.1.weight", "prelu5.0.weight")) {
                assertArrayEquals(new float[] {0.25f}, ParityReference.floats(sd.get(p)), p);
            }
        }
    }

    /** Every value inside [-bound, bound], reaching past 0.95 bound on both sides (thousands of draws). */
    private static void assertUniform(TensorData t, double bound) {
        float min = Float.MAX_VALUE;
        float max = -Float.MAX_VALUE;
        for (float v : ParityReference.floats(t)) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        assertTrue(max <= bound && min >= -bound, "values in [" + min + ", " + max + "], bound " + bound);
        if (t.numel() >= 500) {
            assertTrue(max > 0.95 * bound && min < -0.95 * bound, "values in [" + min + ", " + max + "], bound "
                    + bound);
        }
    }

    @Test
    void shouldNameAgentCountsWhenCheckpointHasOtherAgents() {
        LinkedHashMap<String, TensorData> three;
        try (QNetwork net = QNetwork.create(NetworkConfig.of(Architecture.COMMNET, 3), 1, Device.CPU)) {
            three = net.stateDict();
        }
        try (QNetwork five = QNetwork.create(NetworkConfig.of(Architecture.COMMNET, 5), 1, Device.CPU)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> five.loadStateDict(three));
            assertEquals("checkpoint has fc1.0..fc1.2 (3 agents), model has 5 agents", e.getMessage());
        }
    }

    @Test
    void shouldNameArchitectureWhenCheckpointIsCommNetAndModelNetwork3d() {
        LinkedHashMap<String, TensorData> comm;
        try (QNetwork net = QNetwork.create(NetworkConfig.of(Architecture.COMMNET, 1), 1, Device.CPU)) {
            comm = net.stateDict();
        }
        try (QNetwork n3d = QNetwork.create(NetworkConfig.of(Architecture.NETWORK3D, 1), 1, Device.CPU)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> n3d.loadStateDict(comm));
            assertEquals("this is a CommNet checkpoint (fc1.0.weight has 1024 inputs), --model_name Network3d given",
                    e.getMessage());
        }
    }

    @Test
    void shouldListMissingUnexpectedAndMisshapenNamesWhenCheckpointDiffers() {
        try (QNetwork net = QNetwork.create(NetworkConfig.of(Architecture.NETWORK3D, 1), 1, Device.CPU)) {
            LinkedHashMap<String, TensorData> sd = net.stateDict();
            sd.remove("conv2.bias");
            sd.put("extra.weight", new TensorData(DType.FLOAT32, new long[] {1}, new byte[4]));
            sd.put("prelu1.weight", new TensorData(DType.FLOAT32, new long[] {2}, new byte[8]));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> net.loadStateDict(sd));
            assertEquals("checkpoint does not fit Network3d (1 agent): missing [conv2.bias]; unexpected "
                    + "[extra.weight]; prelu1.weight is [2], expected [1]", e.getMessage());
        }
    }

    @Test
    void shouldRejectAttentionCheckpointWhenModelBuiltWithoutAttention() {
        LinkedHashMap<String, TensorData> att;
        try (QNetwork net = QNetwork.create(new NetworkConfig(Architecture.COMMNET, 2, true, false), 1, Device.CPU)) {
            assertTrue(net.parameterNames().containsAll(List.of("comm_att1.0", "comm_att1.1", "comm_att3.1")));
            assertArrayEquals(new long[] {2}, net.stateDict().get("comm_att2.1").shape());
            att = net.stateDict();
        }
        try (QNetwork plain = QNetwork.create(NetworkConfig.of(Architecture.COMMNET, 2), 1, Device.CPU)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> plain.loadStateDict(att));
            assertEquals("checkpoint has comm_att1..3 (CommNet trained with --attention), model built without "
                    + "attention", e.getMessage());
        }
    }

    @Test
    void shouldThrowIllegalStateWhenUsedAfterClose() {
        QNetwork net = QNetwork.create(NetworkConfig.of(Architecture.NETWORK3D, 1), 1, Device.CPU);
        net.close();
        net.close();
        assertThrows(IllegalStateException.class, net::stateDict);
    }
}
