package org.cmarl.engine.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import org.cmarl.engine.dataset.LabelledImage;
import org.cmarl.engine.env.EnvConfig;
import org.cmarl.engine.env.LandmarkEnv;
import org.cmarl.engine.env.Mode;
import org.cmarl.engine.env.Spawn;
import org.cmarl.engine.memory.NativeBlock;
import org.cmarl.engine.nn.Architecture;
import org.cmarl.engine.nn.Device;
import org.cmarl.engine.nn.NetworkConfig;
import org.cmarl.engine.nn.ObservationBuffer;
import org.cmarl.engine.nn.QNetwork;
import org.cmarl.engine.observation.FrameType;
import org.cmarl.engine.replay.ReplayMemory;
import org.cmarl.engine.replay.RoiFrameSource;
import org.cmarl.engine.synth.SyntheticDataset;
import org.cmarl.engine.volume.NiftiReader;
import org.cmarl.engine.volume.Volume;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link EnvironmentBatch} against the slow obvious reference: every episode played alone on its own
 * {@link LandmarkEnv} with the actions the batch took, written into a replay memory the way the one-environment
 * trainer writes (reset observation, then one record per step).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EnvironmentBatchTest {
    private static final int ENVS = 3;
    private static final int AGENTS = 2;
    private static final int MAX_STEPS = 7;
    private static final double EPSILON = 0.3;

    @TempDir
    static Path dir;
    private final List<LabelledImage> images = new ArrayList<>();

    @BeforeAll
    void load() {
        SyntheticDataset.Result data = SyntheticDataset.generate(dir, 4, 21, 32);
        for (int i = 0; i < data.images().size(); i++) {
            Volume v = NiftiReader.load(data.images().get(i));
            int[][] l = data.landmarkVoxels().get(i);
            images.add(new LabelledImage("synth" + i, v, new int[][]{l[0], l[2]}));
        }
    }

    @AfterAll
    void close() {
        for (LabelledImage i : images) {
            i.volume().close();
        }
    }

    /** One episode as the batch played it: its image, when it was reset (reset order) and its actions. */
    private static final class Played {
        final int image;
        final List<int[]> actions = new ArrayList<>();

        Played(int image) {
            this.image = image;
        }
    }

    @Test
    void shouldStoreTheTransitionsOfEachEnvironmentSteppedAloneWhenThreeAreSteppedTogether() {
        final int iterations = 40;
        int[] nextImage = {0};
        EnvironmentBatch.ImageSequence sequence = () -> nextImage[0]++ % images.size();
        List<Played> resets = new ArrayList<>();        // every episode, in reset order
        List<Played> stored = new ArrayList<>();        // the finished ones, in the order they were stored
        Played[] current = new Played[ENVS];
        SplittableRandom actionSource = new SplittableRandom(99);
        int storedSteps = 0;
        try (EnvironmentBatch batch = new EnvironmentBatch(ENVS, AGENTS, true, MAX_STEPS, Device.CPU);
             ReplayMemory replay = new ReplayMemory(1000, AGENTS);
             ReplayMemory reference = new ReplayMemory(1000, AGENTS)) {
            SplittableRandom spawns = new SplittableRandom(7);
            batch.startAll(images, sequence, spawns);
            for (int e = 0; e < ENVS; e++) {
                current[e] = new Played(batch.imageId(e));
                resets.add(current[e]);
            }
            for (int it = 0; it < iterations; it++) {
                int[] actions = batch.actions();
                for (int e = 0; e < ENVS; e++) {
                    int[] mine = new int[AGENTS];
                    for (int a = 0; a < AGENTS; a++) {
                        mine[a] = actionSource.nextInt(6);
                        actions[e * AGENTS + a] = mine[a];
                    }
                    current[e].actions.add(mine);
                }
                int ended = batch.step();
                for (int i = 0; i < ended; i++) {
                    int e = batch.finished(i);
                    batch.store(e, replay);
                    stored.add(current[e]);
                    storedSteps += current[e].actions.size();
                    batch.restart(e, images, sequence, spawns);
                    current[e] = new Played(batch.imageId(e));
                    resets.add(current[e]);
                }
            }
            // not vacuous: several episodes of every environment ended
            assertTrue(stored.size() >= 2 * ENVS, "episodes stored: " + stored.size());
            assertEquals(storedSteps, replay.size());

            // the reference: the episodes reset in the same order (the same spawn draws), each then played alone
            SplittableRandom referenceSpawns = new SplittableRandom(7);
            EnvConfig config = EnvConfig.acting(Mode.TRAIN, AGENTS, true, MAX_STEPS);
            List<LandmarkEnv> envs = new ArrayList<>();
            try {
                for (Played p : resets) {
                    LandmarkEnv env = LandmarkEnv.withOwnBuffer(config);
                    envs.add(env);
                    LabelledImage image = images.get(p.image);
                    env.reset(image.volume(), image.landmarks(), Spawn.random(), referenceSpawns);
                }
                for (Played p : stored) {
                    LandmarkEnv env = envs.get(resets.indexOf(p));
                    playAlone(env, p, reference);
                    assertTrue(env.isOver(), "the reference episode ends where the batch's ended");
                }
            } finally {
                envs.forEach(LandmarkEnv::close);
            }
            assertEquals(reference.size(), replay.size());
            assertSameSamples(replay, reference);
        } finally {
            nextImage[0] = 0;
        }
    }

    @Test
    void shouldActAsEachEnvironmentAloneWhenOneForwardPassServesThree() {
        NetworkConfig net = new NetworkConfig(Architecture.NETWORK3D, AGENTS, false, false);
        int[] nextImage = {0};
        EnvironmentBatch.ImageSequence sequence = () -> nextImage[0]++ % images.size();
        try (QNetwork online = QNetwork.create(net, 3, Device.CPU);
             EnvironmentBatch batch = new EnvironmentBatch(ENVS, AGENTS, true, MAX_STEPS, Device.CPU);
             ObservationBuffer alone = ObservationBuffer.allocate(1, AGENTS, FrameType.FLOAT32)) {
            SplittableRandom spawns = new SplittableRandom(4);
            SplittableRandom random = new SplittableRandom(5);
            // the reference: the documented draws, environment by environment, from a twin of the generator
            SplittableRandom expectedDraws = new SplittableRandom(5);
            batch.startAll(images, sequence, spawns);
            int greedySteps = 0;
            int randomSteps = 0;
            int sharedPasses = 0;
            for (int it = 0; it < 6; it++) {
                int greedyBefore = greedySteps;
                int[] want = new int[ENVS * AGENTS];
                float[] wantQ = new float[ENVS * AGENTS * 6];
                float[] q = new float[AGENTS * 6];
                for (int e = 0; e < ENVS; e++) {
                    if (expectedDraws.nextDouble() < EPSILON) {
                        randomSteps++;
                        for (int a = 0; a < AGENTS; a++) {
                            want[e * AGENTS + a] = expectedDraws.nextInt(6);
                        }
                    } else {
                        // alone: this environment's frames, oldest first, one batch-1 forward pass
                        greedySteps++;
                        batch.env(e).frames().copyCanonicalTo(alone.ring(0));
                        online.forward(alone, 1, q);
                        System.arraycopy(q, 0, wantQ, e * AGENTS * 6, AGENTS * 6);
                        for (int a = 0; a < AGENTS; a++) {
                            want[e * AGENTS + a] = org.cmarl.engine.eval.Evaluator.argmax(q, a * 6);
                        }
                    }
                }
                if (greedySteps - greedyBefore >= 2) {
                    sharedPasses++;
                }
                batch.act(online, random, EPSILON);
                assertArrayEquals(want, batch.actions().clone(), "step " + it);
                // the rows of one batched pass against batch-1 passes: equal up to float32 summation order
                float[] got = batch.qValues();
                for (int i = 0; i < wantQ.length; i++) {
                    assertEquals(wantQ[i], got[i], 1e-5f * Math.max(1f, Math.abs(wantQ[i])), "Q value " + i);
                }
                assertEquals(expectedDraws.nextLong(), random.nextLong(), "the same numbers drawn, step " + it);
                int ended = batch.step();
                for (int i = 0; i < ended; i++) {
                    batch.restart(batch.finished(i), images, sequence, spawns);
                }
            }
            // not vacuous: both kinds of step happened, and passes that served several environments
            assertTrue(greedySteps > 0 && randomSteps > 0, greedySteps + " greedy, " + randomSteps + " random");
            assertTrue(sharedPasses >= 2, sharedPasses + " passes for 2 or 3 environments");
        }
    }

    /** The one-environment trainer's writes: the observation at reset, then each step's transition. */
    private static void playAlone(LandmarkEnv env, Played p, ReplayMemory replay) {
        int[] x = new int[AGENTS];
        int[] y = new int[AGENTS];
        int[] z = new int[AGENTS];
        locations(env, x, y, z);
        replay.beginEpisode(p.image, x, y, z, env.scale());
        float[] zeros = new float[AGENTS * 6];
        for (int[] actions : p.actions) {
            env.step(actions, zeros);
            float[] rewards = new float[AGENTS];
            boolean[] terminal = new boolean[AGENTS];
            for (int a = 0; a < AGENTS; a++) {
                rewards[a] = (float) env.reward(a);
                terminal[a] = env.terminal(a);
            }
            locations(env, x, y, z);
            replay.recordStep(actions, rewards, terminal, x, y, z, env.scale());
        }
    }

    private static void locations(LandmarkEnv env, int[] x, int[] y, int[] z) {
        for (int a = 0; a < AGENTS; a++) {
            x[a] = env.location(a, 0);
            y[a] = env.location(a, 1);
            z[a] = env.location(a, 2);
        }
    }

    /** The same seeded draws from both memories give the same transitions and the same frame bytes. */
    private void assertSameSamples(ReplayMemory got, ReplayMemory want) {
        List<Volume> volumes = images.stream().map(LabelledImage::volume).toList();
        RoiFrameSource frames = new RoiFrameSource(volumes);
        int draws = got.size(); // 0.9 MB of frames per draw with 2 agents
        long bytes = ReplayMemory.windowBytes(draws, AGENTS);
        try (NativeBlock a = NativeBlock.allocate(bytes, 64); NativeBlock b = NativeBlock.allocate(bytes, 64)) {
            int[] actionsA = new int[draws * AGENTS];
            int[] actionsB = new int[draws * AGENTS];
            float[] rewardsA = new float[draws * AGENTS];
            float[] rewardsB = new float[draws * AGENTS];
            boolean[] terminalA = new boolean[draws * AGENTS];
            boolean[] terminalB = new boolean[draws * AGENTS];
            // the batch size is bounded by what is stored: sample in chunks of the memory's size
            int chunk = got.size();
            for (int from = 0; from < draws; from += chunk) {
                int[] ca = new int[chunk * AGENTS];
                int[] cb = new int[chunk * AGENTS];
                float[] ra = new float[chunk * AGENTS];
                float[] rb = new float[chunk * AGENTS];
                boolean[] ta = new boolean[chunk * AGENTS];
                boolean[] tb = new boolean[chunk * AGENTS];
                long offset = ReplayMemory.windowBytes(from, AGENTS);
                got.sample(chunk, new SplittableRandom(from), frames, a, offset, ca, ra, ta);
                want.sample(chunk, new SplittableRandom(from), frames, b, offset, cb, rb, tb);
                System.arraycopy(ca, 0, actionsA, from * AGENTS, ca.length);
                System.arraycopy(cb, 0, actionsB, from * AGENTS, cb.length);
                System.arraycopy(ra, 0, rewardsA, from * AGENTS, ra.length);
                System.arraycopy(rb, 0, rewardsB, from * AGENTS, rb.length);
                System.arraycopy(ta, 0, terminalA, from * AGENTS, ta.length);
                System.arraycopy(tb, 0, terminalB, from * AGENTS, tb.length);
            }
            assertArrayEquals(actionsB, actionsA);
            assertArrayEquals(rewardsB, rewardsA);
            assertArrayEquals(terminalB, terminalA);
            byte[] wa = new byte[(int) bytes];
            byte[] wb = new byte[(int) bytes];
            a.buffer().getBytes(0, wa);
            b.buffer().getBytes(0, wb);
            assertArrayEquals(wb, wa, "frame windows");
        }
    }
}
