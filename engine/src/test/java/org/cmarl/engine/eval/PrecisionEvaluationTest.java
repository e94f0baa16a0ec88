package org.cmarl.engine.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

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
import org.cmarl.engine.nn.Precision;
import org.cmarl.engine.nn.QNetwork;
import org.cmarl.engine.volume.FileList;
import org.cmarl.engine.volume.FileType;
import org.cmarl.engine.volume.LandmarkReader;
import org.cmarl.engine.volume.NiftiReader;
import org.cmarl.engine.volume.Volume;
import org.junit.jupiter.api.Test;

/**
 * {@code --precision bf16} on published reference episodes (SingleAgent.pt, the centre spawn on the 6 reference
 * scans): the final positions stay the published ones within the tolerance, and switching back to fp32 gives
 * the published results exactly. Skipped on CPUs without native bfloat16 ({@code avx512_bf16} / {@code amx_bf16}),
 * where oneDNN would emulate it (slowly, and with other rounding).
 */
class PrecisionEvaluationTest {
    static final Path SHARED = PublishedEvaluationTest.SHARED;

    @Test
    void shouldLandOnThePublishedPositionsWithinToleranceWhenBf16AndExactlyWhenBackToFp32() throws Exception {
        assumeTrue(Precision.choose("auto", Device.CPU, Precision.cpuFlags()).precision() == Precision.BF16,
                "this CPU has no native bfloat16");
        JsonNode ref = new ObjectMapper().readTree(SHARED.resolve("reference/singleagent_eval_fixed.json").toFile());
        Map<String, JsonNode> centre = new HashMap<>();
        for (JsonNode e : ref.get("episodes")) {
            if (e.get("spawn_fraction").toString().equals("[0.5,0.5,0.5]")) {
                centre.put(e.get("image_file").asText(), e);
            }
        }
        Path brain = SHARED.resolve("sample-data/brain");
        List<LabelledImage> images = new ArrayList<>();
        try (QNetwork net = QNetwork.create(NetworkConfig.of(Architecture.NETWORK3D, 1), 0, Device.CPU)) {
            net.loadStateDict(PtReader.read(SHARED.resolve("models/BrainMRI/SingleAgent.pt")).stateDict());
            for (FileList.Pair p : FileList.pairs(brain.resolve("image_files.txt"), brain.resolve("landmark_files.txt"))) {
                String name = p.image().getFileName().toString().replace(".nii.gz", "");
                if (centre.containsKey(name)) {
                    Volume v = NiftiReader.load(p.image());
                    images.add(new LabelledImage(name, v, new int[][] {
                            LandmarkReader.landmark(p.landmarks(), FileType.BRAIN, 13, v)}));
                }
            }
            assertEquals(6, images.size());
            List<Spawn> spawns = List.of(Spawn.fixed(0.5, 0.5, 0.5));

            net.setPrecision(Precision.BF16);
            List<EpisodeResult> bf16 = run(net, images, spawns);
            int identical = 0;
            double sum = 0;
            double sumReference = 0;
            for (EpisodeResult r : bf16) {
                JsonNode e = centre.get(r.fileName());
                identical += java.util.Arrays.equals(PublishedEvaluationTest.ints(e.get("final_xyz")), r.end()[0]) ? 1 : 0;
                sum += r.distanceMm()[0];
                sumReference += e.get("distance_error_mm").asDouble();
            }
            String figures = identical + " of 6 final positions identical, mean " + sum / 6 + " mm against "
                    + sumReference / 6;
            // the tolerance: at least 95% identical (on 6 episodes: all), mean within 0.05 mm
            assertEquals(6, identical, figures);
            assertTrue(Math.abs(sum / 6 - sumReference / 6) <= 0.05, figures);

            net.setPrecision(Precision.FP32);
            for (EpisodeResult r : run(net, images, spawns)) {
                JsonNode e = centre.get(r.fileName());
                assertArrayEquals(PublishedEvaluationTest.ints(e.get("final_xyz")), r.end()[0], r.fileName());
                assertEquals(e.get("steps").asInt(), r.steps(), r.fileName());
                assertEquals(e.get("distance_error_mm").asDouble(), r.distanceMm()[0], 1e-9, r.fileName());
            }
        } finally {
            for (LabelledImage i : images) {
                i.volume().close();
            }
        }
    }

    private static List<EpisodeResult> run(QNetwork net, List<LabelledImage> images, List<Spawn> spawns) {
        try (NetworkQFunction q = new NetworkQFunction(net, 2)) {
            return new Evaluator(q, Mode.EVAL, 200).run(images, spawns, null, null);
        }
    }
}
