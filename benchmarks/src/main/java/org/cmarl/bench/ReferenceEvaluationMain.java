package org.cmarl.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.cmarl.engine.dataset.LabelledImage;
import org.cmarl.engine.env.Mode;
import org.cmarl.engine.env.Spawn;
import org.cmarl.engine.eval.EpisodeResult;
import org.cmarl.engine.eval.Evaluator;
import org.cmarl.engine.eval.NetworkQFunction;
import org.cmarl.engine.io.PtReader;
import org.cmarl.engine.nn.Architecture;
import org.cmarl.engine.nn.Device;
import org.cmarl.engine.nn.NetworkConfig;
import org.cmarl.engine.nn.Precision;
import org.cmarl.engine.nn.QNetwork;
import org.cmarl.engine.nn.Torch;
import org.cmarl.engine.volume.FileList;
import org.cmarl.engine.volume.FileType;
import org.cmarl.engine.volume.LandmarkReader;
import org.cmarl.engine.volume.NiftiReader;
import org.cmarl.engine.volume.Volume;

/**
 * The published SingleAgent.pt evaluation (27 fixed spawns {0.25, 0.5, 0.75}^3, multiscale, 200 steps) over the
 * sample scans, in each precision given, against reference/singleagent_eval_fixed.json: final positions identical
 * to the reference (on the 6 scans it covers), mean distance error, time and forward time per call.
 *
 * <pre>
 *   java -cp benchmarks/target/benchmarks.jar org.cmarl.bench.ReferenceEvaluationMain \
 *        [--precisions fp32,bf16] [--batch 1] [--threads 0] [--images reference|others|all] [--spawns 27]
 * </pre>
 */
public final class ReferenceEvaluationMain {
    private ReferenceEvaluationMain() {
    }

    public static void main(String[] args) throws Exception {
        List<Precision> precisions = List.of(Precision.FP32, Precision.BF16);
        int batch = 1;
        int threads = 0;
        String which = "reference";
        int spawnCount = 27;
        for (int i = 0; i < args.length; i += 2) {
            switch (args[i]) {
                case "--precisions" -> {
                    List<Precision> p = new ArrayList<>();
                    for (String s : args[i + 1].split(",")) {
                        p.add(Precision.choose(s, Device.CPU, Precision.cpuFlags()).precision());
                    }
                    precisions = p;
                }
                case "--batch" -> batch = Integer.parseInt(args[i + 1]);
                case "--threads" -> threads = Integer.parseInt(args[i + 1]);
                case "--images" -> which = args[i + 1];
                case "--spawns" -> spawnCount = Integer.parseInt(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        Torch.setThreads(threads);
        Path shared = Path.of(System.getProperty("rlm.shared.dir", "../shared"));
        JsonNode ref = new ObjectMapper().readTree(shared.resolve("reference/singleagent_eval_fixed.json").toFile());
        Map<String, JsonNode> byKey = new HashMap<>();
        for (JsonNode e : ref.get("episodes")) {
            byKey.put(e.get("image_file").asText() + " " + e.get("spawn_fraction").toString(), e);
        }
        double[] f = {0.5, 0.25, 0.75};
        List<Spawn> spawns = new ArrayList<>();
        List<double[]> fractions = new ArrayList<>();
        for (double x : f) {
            for (double y : f) {
                for (double z : f) {
                    fractions.add(new double[] {x, y, z});
                }
            }
        }
        fractions = fractions.subList(0, Math.min(spawnCount, fractions.size()));
        for (double[] s : fractions) {
            spawns.add(Spawn.fixed(s[0], s[1], s[2]));
        }
        Path brain = shared.resolve("sample-data/brain");
        List<LabelledImage> images = new ArrayList<>();
        for (FileList.Pair p : FileList.pairs(brain.resolve("image_files.txt"), brain.resolve("landmark_files.txt"))) {
            String name = p.image().getFileName().toString().replace(".nii.gz", "");
            boolean referenced = byKey.containsKey(name + " [0.5,0.5,0.5]");
            if (which.equals("reference") && !referenced || which.equals("others") && referenced) {
                continue;
            }
            Volume v = NiftiReader.load(p.image());
            images.add(new LabelledImage(name, v, new int[][] {LandmarkReader.landmark(p.landmarks(), FileType.BRAIN, 13, v)}));
        }
        System.out.printf(Locale.ROOT, "%d images x %d spawns, batch %d, %d threads, load average %s%n", images.size(),
                spawns.size(), batch, Torch.threads(), Machine.loadAverage());
        var sd = PtReader.read(shared.resolve("models/BrainMRI/SingleAgent.pt")).stateDict();
        try (QNetwork net = QNetwork.create(NetworkConfig.of(Architecture.NETWORK3D, 1), 0, Device.CPU)) {
            net.loadStateDict(sd);
            for (Precision precision : precisions) {
                net.setPrecision(precision);
                List<EpisodeResult> results;
                long t0 = System.nanoTime();
                String report;
                try (NetworkQFunction q = new NetworkQFunction(net, batch)) {
                    Evaluator ev = new Evaluator(q, Mode.EVAL, 200);
                    results = ev.run(images, spawns, null, null);
                    report = ev.timeReport();
                }
                double seconds = (System.nanoTime() - t0) / 1e9;
                int compared = 0;
                int identical = 0;
                double sum = 0;
                double sumRef = 0;
                long steps = 0;
                for (EpisodeResult r : results) {
                    sum += r.distanceMm()[0];
                    steps += r.steps();
                    double[] s = fractions.get(r.run());
                    JsonNode e = byKey.get(r.fileName() + " [" + s[0] + "," + s[1] + "," + s[2] + "]");
                    if (e != null) {
                        compared++;
                        sumRef += e.get("distance_error_mm").asDouble();
                        JsonNode fin = e.get("final_xyz");
                        if (fin.get(0).asInt() == r.end()[0][0] && fin.get(1).asInt() == r.end()[0][1]
                                && fin.get(2).asInt() == r.end()[0][2]) {
                            identical++;
                        }
                    }
                }
                System.out.printf(Locale.ROOT, "%s: %d episodes, %d steps, %.1f s (%.2f episodes/s); mean %.4f mm; "
                                + "final positions identical to the reference %d/%d (reference mean %.4f mm); %s%n",
                        precision.cliName(), results.size(), steps, seconds, results.size() / seconds,
                        sum / results.size(), identical, compared, compared == 0 ? Double.NaN : sumRef / compared,
                        report);
            }
        } finally {
            for (LabelledImage i : images) {
                i.volume().close();
            }
        }
    }
}
