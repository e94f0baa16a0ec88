package org.cmarl.engine.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import org.agrona.UnsafeApi;
import org.cmarl.engine.dataset.LabelledImage;
import org.cmarl.engine.env.Mode;
import org.cmarl.engine.env.Spawn;
import org.cmarl.engine.memory.NativeBlock;
import org.cmarl.engine.observation.FrameRing;
import org.cmarl.engine.observation.FrameType;
import org.cmarl.engine.observation.ObservationLayout;
import org.cmarl.engine.volume.Affine;
import org.cmarl.engine.volume.IntensityStats;
import org.cmarl.engine.volume.Volume;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Lockstep batching against one-by-one evaluation, with a deterministic Q-function of the observation (it reads the
 * newest frame and prefers the brighter side), on synthetic volumes with a bright blob at the landmark.
 */
class EvaluatorTest {
    static final int ROW_FLOATS = 4 * 45 * 45 * 45;
    static Volume a;
    static Volume b;

    /** Q-values from the input rows: per agent, the mean intensity of the newest frame's 6 half-spaces. */
    static final class BrightSideQ implements BatchQFunction, AutoCloseable {
        final int agents;
        final int capacity;
        final NativeBlock input;
        final FrameRing[] rows;
        int calls;
        int maxBatch;

        BrightSideQ(int agents, int capacity) {
            this.agents = agents;
            this.capacity = capacity;
            this.input = NativeBlock.allocate((long) capacity * inputRowBytes(), 64);
            ObservationLayout layout = new ObservationLayout(agents, FrameType.FLOAT32);
            this.rows = new FrameRing[capacity];
            for (int row = 0; row < capacity; row++) {
                rows[row] = new FrameRing(input, layout.frameOffset(row, 0, 0), layout);
            }
        }

        @Override public int agents() { return agents; }
        @Override public int capacityBatch() { return capacity; }
        @Override public FrameRing inputRow(int row) { return rows[row]; }
        long inputRowAddress(int row) { return rows[row].address(); }
        long inputRowBytes() { return (long) agents * ROW_FLOATS * Float.BYTES; }

        @Override
        public void forward(int batch, float[] qOut) {
            calls++;
            maxBatch = Math.max(maxBatch, batch);
            for (int row = 0; row < batch; row++) {
                for (int ag = 0; ag < agents; ag++) {
                    long frame = inputRowAddress(row) + ((long) ag * ROW_FLOATS + 3L * 45 * 45 * 45) * Float.BYTES;
                    double[] side = new double[6];
                    for (int x = 0; x < 45; x++) {
                        for (int y = 0; y < 45; y++) {
                            for (int z = 0; z < 45; z++) {
                                float v = UnsafeApi.getFloat(frame + ((x * 45L + y) * 45 + z) * Float.BYTES);
                                if (z > 22) side[0] += v;
                                if (y > 22) side[1] += v;
                                if (x > 22) side[2] += v;
                                if (x < 22) side[3] += v;
                                if (y < 22) side[4] += v;
                                if (z < 22) side[5] += v;
                            }
                        }
                    }
                    for (int k = 0; k < 6; k++) {
                        qOut[(row * agents + ag) * 6 + k] = (float) side[k];
                    }
                }
            }
        }

        @Override
        public void close() {
            input.close();
        }
    }

    static Volume blob(String name, int n, int cx, int cy, int cz) {
        Volume v = Volume.allocate(name, n, n, n, new double[]{1, 1, 1}, Affine.scaling(1, 1, 1),
                new IntensityStats(0, 255, 0, 0, 255, 0));
        for (int x = 0; x < n; x++) {
            for (int y = 0; y < n; y++) {
                for (int z = 0; z < n; z++) {
                    double d2 = (x - cx) * (x - cx) + (y - cy) * (y - cy) + (z - cz) * (z - cz);
                    v.floatVoxels().putFloat(v.index(x, y, z) * 4, (float) (255 * Math.exp(-d2 / 400.0)));
                }
            }
        }
        v.deriveBytePlane();
        return v;
    }

    @BeforeAll
    static void volumes() {
        a = blob("a.nii.gz", 70, 30, 40, 35);
        b = blob("b.nii.gz", 64, 40, 25, 30);
    }

    @AfterAll
    static void close() {
        a.close();
        b.close();
    }

    static List<LabelledImage> images(int agents) {
        int[][] la = new int[agents][];
        int[][] lb = new int[agents][];
        for (int i = 0; i < agents; i++) {
            la[i] = new int[]{30, 40, 35};
            lb[i] = new int[]{40, 25, 30};
        }
        return List.of(new LabelledImage("a.nii.gz", a, la), new LabelledImage("b.nii.gz", b, lb));
    }

    static List<EpisodeResult> evaluate(int agents, int batch, List<Spawn> spawns, long seed) {
        try (BrightSideQ q = new BrightSideQ(agents, batch)) {
            List<EpisodeResult> done = new ArrayList<>();
            List<EpisodeResult> r = new Evaluator(q, Mode.EVAL, 60).run(images(agents), spawns,
                    new SplittableRandom(seed), done::add);
            assertEquals(r.size(), done.size());
            assertTrue(q.maxBatch <= batch);
            return r;
        }
    }

    static void assertSameResults(List<EpisodeResult> expected, List<EpisodeResult> actual) {
        assertEquals(expected.size(), actual.size());
        for (int i = 0; i < expected.size(); i++) {
            EpisodeResult e = expected.get(i);
            EpisodeResult r = actual.get(i);
            assertEquals(e.run(), r.run());
            assertEquals(e.image(), r.image());
            assertEquals(e.steps(), r.steps(), "steps of episode " + i);
            for (int ag = 0; ag < e.agents(); ag++) {
                assertArrayEquals(e.start()[ag], r.start()[ag]);
                assertArrayEquals(e.end()[ag], r.end()[ag], "end of episode " + i + " agent " + ag);
                assertEquals(e.distanceMm()[ag], r.distanceMm()[ag]);
            }
        }
    }

    @Test
    void shouldMatchOneByOneWhenEpisodesRunInLockstep() {
        List<Spawn> spawns = List.of(Spawn.fixed(0.25, 0.25, 0.25), Spawn.fixed(0.75, 0.5, 0.25),
                Spawn.random(), Spawn.fixed(0.5, 0.75, 0.75), Spawn.random());
        List<EpisodeResult> single = evaluate(2, 1, spawns, 7);
        assertSameResults(single, evaluate(2, 3, spawns, 7));
        assertSameResults(single, evaluate(2, 16, spawns, 7));
        // the runs differ in length, so batches really do refill mid-way
        assertTrue(single.stream().mapToInt(EpisodeResult::steps).distinct().count() > 1);
    }

    @Test
    void shouldFindTheBlobWhenPolicyClimbsBrightness() {
        List<EpisodeResult> r = evaluate(1, 4, List.of(Spawn.fixed(0.5, 0.5, 0.5), Spawn.fixed(0.3, 0.6, 0.4)), 1);
        DistanceSummary s = DistanceSummary.of(r);
        assertEquals(4, s.episodes());
        for (EpisodeResult e : r) {
            assertTrue(e.distanceMm()[0] < 10, "episode ended " + e.distanceMm()[0] + " mm from the blob centre");
        }
    }

    @Test
    void shouldNumberRowsAsPublishedAndWritePublishedHeader() {
        assertEquals(List.of("number", "Filename 0", "Agent 0 pos x", "Agent 0 pos y", "Agent 0 pos z",
                "Landmark 0 pos x", "Landmark 0 pos y", "Landmark 0 pos z", "Distance 0"), ResultsCsv.header(1));
        EpisodeResult r = new EpisodeResult(2, 1, "b.nii.gz", new int[][]{{1, 2, 3}}, new int[][]{{4, 5, 6}},
                new int[][]{{7, 8, 9}}, new double[]{1.5}, 12, 1);
        assertEquals(List.of("7", "b", "4", "5", "6", "7.0", "8.0", "9.0", "1.5"), ResultsCsv.row(r, 3));
        EpisodeResult play = new EpisodeResult(0, 0, "a.nii.gz", new int[][]{{1, 2, 3}}, new int[][]{{4, 5, 6}},
                null, new double[]{Double.NaN}, 12, 1);
        assertEquals(List.of("3", "a", "4", "5", "6", "N/A", "N/A", "N/A", "N/A"), ResultsCsv.row(play, 3));
    }

    @Test
    void shouldUseSampleStdWhenSummarising() {
        EpisodeResult r1 = new EpisodeResult(0, 0, "a", new int[][]{{0, 0, 0}}, new int[][]{{0, 0, 0}},
                new int[][]{{0, 0, 0}}, new double[]{1.0}, 1, 1);
        EpisodeResult r2 = new EpisodeResult(0, 1, "b", new int[][]{{0, 0, 0}}, new int[][]{{0, 0, 0}},
                new int[][]{{0, 0, 0}}, new double[]{3.0}, 1, 1);
        DistanceSummary s = DistanceSummary.of(List.of(r1, r2));
        assertEquals(2.0, s.overallMeanMm());
        assertEquals(Math.sqrt(2.0), s.overallStdMm(), 1e-15);
    }
}
