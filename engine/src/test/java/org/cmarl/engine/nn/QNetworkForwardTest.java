package org.cmarl.engine.nn;

import static org.cmarl.engine.nn.RingPhases.atPhase;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.LinkedHashMap;
import java.util.SplittableRandom;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.cmarl.engine.io.TensorData;
import org.cmarl.engine.observation.FrameType;
import org.junit.jupiter.api.Test;

class QNetworkForwardTest {
    private static final int FRAME_BYTES = 45 * 45 * 45;

    private static byte[] randomFrames(int count, long seed) {
        byte[] b = new byte[count * FRAME_BYTES];
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) r.nextInt(256);
        }
        return b;
    }

    /**
     * The published layer order (conv, PReLU, max-pool: the training path's blocks) run one observation-agent at a
     * time, the heads on the whole batch: the slow, obvious oracle of the inference path's pooling before PReLU.
     */
    private static float[] oracle(QNetwork net, ObservationBuffer observations, int batch) {
        int agents = net.config().agents();
        int rows = batch * agents;
        float[] q = new float[rows * 6];
        try (PointerScope scope = new PointerScope(); NoGradGuard noGrad = new NoGradGuard()) {
            Tensor all = observations.tensor(batch).reshape(rows, 4, 45, 45, 45);
            TensorVector features = new TensorVector();
            for (int r = 0; r < rows; r++) {
                Tensor x = all.narrow(0, r, 1).to(torch.ScalarType.Float).div(new Scalar(255.0));
                for (int stage = 0; stage < 4; stage++) {
                    x = net.forwardStage(stage, x);
                }
                features.push_back(x.reshape(1, 512));
            }
            Tensor f = torch.cat(features, 0).reshape(batch, agents, 512).transpose(0, 1);
            Tensor out = net.forwardStage(4, f).transpose(0, 1).contiguous();
            new FloatPointer(out.data_ptr()).capacity(rows * 6).get(q, 0, rows * 6);
        }
        return q;
    }

    @Test
    void shouldEqualPublishedLayerOrderBitForBitWhenPoolingBeforePreluInChunks() {
        int batch = 5;
        for (boolean negativeSlope : new boolean[] {false, true}) {
            for (NetworkConfig config : new NetworkConfig[] {NetworkConfig.of(Architecture.NETWORK3D, 1),
                    NetworkConfig.of(Architecture.COMMNET, 2)}) {
                int agents = config.agents();
                try (QNetwork net = QNetwork.create(config, 21, Device.CPU);
                     ObservationBuffer obs = ObservationBuffer.allocate(batch, agents, FrameType.UINT8)) {
                    if (negativeSlope) {
                        // conv1's PReLU decreasing on the negative side (the published SingleAgent.pt has -0.0176
                        // there): that layer keeps PReLU before the pool, the others pool first.
                        LinkedHashMap<String, TensorData> sd = net.stateDict();
                        sd.put("prelu1.weight", QNetwork.floatTensorData(new long[] {1}, new float[] {-0.0176f}));
                        net.loadStateDict(sd);
                    }
                    obs.buffer().putBytes(0, randomFrames(batch * agents * 4, 17));
                    float[] expected = oracle(net, obs, batch);
                    int threadsBefore = Torch.threads();
                    for (int rowsAndThreads = 0; rowsAndThreads < 8; rowsAndThreads++) {
                        int rows = new int[] {1, 2, 3, 64}[rowsAndThreads % 4];
                        int threads = rowsAndThreads < 4 ? 1 : 2; // 2: the trunk split over two worker threads
                        net.setTrunkRowsPerCall(rows);
                        float[] q = new float[batch * agents * 6];
                        Torch.setThreads(threads);
                        try {
                            net.forward(obs, batch, q);
                        } finally {
                            Torch.setThreads(threadsBefore);
                        }
                        // One row per call is the oracle's arithmetic exactly; more rows per conv call let oneDNN
                        // block the work differently, which moves the last bits only.
                        assertArrayEquals(expected, q, rows == 1 ? 0f : 1e-5f, net.describe() + ", " + rows
                                + " trunk rows per call, " + threads + " threads"
                                + (negativeSlope ? ", negative conv1 slope" : ""));
                    }
                }
            }
        }
    }

    /**
     * Fewer rows than workers (batch-1 evaluation and play at 2 threads) run on libtorch's OpenMP threads in the
     * calling thread: oneDNN splits the output among the threads, each output's sum keeps its one-thread order.
     */
    @Test
    void shouldEqualOneThreadBitForBitWhenOneRowRunsOnOpenMpThreads() {
        for (NetworkConfig config : new NetworkConfig[] {NetworkConfig.of(Architecture.NETWORK3D, 1),
                NetworkConfig.of(Architecture.COMMNET, 2)}) {
            int agents = config.agents();
            try (QNetwork net = QNetwork.create(config, 23, Device.CPU);
                 ObservationBuffer obs = ObservationBuffer.allocate(1, agents, FrameType.UINT8)) {
                obs.buffer().putBytes(0, randomFrames(agents * 4, 19));
                float[] expected = oracle(net, obs, 1);
                int threadsBefore = Torch.threads();
                float[] q = new float[agents * 6];
                Torch.setThreads(agents + 1);
                try {
                    net.forward(obs, 1, q);
                } finally {
                    Torch.setThreads(threadsBefore);
                }
                assertArrayEquals(expected, q, 0f, net.describe() + ", " + (agents + 1) + " threads");
            }
        }
    }

    @Test
    void shouldRefuseTrunkRowsPerCallWhenBelowOne() {
        try (QNetwork net = QNetwork.create(NetworkConfig.of(Architecture.NETWORK3D, 1), 1, Device.CPU)) {
            IllegalArgumentException e = assertThrows(
                    IllegalArgumentException.class, () -> net.setTrunkRowsPerCall(0));
            assertEquals("trunk rows per call 0, expected at least 1", e.getMessage());
        }
    }

    @Test
    void shouldGiveChronologicalQValuesWhenFramesAreStoredAsRingWithPhase() {
        byte[] frames = randomFrames(4, 11);
        try (QNetwork net = QNetwork.create(NetworkConfig.of(Architecture.NETWORK3D, 1), 9, Device.CPU);
             ObservationBuffer chrono = ObservationBuffer.allocate(1, 1, FrameType.UINT8);
             ObservationBuffer ring = ObservationBuffer.allocate(1, 1, FrameType.UINT8)) {
            chrono.buffer().putBytes(0, frames);
            float[] expected = new float[6];
            net.forward(chrono, 1, expected);
            for (int phase = 1; phase < 4; phase++) {
                // Oldest frame k=0 in slot `phase`, frame k in slot (phase + k) % 4.
                for (int k = 0; k < 4; k++) {
                    ring.buffer().putBytes((int) ring.frameOffsetBytes(0, 0, (phase + k) % 4), frames,
                            k * FRAME_BYTES, FRAME_BYTES);
                }
                float[] q = new float[6];
                net.forward(atPhase(ring, 1, phase), 1, q);
                assertArrayEquals(expected, q, 1e-5f, "phase " + phase);
            }
        }
    }

    @Test
    void shouldEqualTheOldestFirstForwardBitForBitWhenEntriesSitAtDifferentPhases() {
        int agents = 2;
        int batch = 4;
        byte[] frames = randomFrames(batch * agents * 4, 13);
        try (QNetwork net = QNetwork.create(NetworkConfig.of(Architecture.COMMNET, agents), 5, Device.CPU);
             ObservationBuffer canonical = ObservationBuffer.allocate(batch, agents, FrameType.UINT8);
             ObservationBuffer rings = ObservationBuffer.allocate(batch, agents, FrameType.UINT8)) {
            canonical.buffer().putBytes(0, frames);
            int[] phases = {2, 0, 3, 1};
            for (int b = 0; b < batch; b++) {
                for (int a = 0; a < agents; a++) {
                    for (int k = 0; k < 4; k++) {
                        rings.buffer().putBytes((int) rings.frameOffsetBytes(b, a, (phases[b] + k) % 4), frames,
                                (int) canonical.frameOffsetBytes(b, a, k), FRAME_BYTES);
                    }
                }
                rings.ring(b).setOldestSlot(phases[b]);
            }
            float[] expected = new float[batch * agents * 6];
            float[] q = new float[batch * agents * 6];
            net.forward(canonical, batch, expected);
            net.forward(rings, batch, q);
            assertArrayEquals(expected, q, 0f);
            // a prefix whose entries share one phase takes the rolled-weights path: the same values within rounding
            float[] first = new float[agents * 6];
            net.forward(rings, 1, first);
            float[] expectedFirst = new float[agents * 6];
            net.forward(canonical, 1, expectedFirst);
            assertArrayEquals(expectedFirst, first, 1e-5f);
        }
    }

    @Test
    void shouldEqualMeanCommunicationWhenAttentionLogitsAreEqual() {
        // softmax of equal logits is uniform, so attention communication is the plain mean over agents.
        int agents = 3;
        byte[] frames = randomFrames(4 * agents, 12);
        try (QNetwork plain = QNetwork.create(NetworkConfig.of(Architecture.COMMNET, agents), 4, Device.CPU);
             QNetwork att = QNetwork.create(new NetworkConfig(Architecture.COMMNET, agents, true, false), 5,
                     Device.CPU);
             ObservationBuffer obs = ObservationBuffer.allocate(1, agents, FrameType.UINT8)) {
            LinkedHashMap<String, TensorData> sd = plain.stateDict();
            for (int l = 1; l <= 3; l++) {
                for (int i = 0; i < agents; i++) {
                    sd.put("comm_att" + l + "." + i, QNetwork.floatTensorData(new long[] {agents},
                            new float[] {0.7f, 0.7f, 0.7f}));
                }
            }
            att.loadStateDict(sd);
            obs.buffer().putBytes(0, frames);
            float[] qPlain = new float[agents * 6];
            float[] qAtt = new float[agents * 6];
            plain.forward(obs, 1, qPlain);
            att.forward(obs, 1, qAtt);
            assertArrayEquals(qPlain, qAtt, 1e-5f);
        }
    }

    @Test
    void shouldGiveEachAgentItsOwnHeadWhenAgentsFoldedIntoBatch() {
        // Network3d with 2 agents equals two 1-agent networks carrying the respective heads.
        byte[] frames = randomFrames(8, 13);
        try (QNetwork two = QNetwork.create(NetworkConfig.of(Architecture.NETWORK3D, 2), 21, Device.CPU);
             QNetwork one = QNetwork.create(NetworkConfig.of(Architecture.NETWORK3D, 1), 22, Device.CPU);
             ObservationBuffer obs2 = ObservationBuffer.allocate(1, 2, FrameType.UINT8);
             ObservationBuffer obs1 = ObservationBuffer.allocate(1, 1, FrameType.UINT8)) {
            obs2.buffer().putBytes(0, frames);
            float[] q2 = new float[12];
            two.forward(obs2, 1, q2);
            LinkedHashMap<String, TensorData> sd2 = two.stateDict();
            for (int agent = 0; agent < 2; agent++) {
                LinkedHashMap<String, TensorData> sd1 = new LinkedHashMap<>();
                for (var e : sd2.entrySet()) {
                    String k = e.getKey();
                    if (k.startsWith("conv") || k.matches("prelu[0-3]\\.weight")) {
                        sd1.put(k, e.getValue());
                    } else if (k.matches("\\w+\\." + agent + "\\.\\w+")) {
                        sd1.put(k.replace("." + agent + ".", ".0."), e.getValue());
                    }
                }
                one.loadStateDict(sd1);
                obs1.buffer().putBytes(0, frames, agent * 4 * FRAME_BYTES, 4 * FRAME_BYTES);
                float[] q1 = new float[6];
                one.forward(obs1, 1, q1);
                for (int a = 0; a < 6; a++) {
                    assertEquals(q1[a], q2[agent * 6 + a], 1e-5f, "agent " + agent + " action " + a);
                }
            }
        }
    }
}
