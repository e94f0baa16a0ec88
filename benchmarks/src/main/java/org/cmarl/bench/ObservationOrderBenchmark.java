package org.cmarl.bench;

import java.util.concurrent.TimeUnit;

import org.cmarl.engine.memory.NativeBlock;
import org.cmarl.engine.nn.Architecture;
import org.cmarl.engine.nn.Device;
import org.cmarl.engine.nn.NetworkConfig;
import org.cmarl.engine.nn.ObservationBuffer;
import org.cmarl.engine.nn.QNetwork;
import org.cmarl.engine.nn.Torch;
import org.cmarl.engine.observation.FrameRing;
import org.cmarl.engine.observation.FrameType;
import org.cmarl.engine.observation.ObservationGeometry;
import org.cmarl.engine.observation.ObservationLayout;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What honouring a frame ring's order costs, against the Network3d forward it feeds (1 agent, float32):
 * <ul>
 *   <li>{@code canonicalCopy}: {@code FrameRing.copyCanonicalTo}, 4 x 45^3 floats from an environment's ring into
 *       a network input row, oldest first (what the evaluator does per episode and step);</li>
 *   <li>{@code forwardOldestFirst} / {@code forwardRolledWeights}: batch 1 at phase 0 and at phase 1 (conv0's
 *       weights rolled, no input copy: what acting in training does);</li>
 *   <li>{@code forwardBatch2SamePhase} / {@code forwardBatch2MixedPhases}: two entries at one phase (rolled weights)
 *       and at two phases (frames gathered oldest first by one {@code index_select}: batched acting).</li>
 * </ul>
 * Average time per call.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED"})
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 3, time = 5)
public class ObservationOrderBenchmark {
    private QNetwork network;
    private ObservationBuffer input;
    private NativeBlock envBlock;
    private FrameRing envRing;
    private float[] q;

    @Setup(Level.Trial)
    public void setUp() {
        Torch.setThreads(0);
        network = QNetwork.create(NetworkConfig.of(Architecture.NETWORK3D, 1), 1, Device.CPU);
        input = ObservationBuffer.allocate(2, 1, FrameType.FLOAT32);
        long n = 2L * ObservationGeometry.OBSERVATION_VOXELS;
        for (int i = 0; i < n; i++) {
            input.buffer().putFloat(4 * i, (i * 37) % 256);
        }
        ObservationLayout layout = new ObservationLayout(1, FrameType.FLOAT32);
        envBlock = NativeBlock.allocate(layout.batchEntryBytes(), 64);
        envRing = new FrameRing(envBlock, 0, layout);
        envRing.setOldestSlot(2);
        q = new float[2 * ObservationGeometry.ACTIONS];
    }

    @Benchmark
    public long canonicalCopy() {
        envRing.copyCanonicalTo(input.ring(1));
        return input.ring(1).oldestSlot();
    }

    @Benchmark
    public float forwardOldestFirst() {
        input.ring(0).setOldestSlot(0);
        network.forward(input, 1, q);
        return q[0];
    }

    @Benchmark
    public float forwardRolledWeights() {
        input.ring(0).setOldestSlot(1);
        network.forward(input, 1, q);
        return q[0];
    }

    @Benchmark
    public float forwardBatch2SamePhase() {
        input.ring(0).setOldestSlot(1);
        input.ring(1).setOldestSlot(1);
        network.forward(input, 2, q);
        return q[0];
    }

    @Benchmark
    public float forwardBatch2MixedPhases() {
        input.ring(0).setOldestSlot(1);
        input.ring(1).setOldestSlot(2);
        network.forward(input, 2, q);
        return q[0];
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        envBlock.close();
        input.close();
        network.close();
    }
}
