package org.cmarl.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.cmarl.engine.env.EnvConfig;
import org.cmarl.engine.env.LandmarkEnv;
import org.cmarl.engine.env.Mode;
import org.cmarl.engine.env.Spawn;
import org.cmarl.engine.observation.FrameType;
import org.cmarl.engine.volume.NiftiReader;
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
 * One {@link LandmarkEnv#step} of every agent, set up as the published measurement ({@code reference/perf.json},
 * {@code env_step_random_actions}: {@code MedicalPlayer(task='train', multiscale=True)}, uniformly random actions with
 * zero Q-values, episode reset after all agents are terminal or 200 steps, only {@code step()} timed).
 *
 * <h2>What is timed</h2>
 * Only {@code env.step(actions, null)}: the move, rewards, terminal flags, histories, the oscillation test, any jump
 * or scale change, and the new 45^3 ROI of every agent written into its frame ring (from a decimated phase when
 * {@code decimated} is on, including any phase built lazily during that step). Not timed, in a
 * {@code @Setup(Level.Invocation)} method: drawing the random actions and the reset when the episode is over
 * (which zeroes the frame ring and writes the spawn ROI). Mode TRAIN, multiscale (start at scale 3, step 9 voxels),
 * landmark of agent {@code a} at the image centre shifted by {@code a} voxels in y, random spawns. With random
 * actions one agent spends about 40% of its steps at scale 3, 35% at scale 2 and 25% at scale 1 (episodes of about
 * 175 steps); 5 or more agents almost never oscillate together, so nearly every step is at scale 3 and every episode
 * lasts 200 steps.
 *
 * <h2>Parameters</h2>
 * {@code images}: 1 = every episode on the first sample scan (decimated phases, once built, serve every later
 * episode); 2 = alternate between the first two scans every episode, as training does (one image per episode), so
 * the decimated phases are rebuilt each episode and their cost is inside the timed steps. {@code decimated} =
 * {@link EnvConfig#decimatedScales()}.
 *
 * <p>Sample-time mode (microseconds per step; steps/s = 1e6 / time). Published (2-core EPYC VM): about 2,330 steps/s
 * with 1 agent (429 us/step) and 350 steps/s with 5 agents (2,860 us/step); the targets are 25x that for
 * uint8 frames (17.2 us, 114 us) and 7x for float32 frames (61 us, 408 us). The published rate is steps / total
 * step time, so compare it with the JMH mean (the median is also reported). Measured (Xeon VM, 2 vCPUs shared with
 * other jobs, load average 1-3, 26 Nov 2026, two runs, mean per step, decimated on / off): 1 agent uint8 14-17 / 38-42
 * us with one image, 19-21 / 36-39 us with the image changing every episode; float32 39 / 66-68 and 49-56 / 65-71 us;
 * 5 agents uint8 73-83 / 253-286 and 76-82 / 282-377 us; float32 189-205 / 528-592 and 220 / 537-573 us.
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

    /** EnvConfig.decimatedScales: scale-2/3 ROIs from lazily built decimated phases. */
    @Param({"false", "true"})
    boolean decimated;

    /** 1: every episode on one scan; 2: the scan changes every episode (training). */
    @Param({"1", "2"})
    int images;

    private Volume[] volumes;
    private int nextVolume;
    private LandmarkEnv env;
    private SplittableRandom random;
    private int[] actions;
    private int[][] landmarks;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        volumes = new Volume[images];
        volumes[0] = BenchVolumes.sampleOrSynthetic();
        if (images == 2) {
            volumes[1] = secondScanOrSynthetic();
        }
        env = LandmarkEnv.withOwnBuffer(new EnvConfig(Mode.TRAIN, agents, true, frameType,
                EnvConfig.DEFAULT_MAX_STEPS_PER_EPISODE, false, decimated));
        random = new SplittableRandom(1);
        actions = new int[agents];
        landmarks = new int[agents][];
        for (int a = 0; a < agents; a++) {
            landmarks[a] = new int[]{volumes[0].nx() / 2, volumes[0].ny() / 2 + a, volumes[0].nz() / 2};
        }
        resetIfOver();
        // JIT warm-up over whole episodes before JMH's own warm-up
        for (int i = 0; i < 2000; i++) {
            nextStep();
            step();
        }
    }

    /** The second scan of {@code sample-data/brain/image_files.txt}, else another synthetic volume. */
    private static Volume secondScanOrSynthetic() throws IOException {
        Path brain = Path.of(System.getProperty("rlm.shared.dir", "../shared")).resolve("sample-data/brain");
        Path list = brain.resolve("image_files.txt");
        if (Files.isRegularFile(list)) {
            List<String> lines = Files.readAllLines(list);
            if (lines.size() > 1) {
                return NiftiReader.load(brain.resolve(lines.get(1).trim()));
            }
        }
        return BenchVolumes.sampleOrSynthetic();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        env.close();
        for (Volume v : volumes) {
            v.close();
        }
    }

    /** Not timed: the reset of an episode that is over (next scan when images = 2) and the random actions. */
    @Setup(Level.Invocation)
    public void nextStep() {
        resetIfOver();
        for (int a = 0; a < agents; a++) {
            actions[a] = random.nextInt(6);
        }
    }

    private void resetIfOver() {
        if (env.image() == null || env.isOver()) {
            Volume v = volumes[nextVolume];
            nextVolume = (nextVolume + 1) % volumes.length;
            env.reset(v, landmarks, Spawn.random(), random);
        }
    }

    @Benchmark
    public double step() {
        env.step(actions, (double[]) null);
        return env.distanceMm(0);
    }
}
