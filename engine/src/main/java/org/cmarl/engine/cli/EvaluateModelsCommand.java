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
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;
import org.cmarl.engine.dataset.ImageDataset;
import org.cmarl.engine.dataset.LabelledImage;
import org.cmarl.engine.env.Mode;
import org.cmarl.engine.env.Spawn;
import org.cmarl.engine.eval.DistanceStatistics;
import org.cmarl.engine.eval.DistanceSummary;
import org.cmarl.engine.eval.EpisodeResult;
import org.cmarl.engine.eval.NetworkEvaluation;
import org.cmarl.engine.eval.ResultsCsv;
import org.cmarl.engine.io.AtomicFiles;
import org.cmarl.engine.io.PtReader;
import org.cmarl.engine.io.TensorData;
import org.cmarl.engine.nn.Architecture;
import org.cmarl.engine.nn.Device;
import org.cmarl.engine.nn.NetworkConfig;
import org.cmarl.engine.nn.Precision;
import org.cmarl.engine.nn.TeamReward;
import org.cmarl.engine.nn.Torch;
import org.cmarl.engine.ui.ProgressBars;
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
                "  rlm evaluate-models \\",
                "      --files image_files.txt landmark_files.txt \\",
                "      --model SingleAgent.pt --model_name Network3d --landmarks 13 \\",
                "      --model CommNet3agents.pt --model_name CommNet \\",
                "      --landmarks 13 14 15 --fixed_spawn 0.5 0.5 0.5"})
final class EvaluateModelsCommand implements Callable<Integer> {
    /** One {@code --model FILE ...} group. */
    static final class ModelSpec {
        @Option(names = "--model", required = true, paramLabel = "FILE",
                description = "A checkpoint (.pt state_dict or training checkpoint); starts a model's group.")
        Path file;

        // Defaults as initial values, not defaultValue: picocli reads a group option's default from the group's
        // field, and before any group exists (--help, no arguments) that read failed with a PicocliException.
        @Option(names = "--model_name",
                description = "Network of this model: ${COMPLETION-CANDIDATES}. Default: CommNet.",
                converter = EnumFlags.ModelNames.class, completionCandidates = EnumFlags.ModelNames.class)
        Architecture modelName = Architecture.COMMNET;

        @Option(names = "--landmarks", arity = "1..*", required = true, paramLabel = "ID",
                description = "Landmark id per agent of this model.")
        List<Integer> landmarks;

        @Option(names = "--file_type",
                description = "Landmark file format for this model: ${COMPLETION-CANDIDATES}. Default: brain.",
                converter = EnumFlags.FileTypes.class, completionCandidates = EnumFlags.FileTypes.class)
        FileType fileType = FileType.BRAIN;

        @Option(names = "--attention", description = "This model's CommNet uses learnable attention.")
        boolean attention;

        @Option(names = "--team_reward", description = "This model's team reward: ${COMPLETION-CANDIDATES} (default: none).",
                converter = EnumFlags.TeamRewards.class, completionCandidates = EnumFlags.TeamRewards.class)
        TeamReward teamReward = TeamReward.NONE;

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

    @Option(names = "--batch_episodes", description = "Episodes advanced together (default: 1 on CPU, 32 on CUDA).")
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
        FlagChecks.common(threads, batchEpisodes, stepsPerEpisode);
        for (ModelSpec m : models) {
            FlagChecks.landmarkIds("--landmarks", m.landmarks);
        }
        RunDirs.checkCreatable(logDir);
        Device dev = FlagChecks.device(device, out);
        Precision.Choice chosen;
        try {
            chosen = Precision.choose(precision, dev, Precision.cpuFlags());
        } catch (IllegalArgumentException e) {
            throw new BadInputException("--precision " + precision + " is not one of fp32, bf16, auto");
        }
        if (chosen.reason() != null) {
            out.println(chosen.reason());
        }
        // --- every checkpoint read and checked against its flags before any image is loaded
        List<String> labels = labels();
        List<NetworkConfig> configs = new ArrayList<>();
        List<Map<String, TensorData>> weights = new ArrayList<>();
        for (ModelSpec m : models) {
            NetworkConfig config = FlagChecks.network(m.modelName, m.landmarks.size(), m.attention,
                    m.teamReward == TeamReward.ATTENTION);
            Map<String, TensorData> wts = CheckpointChecks.weightsOf(PtReader.read(m.file));
            CheckpointChecks.finite(wts, m.file, "--model");
            CheckpointChecks.checkFits(config, wts, m.file);
            configs.add(config);
            weights.add(wts);
        }
        if (dev == Device.CUDA) {
            Torch.configureCuda(false);
        }
        int batch = NetworkEvaluation.batchEpisodes(batchEpisodes, dev);
        List<ModelRow> rows = new ArrayList<>();
        try (ImageDataset set = ImageDataset.load(files, false, out)) {
            // every model's landmarks read (ids within the files, voxels within the images) before the run folder
            List<List<LabelledImage>> imagesPerModel = new ArrayList<>();
            for (ModelSpec m : models) {
                imagesPerModel.add(set.images(m.fileType, m.landmarks));
            }
            Path runDir = createRunDir();
            if (threads != null) {
                Torch.setThreads(threads);
            } else {
                Torch.setDefaultThreads();
            }
            for (int i = 0; i < models.size(); i++) {
                ModelSpec m = models.get(i);
                List<LabelledImage> images = imagesPerModel.get(i);
                int total = images.size() * spawns.size();
                List<EpisodeResult> results;
                Path csv = runDir.resolve("results_" + (i + 1) + "_" + labels.get(i) + ".csv");
                try (NetworkEvaluation evaluation = new NetworkEvaluation(configs.get(i), dev, seed, Mode.EVAL,
                        stepsPerEpisode, batch, total);
                     ProgressBar bar = ProgressBars.create(labels.get(i), total, " episodes", out);
                     EpisodeGifRecorder gifs = saveGif
                             ? new EpisodeGifRecorder(runDir.resolve("gifs").resolve(labels.get(i)))
                                     .numberedAsResults(images.size()) : null;
                     ResultsCsv resultRows = ResultsCsv.create(csv, configs.get(i).agents(), images.size())) {
                    results = evaluation.load(weights.get(i), null, chosen.precision()).run(images, spawns,
                            new SplittableRandom(seed), r -> {
                                EvaluationRun.appendRow(resultRows, r);
                                bar.step();
                            }, gifs);
                }
                rows.add(new ModelRow(labels.get(i), m, DistanceSummary.of(results), csv));
            }
            writeSummary(runDir, rows, out);
        }
        return 0;
    }

    private void writeSummary(Path runDir, List<ModelRow> rows, PrintStream out) throws IOException {
        Path summary = runDir.resolve("summary.csv");
        String text = csv(rows);
        AtomicFiles.write(summary, o -> o.write(text.getBytes(StandardCharsets.UTF_8)));
        out.print(table(rows));
        out.println("summary: " + summary);
        for (ModelRow r : rows) {
            out.println("results of " + r.label() + ": " + r.resultsCsv());
        }
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
            s.add(FlagChecks.spawn(fixedSpawn, i));
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
            + "mean_distance_mm,std_distance_mm,median_distance_mm,p90_distance_mm,max_distance_mm";

    /**
     * summary.csv (Commons CSV: a checkpoint path with a comma is quoted): one row per model and agent, then a row
     * {@code agent=all, landmark=all} per model.
     */
    static String csv(List<ModelRow> rows) throws IOException {
        StringBuilder b = new StringBuilder();
        try (CSVPrinter p = new CSVPrinter(b, CSVFormat.DEFAULT.builder().setRecordSeparator('\n').get())) {
            p.printRecord((Object[]) CSV_HEADER.split(","));
            for (ModelRow r : rows) {
                DistanceSummary s = r.summary();
                for (int a = 0; a <= s.meanMm().length; a++) {
                    boolean all = a == s.meanMm().length;
                    DistanceStatistics d = all ? s.overall() : s.perAgent().get(a);
                    p.printRecord(r.label(), r.spec().file.toString(), r.spec().modelName.cliName(),
                            r.spec().fileType.cliName(),
                            all ? "all" : Integer.toString(a), all ? "all" : r.spec().landmarks.get(a).toString(),
                            s.episodes(), num(d.meanMm()), num(d.stdMm()), num(d.medianMm()), num(d.p90Mm()),
                            num(d.maxMm()));
                }
            }
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
        String fmt = "%-" + width + "s  %-9s  %8s  %8s  %9s  %9s  %9s  %9s%n";
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, fmt, "model", "network", "landmark", "episodes", "mean mm", "std mm",
                "median mm", "p90 mm"));
        for (ModelRow r : rows) {
            DistanceSummary s = r.summary();
            for (int a = 0; a < s.meanMm().length; a++) {
                b.append(String.format(Locale.ROOT, fmt, r.label(), r.spec().modelName.cliName(),
                        r.spec().landmarks.get(a), s.episodes(), f3(s.meanMm()[a]), f3(s.stdMm()[a]),
                        f3(s.perAgent().get(a).medianMm()), f3(s.perAgent().get(a).p90Mm())));
            }
            if (s.meanMm().length > 1) {
                b.append(String.format(Locale.ROOT, fmt, r.label(), r.spec().modelName.cliName(), "all",
                        s.episodes(), f3(s.overallMeanMm()), f3(s.overallStdMm()), f3(s.overall().medianMm()),
                        f3(s.overall().p90Mm())));
            }
        }
        return b.toString();
    }

    private static String f3(double v) {
        return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%.3f", v);
    }
}
