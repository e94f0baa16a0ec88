package org.cmarl.engine.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;

import org.cmarl.engine.io.AdamState;
import org.cmarl.engine.io.TensorData;
import org.cmarl.engine.observation.FrameType;
import org.junit.jupiter.api.Test;

/** Resuming: optimiser state out of one learner and into another continues training bit for bit. */
class DqnLearnerStateTest {
    @Test
    void shouldContinueIdenticallyWhenOptimiserStateRestoredIntoFreshLearner() {
        NetworkConfig config = NetworkConfig.of(Architecture.COMMNET, 2);
        int[] actions = {1, 4};
        float[] rewards = {0.3f, -2f};
        boolean[] terminal = {false, true};
        try (QNetwork onlineA = QNetwork.create(config, 1, Device.CPU);
             QNetwork targetA = QNetwork.create(config, 1, Device.CPU);
             QNetwork onlineB = QNetwork.create(config, 9, Device.CPU);
             QNetwork targetB = QNetwork.create(config, 9, Device.CPU);
             ObservationBuffer s = ObservationBuffer.allocate(1, 2, FrameType.UINT8);
             ObservationBuffer next = ObservationBuffer.allocate(1, 2, FrameType.UINT8);
             DqnLearner a = new DqnLearner(onlineA, targetA, 1e-3, TeamReward.NONE);
             DqnLearner b = new DqnLearner(onlineB, targetB, 5e-4, TeamReward.NONE)) {
            for (int i = 0; i < 2 * 4 * 45 * 45 * 45; i++) {
                s.buffer().putByte(i, (byte) (i * 7));
                next.buffer().putByte(i, (byte) (i * 11));
            }
            a.update(s, next, 1, actions, rewards, terminal, 0.9);
            AdamState state = a.optimiserState(1e-3);
            assertEquals(1f, state.params().get(0).step());
            onlineB.loadStateDict(onlineA.stateDict());
            targetB.loadStateDict(targetA.stateDict());
            b.loadOptimiserState(state);
            assertEquals(1e-3, b.learningRate());
            a.update(s, next, 1, actions, rewards, terminal, 0.9);
            b.update(s, next, 1, actions, rewards, terminal, 0.9);
            LinkedHashMap<String, TensorData> wa = onlineA.stateDict();
            LinkedHashMap<String, TensorData> wb = onlineB.stateDict();
            assertEquals(wa, wb);
            // Equal weights need the restored moments and step count: zero moments or step 1 would move them
            // differently (Adam's bias corrections depend on the step).
            assertEquals(2, b.steps());
        }
    }
}
