package org.cmarl.bench;

import java.util.concurrent.TimeUnit;

import org.cmarl.engine.nn.Architecture;
import org.cmarl.engine.nn.Device;
import org.cmarl.engine.nn.NetworkConfig;
import org.cmarl.engine.nn.ObservationBuffer;
import org.cmarl.engine.nn.QNetwork;
import org.cmarl.engine.nn.Torch;
import org.cmarl.engine.observation.FrameType;
import org.cmarl.engine.observation.ObservationGeometry;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One greedy forward pass at batch 1 (what evaluation does per step): float32 observation {@code (1, agents, 4,
 * 45, 45, 45)} already in the off-heap buffer, Q-values copied back to a Java array. Throughput mode: latency =
 * 1000 / score ms; the {@code ·gflop} row is GFLOP/s (4.44 GFLOP per agent per forward, see {@link Flops}).
 *
 * <p>Published (perf.json, 2-core AMD EPYC, 2 threads): Network3d 1 agent 56 ms (about 18 ops/s, 79 GFLOP/s),
 * CommNet 5 agents 334 ms (3 ops/s). Expected here: the same order, Network3d 1 agent 30-60 ms on that machine.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED"})
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 10)
public class NetworkForwardBenchmark {
    /** {@code <model>:<agents>}. */
    @Param({"Network3d:1", "CommNet:5", "CommNet:8"})
    String model;

    /** libtorch intra-op threads; 0 = all cores. */
    @Param({"0"})
    int threads;

    private QNetwork network;
    private ObservationBuffer observations;
    private float[] q;
    private double gflopPerForward;

    @Setup(Level.Trial)
    public void setUp() {
        Torch.setThreads(threads);
        String[] parts = model.split(":");
        NetworkConfig config = NetworkConfig.of(Architecture.parse(parts[0]), Integer.parseInt(parts[1]));
        network = QNetwork.create(config, 1, Device.CPU);
        observations = ObservationBuffer.allocate(1, config.agents(), FrameType.FLOAT32);
        long n = observations.capacityBatch() * (long) config.agents() * 4 * 45 * 45 * 45;
        for (int i = 0; i < n; i++) {
            observations.buffer().putFloat(4 * i, (i * 37) % 256);
        }
        q = new float[config.agents() * ObservationGeometry.ACTIONS];
        gflopPerForward = Flops.forward(config, 1) / 1e9;
    }

    @Benchmark
    public float forward(GflopCounter counter) {
        network.forward(observations, 1, q);
        counter.gflop += gflopPerForward;
        return q[0];
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        observations.close();
        network.close();
    }
}
