package org.cmarl.bench;

import java.util.Arrays;
import java.util.Locale;

import org.cmarl.engine.nn.Architecture;
import org.cmarl.engine.nn.Device;
import org.cmarl.engine.nn.NetworkConfig;
import org.cmarl.engine.nn.ObservationBuffer;
import org.cmarl.engine.nn.QNetwork;
import org.cmarl.engine.nn.Torch;
import org.cmarl.engine.observation.FrameType;

/**
 * How the CPU inference forward should use the machine's threads, the three ways interleaved call by call (so all
 * three see the same load): one libtorch thread; all cores as libtorch's own OpenMP threads; all cores as
 * {@code TrunkWorkers} (one thread per core, each at one libtorch thread: the engine's default). Network3d-1,
 * float32, milliseconds per observation (wall), median and quartiles.
 *
 * <pre>
 *   java -cp benchmarks/target/benchmarks.jar org.cmarl.bench.ForwardThreadingMain [reps] [batches...]
 * </pre>
 */
public final class ForwardThreadingMain {
    private ForwardThreadingMain() {
    }

    public static void main(String[] args) {
        int reps = args.length > 0 ? Integer.parseInt(args[0]) : 15;
        int[] batches = args.length > 1 ? Arrays.stream(args, 1, args.length).mapToInt(Integer::parseInt).toArray()
                : new int[] {1, 2, 4};
        int cores = Runtime.getRuntime().availableProcessors();
        int max = Arrays.stream(batches).max().orElse(1);
        String[] modes = {"1 thread", cores + " OpenMP threads", cores + " trunk workers"};
        System.out.printf(Locale.ROOT, "Network3d-1 fp32, %d cores, %d interleaved calls per way, load average %s;"
                + " ms per observation%n", cores, reps, Machine.loadAverage());
        try (QNetwork net = QNetwork.create(NetworkConfig.of(Architecture.NETWORK3D, 1), 1, Device.CPU);
             ObservationBuffer obs = ObservationBuffer.allocate(max, 1, FrameType.FLOAT32)) {
            BenchObservations.fillRandomVoxels(obs, 3);
            float[] q = new float[max * 6];
            for (int b : batches) {
                double[][] t = new double[modes.length][reps];
                for (int i = -3; i < reps; i++) { // 3 warm-up rounds
                    for (int m = 0; m < modes.length; m++) {
                        Torch.setThreads(m == 0 ? 1 : cores);
                        net.setTrunkWorkers(m == 2);
                        long t0 = System.nanoTime();
                        net.forward(obs, b, q);
                        if (i >= 0) {
                            t[m][i] = (System.nanoTime() - t0) / 1e6 / b;
                        }
                    }
                }
                for (int m = 0; m < modes.length; m++) {
                    Arrays.sort(t[m]);
                    System.out.printf(Locale.ROOT, "batch %2d  %-18s median %6.1f  quartiles %6.1f - %6.1f%n", b,
                            modes[m], t[m][reps / 2], t[m][reps / 4], t[m][3 * reps / 4]);
                }
            }
        }
    }
}
