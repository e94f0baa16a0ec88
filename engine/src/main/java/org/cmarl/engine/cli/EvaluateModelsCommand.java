package org.cmarl.engine.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

import me.tongfei.progressbar.ProgressBar;
import org.cmarl.engine.env.Mode;
import org.cmarl.engine.env.Spawn;
import org.cmarl.engine.eval.DistanceSummary;
import org.cmarl.engine.eval.EpisodeResult;
import org.cmarl.engine.eval.EvalImage;
import org.cmarl.engine.eval.Evaluator;
import org.cmarl.engine.eval.NetworkQFunction;
import org.cmarl.engine.eval.ResultsCsv;
import org.cmarl.engine.io.PtReader;
import org.cmarl.engine.io.TensorData;
import org.cmarl.engine.nn.Architecture;
import org.cmarl.engine.nn.Device;
import org.cmarl.engine.nn.NetworkConfig;
import org.cmarl.engine.nn.Precision;
import org.cmarl.engine.nn.QNetwork;
import org.cmarl.engine.nn.TeamReward;
import org.cmarl.engine.nn.Torch;
import org.cmarl.engine.viz.EpisodeGifRecorder;
import org.cmarl.engine.volume.FileType;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code rlm evaluate-models}: several checkpoints on the same images and spawns, one table of mean and sample
 * standard deviation of the final distance per landmark per model. The images are loaded once; each model reads its
 * own landmarks (ids and file type) from the landmark files. By default every model runs from the 27 fixed spawns
 * {@code (0.25, 0.5, 0.75)^3}, x slowest.
 */
@Command(name = "evaluate-models", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Evaluate several checkpoints on the same images and spawns; print and write (summary.csv) the "
                + "mean and std of the final distance per landmark per model.",
        footer = {"", "Example:",
                "  rlm evaluate-models --files image_files.txt landmark_files.txt \\",
                "      --model SingleAgent.pt --model_name Network3d --landmarks 13 \\",
                "      --model CommNet.pt --model_name CommNet --landmarks 13 14 15 --fixed_spawn 0.5 0.5 0.5"})
final class EvaluateModelsCommand implements Callable<Integer> {
    /** One {@code --model FILE ...} group. */
    static final class ModelSpec {
        @Option(names = "--model", required = true, paramLabel = "FILE",
                description = "A checkpoint (.pt state_dict or training checkpoint); starts a model's group.")
        Path file;

        @Option(names = "--model_name", defaultValue = "CommNet",
                description = "Network of this model: ${COMPLETION-CANDIDATES}. Default: ${DEFAULT-VALUE}.")
        RunOptions.ModelName modelName;

        @Option(names = "--landmarks", arity = "1..*", required = true, paramLabel = "ID",
                description = "Landmark id per agent of this model.")
        List<Integer> landmarks;

        @Option(names = "--file_type", defaultValue = "brain",
                description = "Landmark file format for this model: ${COMPLETION-CANDIDATES}. Default: ${DEFAULT-VALUE}.")
        RunOptions.FileType fileType;

        @Option(names = "--attention", description = "This model's CommNet uses learnable attention.")
        boolean attention;

        @Option(names = "--team_reward", description = "This model's team reward: ${COMPLETION-CANDIDATES} (default: none).")
        RunOptions.TeamReward teamReward;

        @Option(names = "--label", paramLabel = "TEXT", description = "Name in the table (default: the file name).")
        String label;
    }

    @Option(names = "--files", arity = "2", required = true, paramLabel = "LIST",
            description = "File lists: images, then landmarks (paired line by line).")
    List<Path> files = new ArrayList<>();

    @ArgGroup(exclusive = false, multiplicity = "1..*", heading = "%nModels (repeat the group per model):%n")
    List<ModelSpec> models = new ArrayList<>();

    @Option(names = "--fixed_spawn", arity = "1..*", paramLabel = "F",
            description = "Spawn fractions (x y z) per run, triples; default the 27 spawns (0.25, 0.5, 0.75)^3.")
    List<Double> fixedSpawn = new ArrayList<>();

    @Option(names = "--steps_per_episode", defaultValue = "200", converter = RunOptions.IntegralNumber.class,
            description = "Step cap of an episode. Default: ${DEFAULT-VALUE}.")
    int stepsPerEpisode;

    @Option(names = "--log_dir", defaultValue = "runs",
            description = "Folder for the run folder (summary.csv, one results CSV per model). Default: ${DEFAULT-VALUE}.")
    Path logDir;

    @Option(names = "--saveGif", description = "Also write a GIF of every episode (gifs/<model label>/).")
    boolean saveGif;

    @Option(names = "--device", defaultValue = "auto", description = "cpu, cuda or auto. Default: ${DEFAULT-VALUE}.")
    String device;

    @Option(names = "--threads", description = "CPU threads for libtorch (default: all cores).")
    Integer threads;

    @Option(names = "--precision", paramLabel = "P", defaultValue = "fp32",
            description = "fp32 (published, default), bf16 (bfloat16 convolutions: faster on CPUs with AVX512_BF16 or AMX and on CUDA), or auto (bf16 where the hardware runs it natively).")
    String precision;

    @Option(names = "--batch_episodes", description = "Episodes advanced together (default: 4 on CPU, 32 on CUDA).")
    Integer batchEpisodes;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the (unused by fixed spawns) random source. "
            + "Default: ${DEFAULT-VALUE}.")
    long seed;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    /** One model's evaluation, for the table. */
    record ModelRow(String label, ModelSpec spec, DistanceSummary summary, Path resultsCsv) {
    }

    /** The default spawns: (0.25, 0.5, 0.75)^3, x slowest, then y, then z. */
    static List<Spawn> defaultSpawns() {
        double[] f = {0.25, 0.5, 0.75};
        List<Spawn> spawns = new ArrayList<>();
        for (double x : f) {
            for (double y : f) {
                for (double z : f) {
                    spawns.add(Spawn.fixed(x, y, z));
                }
            }
        }
        return spawns;
    }

    @Override
    public Integer call() throws IOException {
        PrintWriter w = spec.commandLine().getOut();
        PrintStream out = new PrintStream(new WriterOutputStream(w), true, StandardCharsets.UTF_8);
        List<Spawn> spawns = spawns();
        if (stepsPerEpisode < 1) {
            throw new BadInputException("--steps_per_episode " + stepsPerEpisode + " must be at least 1");
        }
        // --- every checkpoint read and checked against its flags before any image is loaded
        List<String> labels = labels();
        List<NetworkConfig> configs = new ArrayList<>();
        List<Map<String, TensorData>> weights = new ArrayList<>();
        for (ModelSpec m : models) {
            TeamReward team = m.teamReward == null ? TeamReward.NONE : TeamReward.parse(m.teamReward.name());
            NetworkConfig config = new NetworkConfig(Architecture.parse(m.modelName.name()), m.landmarks.size(),
                    m.attention, team == TeamReward.ATTENTION);
            Map<String, TensorData> wts = RunCommand.weightsOf(PtReader.read(m.file));
            RunCommand.checkFits(config, wts, m.file);
            configs.add(config);
            weights.add(wts);
        }
        Device dev = Device.parse(device, out);
        Precision.Choice chosen;
        try {
            chosen = Precision.choose(precision, dev, Precision.cpuFlags());
        } catch (IllegalArgumentException e) {
            throw new BadInputException("--precision " + precision + " is not one of fp32, bf16, auto");
        }
        if (chosen.reason() != null) {
            out.println(chosen.reason());
        }
        Path runDir = createRunDir();
        if (threads != null) {
            Torch.setThreads(threads);
        }
        int batch = batchEpisodes != null ? batchEpisodes : dev == Device.CUDA ? 32 : 4;
        if (batch < 1) {
            throw new BadInputException("--batch_episodes " + batch + " must be at least 1");
        }
        List<ModelRow> rows = new ArrayList<>();
        try (ImageSet set = ImageSet.load(files, false, out)) {
            for (int i = 0; i < models.size(); i++) {
                ModelSpec m = models.get(i);
                List<EvalImage> images = set.images(FileType.fromName(m.fileType.name()), m.landmarks);
                int total = images.size() * spawns.size();
                List<EpisodeResult> results;
                try (QNetwork net = QNetwork.create(configs.get(i), seed, dev);
                     NetworkQFunction q = new NetworkQFunction(net, Math.min(batch, total));
                     ProgressBar bar = ImageSet.bar(out, labels.get(i), total, " episodes");
                     EpisodeGifRecorder gifs = saveGif
                             ? new EpisodeGifRecorder(runDir.resolve("gifs").resolve(labels.get(i))) : null) {
                    net.loadStateDict(weights.get(i));
                    net.setPrecision(chosen.precision());
                    results = new Evaluator(q, Mode.EVAL, stepsPerEpisode).run(images, spawns,
                            new SplittableRandom(seed), r -> bar.step(), gifs);
                }
                Path csv = runDir.resolve("results_" + (i + 1) + "_" + labels.get(i) + ".csv");
                ResultsCsv.write(csv, results, images.size());
                rows.add(new ModelRow(labels.get(i), m, DistanceSummary.of(results), csv));
            }
        }
        Path summary = runDir.resolve("summary.csv");
        Files.writeString(summary, csv(rows), StandardCharsets.UTF_8);
        out.print(table(rows));
        out.println("summary: " + summary);
        for (ModelRow r : rows) {
            out.println("results of " + r.label() + ": " + r.resultsCsv());
        }
        return 0;
    }

    private List<Spawn> spawns() {
        if (fixedSpawn.isEmpty()) {
            return defaultSpawns();
        }
        if (fixedSpawn.size() % 3 != 0) {
            throw new BadInputException("--fixed_spawn takes triples (x y z fractions), got " + fixedSpawn.size()
                    + " values");
        }
        List<Spawn> s = new ArrayList<>();
        for (int i = 0; i < fixedSpawn.size(); i += 3) {
            s.add(Spawn.fixed(fixedSpawn.get(i), fixedSpawn.get(i + 1), fixedSpawn.get(i + 2)));
        }
        return s;
    }

    /** Labels for the table and file names: --label, else the file name without .pt; repeats get -2, -3, ... */
    private List<String> labels() {
        List<String> labels = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (ModelSpec m : models) {
            String base = m.label != null ? m.label : m.file.getFileName().toString().replaceFirst("\\.pt$", "");
            base = base.replaceAll("[^A-Za-z0-9._-]", "_");
            String label = base;
            for (int k = 2; !seen.add(label); k++) {
                label = base + "-" + k;
            }
            labels.add(label);
        }
        return labels;
    }

    private Path createRunDir() {
        return RunDirs.create(logDir, "evaluate-models");
    }

    /** Header of summary.csv. */
    static final String CSV_HEADER = "model,checkpoint,model_name,file_type,agent,landmark,episodes,"
            + "mean_distance_mm,std_distance_mm";

    /** summary.csv: one row per model and agent, then a row {@code agent=all, landmark=all} per model. */
    static String csv(List<ModelRow> rows) {
        StringBuilder b = new StringBuilder(CSV_HEADER).append('\n');
        for (ModelRow r : rows) {
            String prefix = r.label() + "," + r.spec().file.toString().replace(",", "_") + "," + r.spec().modelName
                    + "," + r.spec().fileType + ",";
            DistanceSummary s = r.summary();
            for (int a = 0; a < s.meanMm().length; a++) {
                b.append(prefix).append(a).append(',').append(r.spec().landmarks.get(a)).append(',')
                        .append(s.episodes()).append(',').append(s.meanMm()[a]).append(',').append(num(s.stdMm()[a]))
                        .append('\n');
            }
            b.append(prefix).append("all,all,").append(s.episodes()).append(',').append(s.overallMeanMm())
                    .append(',').append(num(s.overallStdMm())).append('\n');
        }
        return b.toString();
    }

    private static String num(double v) {
        return Double.isNaN(v) ? "" : Double.toString(v);
    }

    /** The table a person reads: one line per model and landmark, distances in mm with 3 decimals. */
    static String table(List<ModelRow> rows) {
        int width = "model".length();
        for (ModelRow r : rows) {
            width = Math.max(width, r.label().length());
        }
        String fmt = "%-" + width + "s  %-9s  %8s  %8s  %9s  %9s%n";
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, fmt, "model", "network", "landmark", "episodes", "mean mm", "std mm"));
        for (ModelRow r : rows) {
            DistanceSummary s = r.summary();
            for (int a = 0; a < s.meanMm().length; a++) {
                b.append(String.format(Locale.ROOT, fmt, r.label(), r.spec().modelName,
                        r.spec().landmarks.get(a), s.episodes(), f3(s.meanMm()[a]), f3(s.stdMm()[a])));
            }
            if (s.meanMm().length > 1) {
                b.append(String.format(Locale.ROOT, fmt, r.label(), r.spec().modelName, "all",
                        s.episodes(), f3(s.overallMeanMm()), f3(s.overallStdMm())));
            }
        }
        return b.toString();
    }

    private static String f3(double v) {
        return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%.3f", v);
    }
}
