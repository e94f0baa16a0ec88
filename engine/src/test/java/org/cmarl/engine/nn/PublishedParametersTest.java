package org.cmarl.engine.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.cmarl.engine.io.DType;
import org.cmarl.engine.io.TensorData;
import org.junit.jupiter.api.Test;

/** Plain Java: the published names, shapes and the checkpoint fit test, without libtorch. */
class PublishedParametersTest {
    /** A state dict with every expected name at its expected shape (zeros). */
    private static Map<String, TensorData> fitting(PublishedParameters expected) {
        Map<String, TensorData> sd = new LinkedHashMap<>();
        for (PublishedParameters.Parameter p : expected.all()) {
            sd.put(p.name(), new TensorData(DType.FLOAT32, p.shape(),
                    ByteBuffer.allocate((int) p.numel() * 4).array()));
        }
        return sd;
    }

    @Test
    void shouldCountThePublishedScalarsWhenBuiltForEachFamily() {
        assertEquals(550_860, new PublishedParameters(NetworkConfig.of(Architecture.NETWORK3D, 1)).count());
        assertEquals(1_374_684, new PublishedParameters(NetworkConfig.of(Architecture.COMMNET, 3)).count());
    }

    @Test
    void shouldListNamesInPublishedStateDictOrderWhenCommNetHasBothAttentions() {
        PublishedParameters p = new PublishedParameters(new NetworkConfig(Architecture.COMMNET, 2, true, true));
        List<String> names = p.names();
        assertEquals(List.of("conv0.weight", "conv0.bias", "prelu0.weight"), names.subList(0, 3));
        assertEquals(List.of("fc1.0.weight", "fc1.0.bias", "fc1.1.weight", "fc1.1.bias", "prelu4.0.weight",
                "prelu4.1.weight", "fc2.0.weight"), names.subList(12, 19));
        assertEquals(List.of("comm_att1.0", "comm_att1.1", "comm_att2.0", "comm_att2.1", "comm_att3.0",
                "comm_att3.1", "rew_att"), names.subList(names.size() - 7, names.size()));
        assertArrayEquals(new long[] {256, 1024}, p.all().get(12).shape(), "CommNet fc1 takes own + comm vector");
        assertArrayEquals(new long[] {32, 4, 5, 5, 5}, p.all().get(0).shape());
    }

    @Test
    void shouldAcceptAFittingStateDictAndToleratePublishedRewAttWhenTheModelHasNone() {
        NetworkConfig config = NetworkConfig.of(Architecture.NETWORK3D, 2);
        PublishedParameters p = new PublishedParameters(config);
        Map<String, TensorData> sd = fitting(p);
        CheckpointCompatibility.check(config, p, "Network3d (2 agents)", sd);
        sd.put("rew_att", new TensorData(DType.FLOAT32, new long[] {2, 2}, new byte[16]));
        CheckpointCompatibility.check(config, p, "Network3d (2 agents)", sd);
    }

    @Test
    void shouldNameTheArchitectureAgentsAndShapesWhenTheStateDictDoesNotFit() {
        NetworkConfig network3d = NetworkConfig.of(Architecture.NETWORK3D, 2);
        NetworkConfig commNet = NetworkConfig.of(Architecture.COMMNET, 2);
        Map<String, TensorData> commNetDict = fitting(new PublishedParameters(commNet));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CheckpointCompatibility
                .check(network3d, new PublishedParameters(network3d), "Network3d (2 agents)", commNetDict));
        assertEquals("this is a CommNet checkpoint (fc1.0.weight has 1024 inputs), --model_name Network3d given",
                e.getMessage());
        PublishedParameters threeAgents = new PublishedParameters(NetworkConfig.of(Architecture.COMMNET, 3));
        e = assertThrows(IllegalArgumentException.class, () -> CheckpointCompatibility
                .check(NetworkConfig.of(Architecture.COMMNET, 3), threeAgents, "CommNet (3 agents)", commNetDict));
        assertEquals("checkpoint has fc1.0..fc1.1 (2 agents), model has 3 agents", e.getMessage());
        Map<String, TensorData> broken = fitting(new PublishedParameters(commNet));
        broken.remove("conv1.bias");
        broken.put("conv0.bias", new TensorData(DType.FLOAT32, new long[] {31}, new byte[31 * 4]));
        broken.put("extra", new TensorData(DType.FLOAT32, new long[] {1}, new byte[4]));
        e = assertThrows(IllegalArgumentException.class, () -> CheckpointCompatibility
                .check(commNet, new PublishedParameters(commNet), "CommNet (2 agents)", broken));
        assertEquals("checkpoint does not fit CommNet (2 agents): missing [conv1.bias]; unexpected [extra]; "
                + "conv0.bias is [31], expected [32]", e.getMessage());
    }
}
