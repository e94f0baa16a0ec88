package org.cmarl.engine.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
 * The published SingleAgent.pt (Network3d, landmark 13) evaluated by the engine gives the published final positions
 * (reference/singleagent_eval_fixed.json) for every one of its 162 episodes: the 6 reference scans from all 27 fixed
 * spawns {0.25, 0.5, 0.75}^3. The full 270-episode command (all 10 scans) and its figures are in the README.
 */
class PublishedEvaluationTest {
    static final Path SHARED = Path.of(System.getProperty("rlm.shared.dir", "../shared"));
    static final double[][] SPAWNS = spawnGrid();
    static final int REFERENCE_EPISODES = 162;

    /** The published evaluation's 27 spawns, x slowest (the order does not matter: episodes are matched by key). */
    static double[][] spawnGrid() {
        double[] f = {0.25, 0.5, 0.75};
        double[][] grid = new double[27][];
        int i = 0;
        for (double x : f) {
            for (double y : f) {
                for (double z : f) {
                    grid[i++] = new double[]{x, y, z};
                }
            }
        }
        return grid;
    }

    @Test
    void shouldReproducePublishedFinalPositionsWhenEvaluatingSingleAgentCheckpoint() throws Exception {
        JsonNode ref = new ObjectMapper().readTree(SHARED.resolve("reference/singleagent_eval_fixed.json").toFile());
        Map<String, JsonNode> byKey = new HashMap<>();
        assertEquals(REFERENCE_EPISODES, ref.get("episodes").size());
        for (JsonNode e : ref.get("episodes")) {
            byKey.put(e.get("image_file").asText() + " " + e.get("spawn_fraction").toString(), e);
        }
        Path brain = SHARED.resolve("sample-data/brain");
        List<FileList.Pair> pairs = FileList.pairs(brain.resolve("image_files.txt"), brain.resolve("landmark_files.txt"));
        List<LabelledImage> images = new ArrayList<>();
        try (QNetwork net = QNetwork.create(NetworkConfig.of(Architecture.NETWORK3D, 1), 0, Device.CPU)) {
            net.loadStateDict(PtReader.read(SHARED.resolve("models/BrainMRI/SingleAgent.pt")).stateDict());
            for (FileList.Pair p : pairs) {
                String name = p.image().getFileName().toString().replace(".nii.gz", "");
                if (!byKey.containsKey(name + " [0.5,0.5,0.5]")) {
                    continue; // the reference covers 6 of the 10 scans
                }
                Volume v = NiftiReader.load(p.image());
                images.add(new LabelledImage(name, v, new int[][]{
                        LandmarkReader.landmark(p.landmarks(), FileType.BRAIN, 13, v)}));
            }
            assertEquals(6, images.size());
            List<Spawn> spawns = new ArrayList<>();
            for (double[] s : SPAWNS) {
                spawns.add(Spawn.fixed(s[0], s[1], s[2]));
            }
            List<EpisodeResult> results;
            try (NetworkQFunction q = new NetworkQFunction(net, 4)) {
                results = new Evaluator(q, Mode.EVAL, 200).run(images, spawns, null, null);
            }
            assertEquals(REFERENCE_EPISODES, results.size());
            java.util.Set<String> matched = new java.util.HashSet<>();
            double sumDistance = 0;
            double sumReference = 0;
            for (EpisodeResult r : results) {
                double[] s = SPAWNS[r.run()];
                JsonNode e = byKey.get(r.fileName() + " [" + s[0] + "," + s[1] + "," + s[2] + "]");
                String what = r.fileName() + " spawn " + java.util.Arrays.toString(s);
                org.junit.jupiter.api.Assertions.assertNotNull(e, what + " is in the reference");
                matched.add(what);
                assertArrayEquals(ints(e.get("start_xyz")), r.start()[0], what);
                assertArrayEquals(ints(e.get("final_xyz")), r.end()[0], what);
                assertEquals(e.get("steps").asInt(), r.steps(), what);
                assertEquals(e.get("final_scale").asInt(), r.finalScale(), what);
                assertEquals(e.get("distance_error_mm").asDouble(), r.distanceMm()[0], 1e-9, what);
                sumDistance += r.distanceMm()[0];
                sumReference += e.get("distance_error_mm").asDouble();
            }
            assertEquals(REFERENCE_EPISODES, matched.size(), "every reference episode compared once");
            assertEquals(sumReference / REFERENCE_EPISODES, sumDistance / REFERENCE_EPISODES, 1e-9);
        } finally {
            for (LabelledImage i : images) {
                i.volume().close();
            }
        }
    }

    static int[] ints(JsonNode a) {
        int[] v = new int[a.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = a.get(i).asInt();
        }
        return v;
    }
}
