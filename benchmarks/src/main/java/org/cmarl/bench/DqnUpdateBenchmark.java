package org.cmarl.bench;

import java.util.concurrent.TimeUnit;

import org.cmarl.engine.nn.Architecture;
import org.cmarl.engine.nn.Device;
import org.cmarl.engine.nn.DqnLearner;
import org.cmarl.engine.nn.NetworkConfig;
import org.cmarl.engine.nn.QNetwork;
import org.cmarl.engine.nn.TeamReward;
import org.cmarl.engine.nn.Torch;
import org.cmarl.engine.nn.TransitionBatchBuffer;
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
 * One DQN update ({@link DqnLearner#update}: zero gradients, target forward on s', online forward and backward on
 * s, one Adam step) on a uint8 mini-batch already in the off-heap 5-frame windows the trainer samples into
 * ({@link TransitionBatchBuffer}: s and s' are overlapping views of one buffer): the published
 * {@code train_q_network}.
 * Single-shot: each measurement is one update, in seconds. FLOP per update: {@link Flops#update} (about 4 forwards:
 * 973 GFLOP for Network3d at batch 64, 4,865 GFLOP for CommNet 5 agents), so GFLOP/s = that / score.
 *
 * <p>Published (perf.json, 2 threads): batch 64 Network3d 1 agent 15.5 s, CommNet 5 agents 90.5 s; batch 32
 * 8.7 s and 38.1 s. Expected here: the same order or faster (channels-last convolution backward). Memory: the
 * backward pass keeps the activations of one micro-batch (about 35 MB per observation-agent), not of the batch:
 * CommNet 5 agents at batch 64 in one chunk would need more than the 24 GB of the development machine.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED"})
@Warmup(iterations = 1)
@Measurement(iterations = 2)
public class DqnUpdateBenchmark {
    /** {@code <model>:<agents>}. */
    @Param({"Network3d:1", "CommNet:5"})
    String model;

    @Param({"64"})
    int batch;

    /** Observations per forward/backward chunk ({@code --micro_batch}); 0 = the learner's default (64 / agents). */
    @Param({"0"})
    int microBatch;

    /** libtorch intra-op threads; 0 = all cores. */
    @Param({"0"})
    int threads;

    private QNetwork online;
    private QNetwork target;
    private DqnLearner learner;
    private TransitionBatchBuffer transitions;
    private int[] actions;
    private float[] rewards;
    private boolean[] terminal;

    @Setup(Level.Trial)
    public void setUp() {
        Torch.setThreads(threads);
        String[] parts = model.split(":");
        NetworkConfig config = NetworkConfig.of(Architecture.parse(parts[0]), Integer.parseInt(parts[1]));
        online = QNetwork.create(config, 1, Device.CPU);
        target = QNetwork.create(config, 2, Device.CPU);
        learner = new DqnLearner(online, target, DqnLearner.DEFAULT_LEARNING_RATE, TeamReward.NONE,
                microBatch > 0 ? microBatch : DqnLearner.defaultMicroBatch(config.agents()));
        // the trainer's input: one 5-frame window per transition and agent (state frames 0..3, next state 1..4)
        transitions = TransitionBatchBuffer.allocate(batch, config.agents());
        int bytes = (int) transitions.capacityBytes();
        for (int i = 0; i < bytes; i++) {
            transitions.block().buffer().putByte(i, (byte) (i * 37));
        }
        int n = batch * config.agents();
        actions = new int[n];
        rewards = new float[n];
        terminal = new boolean[n];
        for (int i = 0; i < n; i++) {
            actions[i] = i % ObservationGeometry.ACTIONS;
            rewards[i] = (i % 5 - 2) * 0.3f;
            terminal[i] = i % 7 == 0;
        }
    }

    @Benchmark
    public float update() {
        return learner.update(transitions, batch, actions, rewards, terminal, DqnLearner.DEFAULT_DISCOUNT);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        learner.close();
        transitions.close();
        target.close();
        online.close();
    }
}
