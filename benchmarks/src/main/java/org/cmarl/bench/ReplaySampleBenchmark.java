package org.cmarl.bench;

import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.agrona.UnsafeApi;
import org.cmarl.engine.memory.NativeBlock;
import org.cmarl.engine.replay.ReplayMemory;
import org.cmarl.engine.replay.RoiFrameSource;
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
 * {@code ReplayMemory.sample(64)} with 5 agents, as the trainer calls it: 64 transitions drawn from 10,000 stored
 * (random walks on the sample scan searching coarse to fine, so states mix scales 1, 2 and 3 and episode starts),
 * each written as one uint8 5-frame window per agent {@code (64, 5, 5, 45, 45, 45)}, frames t-3..t+1 re-extracted
 * from the image: 145.8 MB written per sample (the network reads the state as frames 0..3 and the next state as
 * frames 1..4 of the same bytes). Beside it, {@link #bulkCopy} copies the same 145.8 MB from one native block to
 * another (the memory-bandwidth bound the published memory, which copies stored frames, approaches).
 *
 * <p>Published (reference/perf.json, replay_sample_batch64): 47 ms median, stored uint8 frames copied out of a
 * 4.5 GB frame store. Expected here: about 25-30 ms for the bulk copy (5-6 GB/s), the re-extraction within a small
 * factor of it (45-byte row copies and gathers, 2,025 rows a frame, 1,600 frames a sample).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED", "-Xmx2g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class ReplaySampleBenchmark {
    static final int AGENTS = 5;
    static final int CAPACITY = 10_000;

    @Param({"64"})
    int batch;

    private Volume volume;
    private ReplayMemory memory;
    private RoiFrameSource frames;
    private NativeBlock windows;
    private NativeBlock copySource;
    private SplittableRandom random;
    private int[] actions;
    private float[] rewards;
    private boolean[] terminal;

    @Setup(Level.Trial)
    public void setUp() {
        volume = BenchVolumes.sampleOrSynthetic();
        memory = new ReplayMemory(CAPACITY, AGENTS);
        frames = new RoiFrameSource(List.of(volume));
        random = new SplittableRandom(1);
        int[] x = new int[AGENTS];
        int[] y = new int[AGENTS];
        int[] z = new int[AGENTS];
        int[] act = new int[AGENTS];
        float[] rew = new float[AGENTS];
        boolean[] term = new boolean[AGENTS];
        // Locations only (the memory stores no frames): random walks of 200-step episodes that search coarse to
        // fine like the multiscale environment, 9-voxel steps at scale 3, then 3 at scale 2, then 1 at scale 1.
        int[] dims = {volume.nx(), volume.ny(), volume.nz()};
        // 10,500 observations into a ring of 10,000 transitions, as the published measurement filled its memory
        int written = 0;
        while (written < CAPACITY + 500) {
            for (int a = 0; a < AGENTS; a++) {
                x[a] = random.nextInt(dims[0] / 4, dims[0] - dims[0] / 4);
                y[a] = random.nextInt(dims[1] / 4, dims[1] - dims[1] / 4);
                z[a] = random.nextInt(dims[2] / 4, dims[2] - dims[2] / 4);
            }
            memory.beginEpisode(0, x, y, z, 3);
            written++;
            for (int step = 1; step <= 200 && written < CAPACITY + 500; step++, written++) {
                int scale = step <= 20 ? 3 : step <= 40 ? 2 : 1;
                int move = scale == 3 ? 9 : scale == 2 ? 3 : 1;
                for (int a = 0; a < AGENTS; a++) {
                    act[a] = random.nextInt(6);
                    int sign = (act[a] & 1) == 0 ? 1 : -1;
                    switch (act[a] / 2) {
                        case 0 -> x[a] = Math.min(dims[0] - 1, Math.max(0, x[a] + sign * move));
                        case 1 -> y[a] = Math.min(dims[1] - 1, Math.max(0, y[a] + sign * move));
                        default -> z[a] = Math.min(dims[2] - 1, Math.max(0, z[a] + sign * move));
                    }
                    rew[a] = random.nextFloat() * 2 - 1;
                    term[a] = false;
                }
                memory.recordStep(act, rew, term, x, y, z, scale);
            }
        }
        long bytes = ReplayMemory.windowBytes(batch, AGENTS);
        windows = NativeBlock.allocate(bytes, 64);
        copySource = NativeBlock.allocate(bytes, 64);
        UnsafeApi.setMemory(copySource.address(), bytes, (byte) 7);
        actions = new int[batch * AGENTS];
        rewards = new float[batch * AGENTS];
        terminal = new boolean[batch * AGENTS];
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        copySource.close();
        windows.close();
        memory.close();
        volume.close();
    }

    /** Draws 64 transitions and writes their 5-frame windows (145.8 MB): the trainer's sampling. */
    @Benchmark
    public int sample() {
        memory.sample(batch, random, frames, windows, 0, actions, rewards, terminal);
        return actions[0];
    }

    /** The same bytes as {@link #sample}, one contiguous native copy: the memory-bandwidth bound. */
    @Benchmark
    public long bulkCopy() {
        UnsafeApi.copyMemory(copySource.address(), windows.address(), windows.capacityBytes());
        return UnsafeApi.getByte(windows.address());
    }
}
