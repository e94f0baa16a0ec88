package org.cmarl.bench;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.cmarl.engine.dataset.LabelledImage;
import org.cmarl.engine.nn.Architecture;
import org.cmarl.engine.nn.Device;
import org.cmarl.engine.nn.DqnLearner;
import org.cmarl.engine.nn.NetworkConfig;
import org.cmarl.engine.nn.QNetwork;
import org.cmarl.engine.nn.TeamReward;
import org.cmarl.engine.nn.TransitionBatchBuffer;
import org.cmarl.engine.replay.ReplayMemory;
import org.cmarl.engine.replay.RoiFrameSource;
import org.cmarl.engine.train.EnvironmentBatch;
import org.cmarl.engine.train.ReplayBatchPrefetcher;
import org.cmarl.engine.volume.Volume;
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
 * One cycle of the training loop (train/Trainer.java) with the published example's {@code --train_freq 50}:
 * 50 environment steps of CommNet with 5 agents on the sample scan, acted, stepped and stored by the trainer's own
 * act step ({@link EnvironmentBatch} with one environment: epsilon-greedy acting with a batch-1 float32 forward pass
 * when greedy; the step writing 5 new float ROIs; the episode's locations into the replay memory when it ends), then one
 * {@code sample(batch)} writing one uint8 5-frame window per transition and agent (the state is frames 0..3, the
 * next state frames 1..4 of the same bytes) and one DQN update on them (target forward, online forward and
 * backward, Adam). Steps/s during training = 50 / (seconds per cycle).
 *
 * <p>Published (reference/perf.json, dqn_train_step_seconds_threads2): one update of CommNet 5 agents at batch 64
 * takes 90.5 s on this 2-core VM, i.e. at most 50 / 90.5 = 0.55 steps/s with train_freq 50 before acting and
 * stepping are counted. Expected here: the same order (libtorch CPU kernels do the work in both), the update
 * dominating. The time per phase (act / step+store / sample / update) is printed at the end of each iteration; with
 * {@code prefetch} the sample phase is only what the learner waited for (the sampler thread's time hides behind the
 * update).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED"})
@Warmup(iterations = 1)
@Measurement(iterations = 3)
public class TrainCycleBenchmark {
    static final int AGENTS = 5;
    static final int TRAIN_FREQ = 50;

    /**
     * Transitions per update. 64 is the published default, but its CommNet 5-agent update needs more than the
     * ~20 GB of RAM free on the 24 GB test VM (the first convolution's activations alone are
     * 64 x 5 x 32 x 41^3 floats = 2.8 GB, kept for the backward pass with their gradients): run it with
     * {@code -p batch=64} on a larger machine; the update time is close to linear in the batch.
     */
    @Param({"8"})
    int batch;

    /** Probability of a random action (the published schedule goes from 1.0 down to 0.1). */
    @Param({"0.1"})
    double epsilon;

    /**
     * {@code true}: the trainer's double buffer (train/ReplayBatchPrefetcher), the next batch sampled on a second
     * thread while this update runs; {@code false}: sample, then update, on one thread (the loop before it).
     */
    @Param({"false", "true"})
    boolean prefetch;

    private Volume volume;
    private int[][] landmarks;
    private QNetwork online;
    private QNetwork target;
    private DqnLearner learner;
    private List<LabelledImage> images;
    private EnvironmentBatch env;
    private ReplayMemory replay;
    private RoiFrameSource frames;
    private TransitionBatchBuffer transitions;
    private ReplayBatchPrefetcher batches;
    private SplittableRandom random;
    private int[] bActions;
    private float[] bRewards;
    private boolean[] bTerminal;
    private final long[] nanos = new long[4];

    @Setup(Level.Trial)
    public void setUp() {
        volume = BenchVolumes.sampleOrSynthetic();
        landmarks = new int[AGENTS][];
        for (int a = 0; a < AGENTS; a++) {
            landmarks[a] = new int[]{volume.nx() / 2, volume.ny() / 2 + 3 * a, volume.nz() / 2};
        }
        NetworkConfig config = new NetworkConfig(Architecture.COMMNET, AGENTS, false, false);
        online = QNetwork.create(config, 1, Device.CPU);
        target = QNetwork.create(config, 1, Device.CPU);
        target.copyWeightsFrom(online);
        learner = new DqnLearner(online, target, DqnLearner.DEFAULT_LEARNING_RATE, TeamReward.NONE);
        images = List.of(new LabelledImage(volume.name(), volume, landmarks));
        env = new EnvironmentBatch(1, AGENTS, false, 200, Device.CPU);
        replay = new ReplayMemory(100_000, AGENTS);
        frames = new RoiFrameSource(List.of(volume));
        transitions = TransitionBatchBuffer.allocate(batch, AGENTS);
        batches = new ReplayBatchPrefetcher(replay, frames, batch, AGENTS, Device.CPU);
        random = new SplittableRandom(1);
        bActions = new int[batch * AGENTS];
        bRewards = new float[batch * AGENTS];
        bTerminal = new boolean[batch * AGENTS];
        env.startAll(images, () -> 0, random);
        while (replay.size() < batch) {
            step(1.0);
        }
    }

    /** One epsilon-greedy step of the trainer's act step: act, step, and store the episode when it ends. */
    private void step(double eps) {
        long t0 = System.nanoTime();
        env.act(online, random, eps);
        long t1 = System.nanoTime();
        if (env.step() > 0) {
            env.store(0, replay);
            env.restart(0, images, () -> 0, random);
        }
        long t2 = System.nanoTime();
        nanos[0] += t1 - t0;
        nanos[1] += t2 - t1;
    }

    @Setup(Level.Iteration)
    public void clearProfile() {
        Arrays.fill(nanos, 0);
    }

    @TearDown(Level.Iteration)
    public void printProfile() {
        double total = nanos[0] + nanos[1] + nanos[2] + nanos[3];
        System.out.printf(Locale.ROOT, "%n  profile of the cycle: act %.2f s (%.0f%%), step+store %.2f s (%.0f%%), "
                        + "sample %.2f s (%.0f%%), update %.2f s (%.0f%%)%n",
                nanos[0] / 1e9, 100 * nanos[0] / total, nanos[1] / 1e9, 100 * nanos[1] / total,
                nanos[2] / 1e9, 100 * nanos[2] / total, nanos[3] / 1e9, 100 * nanos[3] / total);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        transitions.close();
        batches.close();
        replay.close();
        env.close();
        learner.close();
        target.close();
        online.close();
        volume.close();
    }

    /** 50 environment steps, then one sample and one update: what train_freq 50 costs per 50 steps. */
    @Benchmark
    public float cycle() {
        for (int i = 0; i < TRAIN_FREQ; i++) {
            step(epsilon);
        }
        long t0 = System.nanoTime();
        if (!prefetch) {
            replay.sample(batch, random, frames, transitions.block(), 0, bActions, bRewards, bTerminal);
            long t1 = System.nanoTime();
            float loss = learner.update(transitions, batch, bActions, bRewards, bTerminal,
                    DqnLearner.DEFAULT_DISCOUNT);
            nanos[2] += t1 - t0;
            nanos[3] += System.nanoTime() - t1;
            return loss;
        }
        // as Trainer.runEpisode: this batch (prefetched during the last update), the next sampled meanwhile
        ReplayBatchPrefetcher.Batch b = batches.take(random);
        batches.prefetch(random);
        long t1 = System.nanoTime();
        float loss = learner.update(b.transitions(), batch, b.actions(), b.rewards(), b.terminal(),
                DqnLearner.DEFAULT_DISCOUNT);
        long t2 = System.nanoTime();
        batches.awaitPrefetch();
        long t3 = System.nanoTime();
        nanos[2] += (t1 - t0) + (t3 - t2);
        nanos[3] += t2 - t1;
        return loss;
    }
}
