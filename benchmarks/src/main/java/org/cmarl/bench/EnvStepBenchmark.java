package org.cmarl.bench;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.cmarl.engine.env.EnvConfig;
import org.cmarl.engine.env.FrameType;
import org.cmarl.engine.env.LandmarkEnv;
import org.cmarl.engine.env.Mode;
import org.cmarl.engine.env.Spawn;
import org.cmarl.engine.volume.Volume;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One environment step of every agent with random actions (Q-values zero), multiscale evaluation rules, the new ROI
 * of every agent written into the frame ring (45^3 voxels per agent); an episode that ends is reset on the same
 * image (no image reload), as the published measurement did.
 *
 * <p>Sample-time mode (microseconds per step; steps/s = 1e6 / time): on a shared machine the median of single
 * steps is steadier than a mean. Compare with reference/perf.json: the published environment does about 2,330
 * steps/s with 1 agent and 350 steps/s with 5 agents. Measured here (2-core EPYC shared with other jobs, load
 * average 9-14, 26 Nov 2026; two runs, medians per step): direct reads, 1 agent uint8 42-46 us (~22,000-24,000
 * steps/s), float32 79-155 us; 5 agents uint8 310-430 us, float32 730-750 us. Decimated planes: 1 agent uint8
 * 16-25 us (up to 64,000 steps/s), float32 49-58 us; 5 agents uint8 160-230 us, float32 330-360 us. Steps cost
 * more per agent with more agents: the agents' ROI footprints compete for cache.
 */
@State(Scope.Thread)
@BenchmarkMode(org.openjdk.jmh.annotations.Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class EnvStepBenchmark {
    @Param({"1", "5", "8"})
    int agents;

    @Param({"UINT8", "FLOAT32"})
    FrameType frameType;

    /** EnvConfig.decimatedScales: scale-2/3 ROIs from per-image decimated planes (built once, in setup). */
    @Param({"false", "true"})
    boolean decimated;

    private Volume volume;
    private LandmarkEnv env;
    private SplittableRandom random;
    private int[] actions;
    private int[][] landmarks;

    @Setup(Level.Trial)
    public void setUp() {
        volume = BenchVolumes.sampleOrSynthetic();
        env = LandmarkEnv.withOwnBuffer(new EnvConfig(Mode.EVAL, agents, true, frameType,
                EnvConfig.DEFAULT_MAX_STEPS_PER_EPISODE, false, decimated));
        random = new SplittableRandom(1);
        actions = new int[agents];
        landmarks = new int[agents][];
        for (int a = 0; a < agents; a++) {
            landmarks[a] = new int[]{volume.nx() / 2, volume.ny() / 2 + a, volume.nz() / 2};
        }
        env.reset(volume, landmarks, Spawn.random(), random);
        // run a few episodes so that the lazily built decimated planes (if any) exist before measuring
        for (int i = 0; i < 2000; i++) {
            step();
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        env.close();
        volume.close();
    }

    @Benchmark
    public double step() {
        if (env.isOver()) {
            env.reset(volume, landmarks, Spawn.random(), random);
        }
        for (int a = 0; a < agents; a++) {
            actions[a] = random.nextInt(6);
        }
        env.step(actions, (double[]) null);
        return env.distanceMm(0);
    }
}
