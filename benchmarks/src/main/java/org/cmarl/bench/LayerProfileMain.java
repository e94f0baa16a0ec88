package org.cmarl.bench;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.BoolOptional;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorArrayRefOptional;
import org.bytedeco.pytorch.global.torch;
import org.cmarl.engine.nn.Architecture;
import org.cmarl.engine.nn.Device;
import org.cmarl.engine.nn.NetworkConfig;
import org.cmarl.engine.nn.QNetwork;
import org.cmarl.engine.nn.Torch;

/**
 * Per-layer times of a network (conv0..conv3, heads), forward with autograd recording (as in training) and
 * backward, each layer timed on its own random input of the real size: where an update's time goes. A profiling
 * main rather than a JMH benchmark:
 * {@code java -cp benchmarks/target/benchmarks.jar org.cmarl.bench.LayerProfileMain Network3d 1 64 3 2}
 * (model, agents, batch, repeats, threads; threads 0 or absent = all cores). Prints one row per layer with the
 * median times over the repeats and the forward GFLOP/s ({@link Flops}). Each layer is synchronised on its own,
 * so the rows add up to more than a whole forward pass.
 */
public final class LayerProfileMain {
    /** One layer's median times over the repeats, and its forward FLOPs for the whole batch. */
    public record Row(String layer, double forwardMs, double backwardMs, long forwardFlop) {
        public double forwardGflops() { return forwardFlop / forwardMs / 1e6; }
    }

    private LayerProfileMain() {
    }

    public static void main(String[] args) {
        if (args.length < 4) {
            System.err.println("usage: LayerProfileMain <Network3d|CommNet> <agents> <batch> <repeats> [threads]");
            System.exit(2);
        }
        Torch.setThreads(args.length > 4 ? Integer.parseInt(args[4]) : 0);
        NetworkConfig config = NetworkConfig.of(Architecture.parse(args[0]), Integer.parseInt(args[1]));
        System.out.println(config.architecture().cliName() + ", " + config.agents() + " agents, batch " + args[2]
                + ", " + Torch.threads() + " threads");
        print(run(config, Integer.parseInt(args[2]), Integer.parseInt(args[3])), System.out);
    }

    public static List<Row> run(NetworkConfig config, int batch, int repeats) {
        if (batch < 1 || repeats < 1) {
            throw new IllegalArgumentException("batch=" + batch + ", repeats=" + repeats + ", both required >= 1");
        }
        int agents = config.agents();
        long n = (long) batch * agents;
        long[][] inputs = {{n, 4, 45, 45, 45}, {n, 32, 21, 21, 21}, {n, 32, 9, 9, 9}, {n, 64, 4, 4, 4}};
        List<Row> rows = new ArrayList<>();
        try (QNetwork net = QNetwork.create(config, 1, Device.CPU)) {
            for (int stage = 0; stage < 5; stage++) {
                double[] fwd = new double[repeats];
                double[] bwd = new double[repeats];
                for (int r = 0; r < repeats + 1; r++) {
                    try (PointerScope scope = new PointerScope()) {
                        Tensor x = stage < 4 ? torch.rand(inputs[stage]) : torch.rand(agents, batch, 512);
                        // conv0's input (the observation) needs no gradient; every later input does.
                        x.set_requires_grad(stage > 0);
                        long t0 = System.nanoTime();
                        Tensor out = net.forwardStage(stage, x);
                        long t1 = System.nanoTime();
                        Tensor grad;
                        try (NoGradGuard g = new NoGradGuard()) {
                            grad = torch.ones_like(out);
                        }
                        long t2 = System.nanoTime();
                        out.backward(grad, new BoolOptional(), false, new TensorArrayRefOptional());
                        long t3 = System.nanoTime();
                        if (r > 0) { // the first round warms caches and oneDNN primitives
                            fwd[r - 1] = (t1 - t0) / 1e6;
                            bwd[r - 1] = (t3 - t2) / 1e6;
                        }
                    }
                }
                long flop = stage < 4 ? Flops.convFlops(stage) * n : Flops.headFlops(config) * n;
                rows.add(new Row(stage < 4 ? "conv" + stage : "heads", median(fwd), median(bwd), flop));
            }
        }
        return rows;
    }

    private static double median(double[] v) {
        double[] c = v.clone();
        Arrays.sort(c);
        return c[c.length / 2];
    }

    public static void print(List<Row> rows, PrintStream out) {
        out.println("layer    forward_ms  backward_ms  forward_GFLOP/s");
        for (Row r : rows) {
            out.println(String.format(Locale.ROOT, "%-8s %10.2f %12.2f %16.1f", r.layer, r.forwardMs, r.backwardMs,
                    r.forwardGflops()));
        }
    }
}
