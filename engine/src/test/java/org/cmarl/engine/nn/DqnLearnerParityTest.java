package org.cmarl.engine.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;

import com.fasterxml.jackson.databind.JsonNode;
import org.cmarl.engine.io.TensorData;
import org.cmarl.engine.observation.FrameType;
import org.junit.jupiter.api.Test;

/**
 * One DQN update on the reference transition batch (network_parity.json, {@code dqn_step}): loss, gradients and
 * the weights after one Adam step.
 */
class DqnLearnerParityTest {
    private static final double REL = 1e-4;
    /**
     * The Network3d step's conv0 and prelu0 gradients with the near-tie max-pool window routed the other way: PyTorch
     * 1.13 in float64 on the same weights and batch ({@code benchmarks/python/pytorch_gradient_parity.py}; its float32
     * gives the same within 3e-6). The engine's float32 kernels route it this way on the AMD EPYC (Zen 5).
     */
    private static final double FLOAT64_ROUTING_SUM = -5.131044156819826;
    private static final double FLOAT64_ROUTING_ABS = 201.0395442101967;
    private static final double[] FLOAT64_ROUTING_FIRST8 = {-0.01735771633684635, -0.02270353026688099,
        -0.02152131125330925, -0.016833936795592308, -0.01127050444483757, -0.01146997045725584,
        -0.0066784340888261795, -0.02122497744858265};
    private static final double FLOAT64_ROUTING_PRELU0 = 0.014085495844483376;

    /** Everything the reference lists, after {@code lossAndGradients} and after one Adam step. */
    private record Step(float loss, TensorData fc3Weight, TensorData fc3Bias, TensorData conv0, TensorData prelu0,
            LinkedHashMap<String, TensorData> after) {
    }

    private static Step runStep(JsonNode model, LinkedHashMap<String, TensorData> sd) throws Exception {
        NetworkConfig config = ParityReference.config(model);
        int agents = config.agents();
        JsonNode batchJson = model.get("dqn_step").get("batch");
        int batch = batchJson.get("actions").size();
        byte[] input = ParityReference.input(model);
        int n = batch * agents;
        int[] actions = new int[n];
        float[] rewards = new float[n];
        boolean[] terminal = new boolean[n];
        for (int b = 0; b < batch; b++) {
            for (int a = 0; a < agents; a++) {
                actions[b * agents + a] = batchJson.get("actions").get(b).get(a).asInt();
                rewards[b * agents + a] = (float) batchJson.get("rewards").get(b).get(a).asDouble();
                terminal[b * agents + a] = batchJson.get("isOver").get(b).get(a).asBoolean();
            }
        }
        try (QNetwork online = QNetwork.create(config, 1, Device.CPU);
             QNetwork target = QNetwork.create(config, 2, Device.CPU);
             ObservationBuffer s = ObservationBuffer.allocate(batch, agents, FrameType.UINT8);
             ObservationBuffer next = ObservationBuffer.allocate(batch, agents, FrameType.UINT8);
             DqnLearner learner = new DqnLearner(online, target, DqnLearner.DEFAULT_LEARNING_RATE, TeamReward.NONE)) {
            online.loadStateDict(sd);
            learner.syncTarget();
            s.buffer().putBytes(0, input);
            // next_states[b] = states[batch - 1 - b] (the reference reverses the batch axis)
            int per = input.length / batch;
            for (int b = 0; b < batch; b++) {
                next.buffer().putBytes(b * per, input, (batch - 1 - b) * per, per);
            }
            learner.zeroGrad();
            float loss = learner.lossAndGradients(s, next, batch, actions, rewards, terminal,
                    DqnLearner.DEFAULT_DISCOUNT);
            TensorData fc3w = online.gradient("fc3.0.weight");
            TensorData fc3b = online.gradient("fc3.0.bias");
            TensorData conv0 = online.gradient("conv0.weight");
            TensorData prelu0 = online.gradient("prelu0.weight");
            learner.step();
            return new Step(loss, fc3w, fc3b, conv0, prelu0, online.stateDict());
        }
    }

    private static void assertRel(double expected, double actual, String what) {
        assertEquals(expected, actual, REL * Math.abs(expected) + 1e-7, what);
    }

    private static void assertCommon(JsonNode model, Step step, LinkedHashMap<String, TensorData> before) {
        JsonNode ref = model.get("dqn_step");
        assertRel(ref.get("loss").asDouble(), step.loss, "loss");
        double[] w = ParityReference.doubles(ref.get("grad_fc3_agent0_weight").get("values"));
        float[] gw = ParityReference.floats(step.fc3Weight);
        assertEquals(w.length, gw.length);
        for (int i = 0; i < w.length; i++) {
            assertRel(w[i], gw[i], "grad fc3.0.weight[" + i + "]");
        }
        double[] b = ParityReference.doubles(ref.get("grad_fc3_agent0_bias"));
        float[] gb = ParityReference.floats(step.fc3Bias);
        for (int i = 0; i < b.length; i++) {
            assertRel(b[i], gb[i], "grad fc3.0.bias[" + i + "]");
        }
        JsonNode after = ref.get("after_one_adam_step");
        double[] first16 = ParityReference.doubles(after.get("fc3_agent0_weight_first16"));
        float[] fc3After = ParityReference.floats(step.after.get("fc3.0.weight"));
        for (int i = 0; i < first16.length; i++) {
            assertRel(first16[i], fc3After[i], "fc3.0.weight[" + i + "] after one Adam step");
        }
        // Adam's first step moves every weight with a non-negligible gradient by lr: compare the total movement.
        float[] c0Before = ParityReference.floats(before.get("conv0.weight"));
        float[] c0After = ParityReference.floats(step.after.get("conv0.weight"));
        double moved = 0;
        for (int i = 0; i < c0After.length; i++) {
            moved += Math.abs(c0After[i] - c0Before[i]);
        }
        assertRel(after.get("conv0_weight_delta_abs_sum").asDouble(), moved, "sum |conv0 delta| after Adam");
    }

    @Test
    void shouldMatchPublishedLossGradientsAndAdamStepWhenCommNetThreeAgents() throws Exception {
        JsonNode model = ParityReference.model(ParityReference.COMMNET);
        LinkedHashMap<String, TensorData> sd = ParityReference.stateDict(model, "zip");
        Step step = runStep(model, sd);
        assertCommon(model, step, sd);
        JsonNode ref = model.get("dqn_step");
        float[] g = ParityReference.floats(step.conv0);
        double sum = 0;
        double abs = 0;
        for (float v : g) {
            sum += v;
            abs += Math.abs(v);
        }
        assertRel(ref.get("grad_conv0_weight_sum").asDouble(), sum, "sum grad conv0.weight");
        assertRel(ref.get("grad_conv0_weight_abs_sum").asDouble(), abs, "sum |grad conv0.weight|");
        double[] first8 = ParityReference.doubles(ref.get("grad_conv0_weight_first8"));
        for (int i = 0; i < first8.length; i++) {
            assertRel(first8[i], g[i], "grad conv0.weight[" + i + "]");
        }
        assertRel(ref.get("grad_prelu0_weight").get(0).asDouble(), ParityReference.floats(step.prelu0)[0],
                "grad prelu0.weight");
    }

    /**
     * Network3d: loss, head gradients and the Adam step match the reference to 1e-4; the trunk gradients to 2e-3.
     * WHY the looser bound: one maxpool1 window of this input has its two largest values 1.8e-8 apart (relative),
     * below float32 resolution, so which of them receives the gradient depends on the convolution kernels'
     * summation order. A float64 recomputation routes it the other way and moves the conv0 gradient sum by 2%
     * (-5.131 instead of -5.031); the engine's float32 channels-last kernels route it as the published run did
     * (sum of |grad| within 4e-6 relative, the listed elements within 1.1e-3: other windows with gaps near 1e-6
     * remain order-sensitive). On a 2-core AMD EPYC (Zen 5, AVX-512 without AMX) the engine's kernels route the
     * window as float64 does (sum -5.131): the test accepts either routing, the reference's at 2e-3 and float64's
     * at 1e-4, and nothing in between. CommNet's trunk gradients match at 1e-4. PyTorch 1.13 itself, run on the development
     * machine on the same weights and batch (benchmarks/python/pytorch_gradient_parity.py), is further off than the
     * engine: conv0 gradient sum -5.131 (2.0%), first 8 elements within 1.6%, prelu0 within 1.4e-3, in float32 and
     * float64 alike: 1e-4 on these two tensors is reachable only with the reference machine's summation order.
     */
    @Test
    void shouldMatchPublishedLossAndGradientsWhenNetwork3d() throws Exception {
        JsonNode model = ParityReference.model(ParityReference.NETWORK3D);
        LinkedHashMap<String, TensorData> sd = ParityReference.stateDict(model, "zip");
        Step step = runStep(model, sd);
        assertCommon(model, step, sd);
        JsonNode ref = model.get("dqn_step");
        float[] g = ParityReference.floats(step.conv0);
        double sum = 0;
        double abs = 0;
        for (float v : g) {
            sum += v;
            abs += Math.abs(v);
        }
        // The reference's routing of the near-tie window (its float32 kernels), or float64's: each checked tightly.
        boolean referenceRouting = Math.abs(sum / ref.get("grad_conv0_weight_sum").asDouble() - 1) < 0.01;
        double[] first8 = referenceRouting ? ParityReference.doubles(ref.get("grad_conv0_weight_first8"))
                : FLOAT64_ROUTING_FIRST8;
        double expectedSum = referenceRouting ? ref.get("grad_conv0_weight_sum").asDouble() : FLOAT64_ROUTING_SUM;
        double expectedAbs = referenceRouting ? ref.get("grad_conv0_weight_abs_sum").asDouble() : FLOAT64_ROUTING_ABS;
        double expectedPrelu0 = referenceRouting ? ref.get("grad_prelu0_weight").get(0).asDouble()
                : FLOAT64_ROUTING_PRELU0;
        double bound = referenceRouting ? 2e-3 : 1e-4;
        String routing = referenceRouting ? " (the reference's routing)" : " (float64's routing)";
        assertEquals(expectedSum, sum, bound * Math.abs(expectedSum), "sum grad conv0.weight" + routing);
        assertEquals(expectedAbs, abs, REL * expectedAbs, "sum |grad conv0.weight|" + routing);
        for (int i = 0; i < first8.length; i++) {
            assertEquals(first8[i], g[i], bound * Math.abs(first8[i]), "grad conv0.weight[" + i + "]" + routing);
        }
        assertEquals(expectedPrelu0, ParityReference.floats(step.prelu0)[0], bound * Math.abs(expectedPrelu0),
                "grad prelu0.weight" + routing);
    }
}
