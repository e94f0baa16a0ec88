package org.cmarl.engine.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.cmarl.engine.dataset.LabelledImage;
import org.cmarl.engine.env.Mode;
import org.cmarl.engine.env.Spawn;
import org.cmarl.engine.io.PtReader;
import org.cmarl.engine.nn.Architecture;
import org.cmarl.engine.nn.Device;
import org.cmarl.engine.nn.NetworkConfig;
import org.cmarl.engine.nn.QNetwork;
import org.cmarl.engine.volume.FileList;
import org.cmarl.engine.volume.FileType;
import org.cmarl.engine.volume.LandmarkReader;
import org.cmarl.engine.volume.NiftiReader;
import org.cmarl.engine.volume.Volume;
import org.junit.jupiter.api.Test;

/**
 * Evaluation that reuses the Q-values of repeated observations ({@link ObservationMemo}, the default) ends every
 * episode exactly where evaluation that runs the network at every step does: same final voxel, steps, scale and
 * distance, on real scans, batched and not, one agent (the published SingleAgent.pt) and two (CommNet).
 */
class EvaluatorObservationReuseTest {
    private static final Path BRAIN = PublishedEvaluationTest.SHARED.resolve("sample-data/brain");

    @Test
    void shouldEndEveryEpisodeAsWithoutReuseWhenEvaluatingSingleAgentCheckpoint() throws Exception {
        try (QNetwork net = QNetwork.create(NetworkConfig.of(Architecture.NETWORK3D, 1), 0, Device.CPU)) {
            net.loadStateDict(PtReader.read(PublishedEvaluationTest.SHARED.resolve("models/BrainMRI/SingleAgent.pt"))
                    .stateDict());
            List<Spawn> spawns = List.of(Spawn.fixed(0.5, 0.5, 0.5), Spawn.fixed(0.25, 0.75, 0.25),
                    Spawn.fixed(0.75, 0.25, 0.5));
            for (int batch : new int[] {1, 3}) {
                compare(net, scans(2, 13), spawns, batch, 200);
            }
        }
    }

    @Test
    void shouldEndEveryEpisodeAsWithoutReuseWhenTwoAgentsCommunicate() throws Exception {
        try (QNetwork net = QNetwork.create(NetworkConfig.of(Architecture.COMMNET, 2), 7, Device.CPU)) {
            compare(net, scans(2, 13, 14), List.of(Spawn.fixed(0.5, 0.5, 0.5), Spawn.fixed(0.25, 0.5, 0.75)), 2, 60);
        }
    }

    private static void compare(QNetwork net, List<LabelledImage> images, List<Spawn> spawns, int batch,
                                int maxSteps) {
        try {
            List<EpisodeResult> reused;
            List<EpisodeResult> computed;
            Evaluator withReuse;
            Evaluator without;
            try (NetworkQFunction q = new NetworkQFunction(net, batch)) {
                withReuse = new Evaluator(q, Mode.EVAL, maxSteps);
                reused = withReuse.run(images, spawns, null, null);
                without = new Evaluator(q, Mode.EVAL, maxSteps).reuseRepeatedObservations(false);
                computed = without.run(images, spawns, null, null);
            }
            String what = net.describe() + ", batch " + batch;
            assertEquals(computed.size(), reused.size(), what);
            for (int i = 0; i < computed.size(); i++) {
                EpisodeResult c = computed.get(i);
                EpisodeResult r = reused.get(i);
                String episode = what + ", episode " + i;
                for (int a = 0; a < c.end().length; a++) {
                    assertArrayEquals(c.end()[a], r.end()[a], episode + " agent " + a);
                }
                assertEquals(c.steps(), r.steps(), episode);
                assertEquals(c.finalScale(), r.finalScale(), episode);
                assertArrayEquals(c.distanceMm(), r.distanceMm(), 0.0, episode);
            }
            assertEquals(0, without.repeatsReused(), what);
            assertEquals(without.observations(), withReuse.observations(), what);
            assertTrue(withReuse.repeatsReused() > withReuse.observations() / 10, what + ": "
                    + withReuse.repeatsReused() + " of " + withReuse.observations() + " reused");
        } finally {
            images.forEach(i -> i.volume().close());
        }
    }

    /** The first {@code count} sample scans with the given landmarks (one agent each). */
    private static List<LabelledImage> scans(int count, int... landmarkIds) throws Exception {
        List<FileList.Pair> pairs = FileList.pairs(BRAIN.resolve("image_files.txt"),
                BRAIN.resolve("landmark_files.txt"));
        List<LabelledImage> images = new ArrayList<>();
        for (FileList.Pair p : pairs.subList(0, count)) {
            Volume v = NiftiReader.load(p.image());
            int[][] landmarks = new int[landmarkIds.length][];
            for (int a = 0; a < landmarkIds.length; a++) {
                landmarks[a] = LandmarkReader.landmark(p.landmarks(), FileType.BRAIN, landmarkIds[a], v);
            }
            images.add(new LabelledImage(p.image().getFileName().toString(), v, landmarks));
        }
        return images;
    }
}
