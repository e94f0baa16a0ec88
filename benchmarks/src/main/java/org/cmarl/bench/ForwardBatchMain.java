package org.cmarl.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.Locale;

import org.cmarl.engine.nn.Architecture;
import org.cmarl.engine.nn.Device;
import org.cmarl.engine.nn.NetworkConfig;
import org.cmarl.engine.nn.ObservationBuffer;
import org.cmarl.engine.nn.Precision;
import org.cmarl.engine.nn.QNetwork;
import org.cmarl.engine.nn.Torch;
import org.cmarl.engine.observation.FrameType;

/**
 * Forward time per observation against the batch size (what {@code --batch_episodes} trades), fp32 and bf16
 * interleaved batch by batch. With 1 thread it reports the calling thread's CPU time as well as wall time: on a
 * shared machine CPU time is the steadier figure (libtorch runs a 1-thread forward on the calling thread).
 *
 * <pre>
 *   java [-Drlm.bench.trunkRows=R] [-Drlm.bench.trunkWorkers=false] -cp benchmarks/target/benchmarks.jar \
 *       org.cmarl.bench.ForwardBatchMain [threads] [reps] [batches...]
 * </pre>
 */
public final class ForwardBatchMain {
    private ForwardBatchMain() {
    }

    public static void main(String[] args) {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 1;
        int reps = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        int[] batches = args.length > 2 ? Arrays.stream(args, 2, args.length).mapToInt(Integer::parseInt).toArray()
                : new int[] {1, 2, 4, 8, 16, 32};
        Torch.setThreads(threads);
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        int max = Arrays.stream(batches).max().orElse(1);
        int trunkRows = Integer.getInteger("rlm.bench.trunkRows", 1);
        boolean trunkWorkers = !"false".equals(System.getProperty("rlm.bench.trunkWorkers"));
        System.out.printf(Locale.ROOT, "Network3d-1, %d thread(s), trunk rows per call %d, trunk workers %s,"
                + " median of %d, load average %s; ms per observation%n", Torch.threads(), trunkRows, trunkWorkers,
                reps, Machine.loadAverage());
        System.out.println("batch  fp32 wall  fp32 cpu  bf16 wall  bf16 cpu  fp32/bf16 (cpu)");
        try (QNetwork net = QNetwork.create(NetworkConfig.of(Architecture.NETWORK3D, 1), 1, Device.CPU);
             ObservationBuffer obs = ObservationBuffer.allocate(max, 1, FrameType.FLOAT32)) {
            net.setTrunkRowsPerCall(trunkRows);
            net.setTrunkWorkers(trunkWorkers);
            BenchObservations.fillRandomVoxels(obs, 3);
            float[] q = new float[max * 6];
            for (int b : batches) {
                double[][] t = new double[2][];
                for (Precision p : Precision.values()) {
                    net.setPrecision(p);
                    net.forward(obs, b, q);
                    double[] wall = new double[reps];
                    double[] cpu = new double[reps];
                    for (int i = 0; i < reps; i++) {
                        long w = System.nanoTime();
                        long c = mx.getCurrentThreadCpuTime();
                        net.forward(obs, b, q);
                        cpu[i] = (mx.getCurrentThreadCpuTime() - c) / 1e6 / b;
                        wall[i] = (System.nanoTime() - w) / 1e6 / b;
                    }
                    Arrays.sort(wall);
                    Arrays.sort(cpu);
                    t[p.ordinal()] = new double[] {wall[reps / 2], cpu[reps / 2]};
                }
                System.out.printf(Locale.ROOT, "%5d  %9.2f  %8.2f  %9.2f  %8.2f  %6.2fx%n", b, t[0][0], t[0][1], t[1][0],
                        t[1][1], t[0][1] / t[1][1]);
            }
        }
    }
}
