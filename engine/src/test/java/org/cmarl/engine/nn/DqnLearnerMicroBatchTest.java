package org.cmarl.engine.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

import org.cmarl.engine.io.TensorData;
import org.cmarl.engine.observation.FrameType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * An update split into micro-batches gives the loss and the gradients of the whole batch: the oracle is the same
 * learner with one chunk holding the whole batch.
 */
class DqnLearnerMicroBatchTest {
    private static final int BATCH = 3;
    private static final int AGENTS = 2;
    private static final int[] ACTIONS = {3, 0, 5, 2, 1, 4};
    private static final float[] REWARDS = {2.5f, -0.3f, -4f, 0.6f, 0.2f, -0.7f};
    private static final boolean[] TERMINAL = {false, true, false, false, true, false};
    private static final double DISCOUNT = 0.9;

    @ParameterizedTest
    @EnumSource(TeamReward.class)
    void shouldGiveTheWholeBatchGradientsWhenSplitIntoUnevenChunks(TeamReward teamReward) {
        NetworkConfig config = new NetworkConfig(Architecture.COMMNET, AGENTS, false,
                teamReward == TeamReward.ATTENTION);
        try (QNetwork online = QNetwork.create(config, 31, Device.CPU);
             QNetwork target = QNetwork.create(config, 32, Device.CPU);
             ObservationBuffer s = ObservationBuffer.allocate(BATCH, AGENTS, FrameType.UINT8);
             ObservationBuffer next = ObservationBuffer.allocate(BATCH, AGENTS, FrameType.UINT8);
             DqnLearner whole = new DqnLearner(online, target, 1e-3, teamReward, BATCH);
             DqnLearner chunked = new DqnLearner(online, target, 1e-3, teamReward, 2)) {
            SplittableRandom random = new SplittableRandom(5);
            for (int i = 0; i < BATCH * AGENTS * 4 * 45 * 45 * 45; i++) {
                s.buffer().putByte(i, (byte) random.nextInt(256));
                next.buffer().putByte(i, (byte) random.nextInt(256));
            }
            whole.zeroGrad();
            float expectedLoss = whole.lossAndGradients(s, next, BATCH, ACTIONS, REWARDS, TERMINAL, DISCOUNT);
            Map<String, float[]> expected = gradients(online);
            chunked.zeroGrad();
            float loss = chunked.lossAndGradients(s, next, BATCH, ACTIONS, REWARDS, TERMINAL, DISCOUNT);
            Map<String, float[]> actual = gradients(online);

            assertEquals(expectedLoss, loss, 1e-5 * Math.abs(expectedLoss));
            assertEquals(expected.keySet(), actual.keySet());
            // float32 sums over 45^3 voxels in another order: the 1e-4 relative parity tolerance
            for (String name : expected.keySet()) {
                float[] e = expected.get(name);
                float[] a = actual.get(name);
                double scale = 0;
                for (float v : e) {
                    scale = Math.max(scale, Math.abs(v));
                }
                for (int i = 0; i < e.length; i++) {
                    assertEquals(e[i], a[i], 1e-4 * scale + 1e-9, name + "[" + i + "]");
                }
            }
        }
    }

    @Test
    void shouldRejectMicroBatchWhenBelowOne() {
        NetworkConfig config = NetworkConfig.of(Architecture.NETWORK3D, 1);
        try (QNetwork online = QNetwork.create(config, 1, Device.CPU);
             QNetwork target = QNetwork.create(config, 1, Device.CPU)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new DqnLearner(online, target, 1e-3, TeamReward.NONE, 0));
            assertEquals("microBatch=0, required >= 1", e.getMessage());
        }
    }

    @Test
    void shouldSplitActivationBudgetByAgentsWhenMicroBatchIsDefault() {
        assertEquals(64, DqnLearner.defaultMicroBatch(1));
        assertEquals(12, DqnLearner.defaultMicroBatch(5));
        assertEquals(1, DqnLearner.defaultMicroBatch(80));
    }

    private static Map<String, float[]> gradients(QNetwork network) {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (String name : network.parameterNames()) {
            TensorData g = network.gradient(name);
            out.put(name, ParityReference.floats(g));
        }
        return out;
    }
}
