package org.cmarl.engine.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.cmarl.engine.dist.DistBackend;
import org.cmarl.engine.dist.LaunchEnvironment;
import org.cmarl.engine.observation.FrameType;
import org.junit.jupiter.api.Test;

/**
 * Two ranks of a real Gloo group over loopback (two threads of this JVM, each with its own TCPStore client and
 * process group, as c10d's own tests run several ranks in one process), one libtorch thread each. Oracle: one
 * learner updating on the two ranks' batches concatenated. The per-rank loss is the mean over its batch; the mean of
 * the two ranks' gradients is the gradient of the mean over the concatenated batch because the batches are the same
 * size.
 *
 * <p>One observation per rank and one per micro-batch: then both sides do the same float operations (scaling a
 * chunk's loss by 1/2 and dividing the all-reduced sum by 2 are exact), so any difference is a defect of the
 * all-reduce path. With more observations per rank the float sums are associated differently, and Adam, which
 * normalises every element's step, turns a rounding difference in a near-zero gradient into about 1e-5 of a weight
 * after three steps (measured: 1.2e-6 absolute on fc1.0.weight, batch 2 per rank).
 */
class DataParallelUpdateTest {
    private static final int AGENTS = 1;
    private static final int BATCH = 1;
    private static final int UPDATES = 3;
    private static final double DISCOUNT = 0.9;
    private static final int FRAME_BYTES = AGENTS * 4 * 45 * 45 * 45;

    @Test
    void shouldHoldIdenticalWeightsOnEveryRankAndMatchTheConcatenatedBatchWhenTrainedDataParallel() throws Exception {
        Torch.setThreads(1);
        NetworkConfig config = NetworkConfig.of(Architecture.NETWORK3D, AGENTS);
        int port = FreePort.find();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<Map<String, float[]>>> ranks = new ArrayList<>();
            for (int rank = 0; rank < 2; rank++) {
                int r = rank;
                ranks.add(pool.submit(() -> trainRank(config, r, port)));
            }
            Map<String, float[]> rank0 = ranks.get(0).get(120, TimeUnit.SECONDS);
            Map<String, float[]> rank1 = ranks.get(1).get(120, TimeUnit.SECONDS);
            Map<String, float[]> single = trainSingle(config);

            assertEquals(rank0.keySet(), rank1.keySet());
            for (String name : rank0.keySet()) {
                assertArrayEquals(rank0.get(name), rank1.get(name), name + ": ranks differ");
            }
            boolean moved = false;
            try (QNetwork initial = QNetwork.create(config, 11, Device.CPU)) {
                Map<String, float[]> start = weights(initial);
                for (String name : single.keySet()) {
                    float[] e = single.get(name);
                    float[] a = rank0.get(name);
                    double scale = 0;
                    for (float v : e) {
                        scale = Math.max(scale, Math.abs(v));
                    }
                    for (int i = 0; i < e.length; i++) {
                        assertEquals(e[i], a[i], 1e-6 * scale, name + "[" + i + "]");
                        moved |= e[i] != start.get(name)[i];
                    }
                }
            }
            assertTrue(moved, "the updates changed no weight: the test would prove nothing");
        } finally {
            pool.shutdownNow();
        }
    }

    /** Rank r: its own seed for the networks (rank 0's must win through the broadcast), its half of every batch. */
    private static Map<String, float[]> trainRank(NetworkConfig config, int rank, int port) {
        LaunchEnvironment env = new LaunchEnvironment(rank, 2, rank, "127.0.0.1", port, DistBackend.GLOO, 60);
        try (DistributedGroup group = DistributedGroup.connect(env, Device.CPU);
             QNetwork online = QNetwork.create(config, 11 + 100 * rank, Device.CPU);
             QNetwork target = QNetwork.create(config, 12 + 100 * rank, Device.CPU);
             DqnLearner learner = new DqnLearner(online, target, 1e-3, TeamReward.NONE, 1);
             ObservationBuffer s = ObservationBuffer.allocate(BATCH, AGENTS, FrameType.UINT8);
             ObservationBuffer next = ObservationBuffer.allocate(BATCH, AGENTS, FrameType.UINT8)) {
            learner.joinGroup(group);
            for (int u = 0; u < UPDATES; u++) {
                Batch b = Batch.of(u, 2 * BATCH);
                fill(s, b, rank * BATCH, BATCH);
                fill(next, b, rank * BATCH, BATCH);
                int from = rank * BATCH * AGENTS;
                int to = from + BATCH * AGENTS;
                learner.update(s, next, BATCH, java.util.Arrays.copyOfRange(b.actions, from, to),
                        java.util.Arrays.copyOfRange(b.rewards, from, to),
                        java.util.Arrays.copyOfRange(b.terminal, from, to), DISCOUNT);
            }
            group.barrier();
            return weights(online);
        }
    }

    private static Map<String, float[]> trainSingle(NetworkConfig config) {
        try (QNetwork online = QNetwork.create(config, 11, Device.CPU);
             QNetwork target = QNetwork.create(config, 12, Device.CPU);
             DqnLearner learner = new DqnLearner(online, target, 1e-3, TeamReward.NONE, 1);
             ObservationBuffer s = ObservationBuffer.allocate(2 * BATCH, AGENTS, FrameType.UINT8);
             ObservationBuffer next = ObservationBuffer.allocate(2 * BATCH, AGENTS,
                     FrameType.UINT8)) {
            for (int u = 0; u < UPDATES; u++) {
                Batch b = Batch.of(u, 2 * BATCH);
                fill(s, b, 0, 2 * BATCH);
                fill(next, b, 0, 2 * BATCH);
                learner.update(s, next, 2 * BATCH, b.actions, b.rewards, b.terminal, DISCOUNT);
            }
            return weights(online);
        }
    }

    /** Observations {@code first .. first + count - 1} of batch {@code b} (next states are the frames + 1). */
    private static void fill(ObservationBuffer buffer, Batch b, int first, int count) {
        for (int i = 0; i < count * FRAME_BYTES; i++) {
            buffer.buffer().putByte(i, b.frames[first * FRAME_BYTES + i]);
        }
    }

    private record Batch(byte[] frames, int[] actions, float[] rewards, boolean[] terminal) {
        static Batch of(int update, int observations) {
            SplittableRandom random = new SplittableRandom(1000 + update);
            byte[] frames = new byte[observations * FRAME_BYTES];
            for (int i = 0; i < frames.length; i++) {
                frames[i] = (byte) random.nextInt(256);
            }
            int n = observations * AGENTS;
            int[] actions = new int[n];
            float[] rewards = new float[n];
            boolean[] terminal = new boolean[n];
            for (int i = 0; i < n; i++) {
                actions[i] = random.nextInt(6);
                rewards[i] = (float) (random.nextDouble() * 4 - 2);
                terminal[i] = random.nextInt(4) == 0;
            }
            return new Batch(frames, actions, rewards, terminal);
        }
    }

    static Map<String, float[]> weights(QNetwork network) {
        Map<String, float[]> out = new LinkedHashMap<>();
        network.stateDict().forEach((name, t) -> out.put(name, ParityReference.floats(t)));
        return out;
    }
}
