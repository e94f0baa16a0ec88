package org.cmarl.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.cmarl.engine.env.EnvConfig;
import org.cmarl.engine.env.LandmarkEnv;
import org.cmarl.engine.env.Mode;
import org.cmarl.engine.env.Spawn;
import org.cmarl.engine.observation.FrameType;
import org.cmarl.engine.viz.EpisodeFrameRenderer;
import org.cmarl.engine.viz.GifSequenceWriter;
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
 * What {@code --saveGif} adds to every evaluation step: one random environment step, then the frame of that state
 * rendered (axial slice per agent, ROI box, target ring, text) and appended to an animated GIF (LZW encoding, file
 * write). A new GIF is started every 200 frames, as an episode of 200 steps would.
 *
 * <p>Expected: about 100-300 frames/s for one agent at 2 pixels per voxel on the 182 x 218 sample slice (a
 * 364 x 486 frame; ImageIO's LZW encoder takes most of it, filling the slice about 1 ms), about 2x more at 1 pixel
 * per voxel, and 10-30 frames/s for 5 agents (frames 5x wider). A CPU forward pass of the published Network3d
 * dominates an evaluation step, so GIFs of one agent add a few percent to evaluation time. Measured figures:
 * benchmarks/README.md.
 */
@State(Scope.Thread)
@BenchmarkMode(org.openjdk.jmh.annotations.Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
        "-Djava.awt.headless=true"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class GifFrameBenchmark {
    static final int FRAMES_PER_GIF = 200;

    @Param({"1", "5"})
    int agents;

    @Param({"1", "2"})
    int pixelsPerVoxel;

    private Volume volume;
    private LandmarkEnv env;
    private SplittableRandom random;
    private int[] actions;
    private int[][] landmarks;
    private EpisodeFrameRenderer renderer;
    private Path dir;
    private GifSequenceWriter gif;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        volume = BenchVolumes.sampleOrSynthetic();
        env = LandmarkEnv.withOwnBuffer(new EnvConfig(Mode.EVAL, agents, true, FrameType.FLOAT32,
                EnvConfig.DEFAULT_MAX_STEPS_PER_EPISODE, false));
        random = new SplittableRandom(1);
        actions = new int[agents];
        landmarks = new int[agents][];
        for (int a = 0; a < agents; a++) {
            landmarks[a] = new int[]{volume.nx() / 2, volume.ny() / 2 + a, volume.nz() / 2};
        }
        env.reset(volume, landmarks, Spawn.random(), random);
        renderer = new EpisodeFrameRenderer(pixelsPerVoxel);
        dir = Files.createTempDirectory("gif-bench");
        gif = new GifSequenceWriter(dir.resolve("episode.gif"), 100);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        gif.close();
        Files.deleteIfExists(dir.resolve("episode.gif"));
        Files.deleteIfExists(dir);
        env.close();
        volume.close();
    }

    @Benchmark
    public int stepAndRecordFrame() throws IOException {
        if (env.isOver()) {
            env.reset(volume, landmarks, Spawn.random(), random);
        }
        for (int a = 0; a < agents; a++) {
            actions[a] = random.nextInt(6);
        }
        env.step(actions, (double[]) null);
        if (gif.frames() == FRAMES_PER_GIF) {
            gif.close();
            gif = new GifSequenceWriter(dir.resolve("episode.gif"), 100);
        }
        gif.add(renderer.render(env));
        return gif.frames();
    }
}
