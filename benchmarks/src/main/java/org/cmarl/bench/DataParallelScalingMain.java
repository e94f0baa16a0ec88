package org.cmarl.bench;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.cmarl.engine.dist.DistBackend;
import org.cmarl.engine.dist.LaunchEnvironment;
import org.cmarl.engine.nn.Architecture;
import org.cmarl.engine.nn.Device;
import org.cmarl.engine.nn.DistributedGroup;
import org.cmarl.engine.nn.DqnLearner;
import org.cmarl.engine.nn.NetworkConfig;
import org.cmarl.engine.nn.ObservationBuffer;
import org.cmarl.engine.nn.QNetwork;
import org.cmarl.engine.nn.TeamReward;
import org.cmarl.engine.nn.Torch;
import org.cmarl.engine.observation.FrameType;

/**
 * Data-parallel scaling, measured in one run: for Network3d (1 agent) and CommNet (5 agents), the bytes of one
 * gradient all-reduce, its time over Gloo on loopback between two ranks (against a copy of the same bytes in
 * memory), and the DQN update time per sample at world size 1 and 2 (one libtorch thread per rank; the two ranks
 * are two threads of this JVM, each with its own c10d store client and Gloo group, as in the tests).
 *
 * <pre>java --add-exports java.base/jdk.internal.misc=ALL-UNNAMED -cp benchmarks/target/benchmarks.jar \
 *     org.cmarl.bench.DataParallelScalingMain [batchPerRank=4] [updates=3] [allReduces=20]</pre>
 */
public final class DataParallelScalingMain {
    private DataParallelScalingMain() {
    }

    public static void main(String[] args) throws Exception {
        int batch = args.length > 0 ? Integer.parseInt(args[0]) : 4;
        int updates = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        int reduces = args.length > 2 ? Integer.parseInt(args[2]) : 20;
        Torch.setThreads(1);
        System.out.printf(Locale.ROOT, "batch per rank %d, %d timed updates (after 1 warm-up), %d all-reduces, 1 thread"
                + " per rank%n", batch, updates, reduces);
        for (String model : new String[] {"Network3d:1", "CommNet:5"}) {
            String[] p = model.split(":");
            NetworkConfig config = NetworkConfig.of(Architecture.parse(p[0]), Integer.parseInt(p[1]));
            double one = perUpdate(config, batch, updates);
            double[] two = twoRanks(config, batch, updates, reduces);
            long bytes = (long) two[3];
            System.out.printf(Locale.ROOT, "%-12s gradient all-reduce %,d bytes: %.2f ms (median of %d; a memcpy of the"
                            + " same bytes %.3f ms, ratio %.0f); update per sample: world 1 %.3f s, world 2 %.3f s"
                            + " (world 2 / world 1 = %.2f; ideal 0.50)%n", model, bytes, two[1] * 1e3, reduces,
                    two[2] * 1e3, two[1] / two[2], one / batch, two[0] / (2.0 * batch), two[0] / (2.0 * one));
        }
    }

    /** Median seconds of one update of {@code batch} observations in one process. */
    private static double perUpdate(NetworkConfig config, int batch, int updates) {
        try (QNetwork online = QNetwork.create(config, 1, Device.CPU);
             QNetwork target = QNetwork.create(config, 2, Device.CPU);
             DqnLearner learner = new DqnLearner(online, target, 1e-3, TeamReward.NONE);
             Batch b = new Batch(config, batch, 0)) {
            double[] t = new double[updates];
            for (int u = -1; u < updates; u++) {
                long start = System.nanoTime();
                b.update(learner);
                if (u >= 0) {
                    t[u] = (System.nanoTime() - start) / 1e9;
                }
            }
            return median(t);
        }
    }

    /** {median update seconds, median all-reduce seconds, median memcpy seconds, bytes} on rank 0 of two. */
    private static double[] twoRanks(NetworkConfig config, int batch, int updates, int reduces) throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<double[]> r0 = pool.submit(() -> rank(config, 0, port, batch, updates, reduces));
            Future<double[]> r1 = pool.submit(() -> rank(config, 1, port, batch, updates, reduces));
            r1.get();
            return r0.get();
        } finally {
            pool.shutdownNow();
        }
    }

    private static double[] rank(NetworkConfig config, int rank, int port, int batch, int updates, int reduces) {
        LaunchEnvironment env = new LaunchEnvironment(rank, 2, rank, "127.0.0.1", port, DistBackend.GLOO, 600);
        try (DistributedGroup group = DistributedGroup.connect(env, Device.CPU);
             QNetwork online = QNetwork.create(config, 1, Device.CPU);
             QNetwork target = QNetwork.create(config, 2, Device.CPU);
             DqnLearner learner = new DqnLearner(online, target, 1e-3, TeamReward.NONE);
             Batch b = new Batch(config, batch, rank)) {
            learner.joinGroup(group);
            double[] t = new double[updates];
            for (int u = -1; u < updates; u++) {
                group.barrier();
                long start = System.nanoTime();
                b.update(learner);
                if (u >= 0) {
                    t[u] = (System.nanoTime() - start) / 1e9;
                }
            }
            double[] r = new double[reduces];
            double[] copy = new double[reduces];
            float[] host = new float[(int) (group.gradientBytes() / Float.BYTES)];
            float[] into = new float[host.length];
            for (int i = 0; i < reduces; i++) {
                group.barrier();
                long start = System.nanoTime();
                group.averageGradients(online);
                r[i] = (System.nanoTime() - start) / 1e9;
                start = System.nanoTime();
                System.arraycopy(host, 0, into, 0, host.length);
                copy[i] = (System.nanoTime() - start) / 1e9;
            }
            return new double[] {median(t), median(r), median(copy), group.gradientBytes()};
        }
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    /** A random uint8 mini-batch (states and next states) with actions, rewards and terminal flags. */
    private static final class Batch implements AutoCloseable {
        final ObservationBuffer s;
        final ObservationBuffer next;
        final int batch;
        final int[] actions;
        final float[] rewards;
        final boolean[] terminal;

        Batch(NetworkConfig config, int batch, int seed) {
            int agents = config.agents();
            this.batch = batch;
            s = ObservationBuffer.allocate(batch, agents, FrameType.UINT8);
            next = ObservationBuffer.allocate(batch, agents, FrameType.UINT8);
            SplittableRandom random = new SplittableRandom(seed);
            long bytes = (long) batch * agents * 4 * 45 * 45 * 45;
            for (long i = 0; i < bytes; i++) {
                s.buffer().putByte((int) i, (byte) random.nextInt(256));
                next.buffer().putByte((int) i, (byte) random.nextInt(256));
            }
            int n = batch * agents;
            actions = new int[n];
            rewards = new float[n];
            terminal = new boolean[n];
            for (int i = 0; i < n; i++) {
                actions[i] = random.nextInt(6);
                rewards[i] = (float) (random.nextDouble() * 2 - 1);
            }
        }

        void update(DqnLearner learner) {
            learner.update(s, next, batch, actions, rewards, terminal, 0.9);
        }

        @Override
        public void close() {
            s.close();
            next.close();
        }
    }
}
