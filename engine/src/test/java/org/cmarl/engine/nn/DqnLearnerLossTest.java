package org.cmarl.engine.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.SplittableRandom;

import org.cmarl.engine.observation.FrameType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The loss of SPEC.md section 5 against a slow scalar oracle on the networks' own Q-values. */
class DqnLearnerLossTest {
    private static final int BATCH = 2;
    private static final int AGENTS = 2;
    private static final int[] ACTIONS = {3, 0, 5, 2};
    private static final float[] REWARDS = {2.5f, -0.3f, -4f, 0.6f};
    private static final boolean[] TERMINAL = {false, true, false, false};
    private static final double DISCOUNT = 0.9;

    @ParameterizedTest
    @EnumSource(TeamReward.class)
    void shouldEqualScalarOracleWhenTeamRewardIs(TeamReward teamReward) {
        NetworkConfig config = new NetworkConfig(Architecture.COMMNET, AGENTS, false,
                teamReward == TeamReward.ATTENTION);
        try (QNetwork online = QNetwork.create(config, 31, Device.CPU);
             QNetwork target = QNetwork.create(config, 32, Device.CPU);
             ObservationBuffer s = ObservationBuffer.allocate(BATCH, AGENTS, FrameType.UINT8);
             ObservationBuffer next = ObservationBuffer.allocate(BATCH, AGENTS, FrameType.UINT8);
             DqnLearner learner = new DqnLearner(online, target, 1e-3, teamReward)) {
            SplittableRandom random = new SplittableRandom(5);
            for (int i = 0; i < s.capacityBatch() * AGENTS * 4 * 45 * 45 * 45; i++) {
                s.buffer().putByte(i, (byte) random.nextInt(256));
                next.buffer().putByte(i, (byte) random.nextInt(256));
            }
            float[] q = new float[BATCH * AGENTS * 6];
            float[] qNext = new float[BATCH * AGENTS * 6];
            online.forward(s, BATCH, q);
            target.forward(next, BATCH, qNext);
            double[][] softmax = null;
            if (teamReward == TeamReward.ATTENTION) {
                float[] logits = ParityReference.floats(online.stateDict().get("rew_att"));
                softmax = softmaxOverRows(logits, AGENTS);
            }
            // oracle
            int n = BATCH * AGENTS;
            double[] r = new double[n];
            for (int i = 0; i < n; i++) {
                r[i] = Math.max(-1, Math.min(1, REWARDS[i]));
            }
            double[] shared = new double[n];
            for (int b = 0; b < BATCH; b++) {
                for (int i = 0; i < AGENTS; i++) {
                    double extra = 0;
                    for (int j = 0; j < AGENTS; j++) {
                        double rj = r[b * AGENTS + j];
                        extra += teamReward == TeamReward.MEAN ? rj / AGENTS
                                : teamReward == TeamReward.ATTENTION ? rj * softmax[j][i] : 0;
                    }
                    shared[b * AGENTS + i] = r[b * AGENTS + i] + extra;
                }
            }
            double loss = 0;
            double[] dLdy = new double[n];
            for (int k = 0; k < n; k++) {
                double max = Double.NEGATIVE_INFINITY;
                for (int a = 0; a < 6; a++) {
                    max = Math.max(max, qNext[k * 6 + a]);
                }
                double y = shared[k] + (TERMINAL[k] ? 0 : DISCOUNT * max);
                double d = y - q[k * 6 + ACTIONS[k]];
                loss += Math.abs(d) < 1 ? 0.5 * d * d : Math.abs(d) - 0.5;
                dLdy[k] = Math.max(-1, Math.min(1, d)) / n;
            }
            loss /= n;
            learner.zeroGrad();
            float actual = learner.lossAndGradients(s, next, BATCH, ACTIONS, REWARDS, TERMINAL, DISCOUNT);
            assertEquals(loss, actual, 1e-5 * Math.abs(loss));
            if (teamReward == TeamReward.ATTENTION) {
                // Published: the labels are not detached, so rew_att learns through the reward term:
                // dL/dR[k][i] = sum_b dL/dy[b][i] * S[k][i] * (r[b][k] - sum_j r[b][j] S[j][i]).
                float[] grad = ParityReference.floats(online.gradient("rew_att"));
                for (int k = 0; k < AGENTS; k++) {
                    for (int i = 0; i < AGENTS; i++) {
                        double g = 0;
                        for (int b = 0; b < BATCH; b++) {
                            double mix = 0;
                            for (int j = 0; j < AGENTS; j++) {
                                mix += r[b * AGENTS + j] * softmax[j][i];
                            }
                            g += dLdy[b * AGENTS + i] * softmax[k][i] * (r[b * AGENTS + k] - mix);
                        }
                        assertEquals(g, grad[k * AGENTS + i], 1e-6 + 1e-4 * Math.abs(g), "grad rew_att[" + k + "]["
                                + i + "]");
                    }
                }
            }
        }
    }

    /** softmax over dim 0 of a row-major (a x a) matrix: each column sums to 1. */
    private static double[][] softmaxOverRows(float[] logits, int a) {
        double[][] s = new double[a][a];
        for (int col = 0; col < a; col++) {
            double sum = 0;
            for (int row = 0; row < a; row++) {
                sum += Math.exp(logits[row * a + col]);
            }
            for (int row = 0; row < a; row++) {
                s[row][col] = Math.exp(logits[row * a + col]) / sum;
            }
        }
        return s;
    }

    @Test
    void shouldNameTheActionWhenActionOutOfRange() {
        NetworkConfig config = NetworkConfig.of(Architecture.NETWORK3D, 1);
        try (QNetwork online = QNetwork.create(config, 1, Device.CPU);
             QNetwork target = QNetwork.create(config, 1, Device.CPU);
             ObservationBuffer s = ObservationBuffer.allocate(1, 1, FrameType.UINT8);
             DqnLearner learner = new DqnLearner(online, target, 1e-3, TeamReward.NONE)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> learner.update(s, s, 1,
                    new int[] {6}, new float[] {0}, new boolean[] {false}, 0.9));
            assertEquals("action[0]=6, expected 0..5", e.getMessage());
        }
    }
}
