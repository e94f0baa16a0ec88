package org.cmarl.engine.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

import me.tongfei.progressbar.ProgressBar;
import org.cmarl.engine.env.Mode;
import org.cmarl.engine.env.Spawn;
import org.cmarl.engine.eval.DistanceSummary;
import org.cmarl.engine.eval.EpisodeResult;
import org.cmarl.engine.eval.EvalImage;
import org.cmarl.engine.eval.Evaluator;
import org.cmarl.engine.eval.NetworkQFunction;
import org.cmarl.engine.eval.ResultsCsv;
import org.cmarl.engine.io.Checkpoint;
import org.cmarl.engine.io.PtReader;
import org.cmarl.engine.io.TensorData;
import org.cmarl.engine.nn.Architecture;
import org.cmarl.engine.nn.Device;
import org.cmarl.engine.nn.NetworkConfig;
import org.cmarl.engine.nn.Precision;
import org.cmarl.engine.nn.QNetwork;
import org.cmarl.engine.nn.TeamReward;
import org.cmarl.engine.nn.Torch;
import org.cmarl.engine.train.TrainConfig;
import org.cmarl.engine.train.Trainer;
import org.cmarl.engine.train.TrainingCheckpoints;
import org.cmarl.engine.train.TrainingLog;
import org.cmarl.engine.viz.EpisodeGifRecorder;
import org.cmarl.engine.volume.FileType;

/**
 * {@code --task train|eval|play}: the published DQN.py command line on the engine. Everything the user gave is
 * checked before any work starts (file lists, spawns, checkpoint against the flags, the log folder).
 */
public final class RunCommand {
    private final RunOptions o;
    private final PrintStream out;
    private final String commandLine;

    public RunCommand(RunOptions options, PrintStream out, String commandLine) {
        this.o = options;
        this.out = out;
        this.commandLine = commandLine;
    }

    public int run() throws IOException {
        Mode mode = switch (o.task) {
            case train -> Mode.TRAIN;
            case eval -> Mode.EVAL;
            case play -> Mode.PLAY;
        };
        // --- check everything first
        int needLists = mode == Mode.PLAY ? 1 : 2;
        if (o.files.size() != needLists && !(mode == Mode.PLAY && o.files.size() == 2)) {
            throw new BadInputException("--task " + o.task + " needs --files IMAGE_LIST" + (needLists == 2
                    ? " LANDMARK_LIST" : "") + ", got " + o.files.size() + " list" + (o.files.size() == 1 ? "" : "s"));
        }
        if (!o.valFiles.isEmpty() && o.valFiles.size() != 2) {
            throw new BadInputException("--val_files needs IMAGE_LIST LANDMARK_LIST, got " + o.valFiles.size()
                    + " list");
        }
        if (o.landmarks.isEmpty()) {
            throw new BadInputException("--landmarks needs at least one id (one agent per id)");
        }
        List<Spawn> spawns = spawns();
        if (mode != Mode.TRAIN && o.load == null) {
            throw new BadInputException("--task " + o.task + " needs --load CHECKPOINT (the network to evaluate)");
        }
        if (o.viz > 0 || o.saveVideo) {
            out.println("note: this engine has no on-screen viewer or video writer (--viz, --saveVideo); use --saveGif");
        }
        if (o.saveGif && mode == Mode.TRAIN) {
            out.println("note: --saveGif records --task eval and play episodes, not training");
        }
        int agents = o.landmarks.size();
        Architecture arch = Architecture.parse(o.modelName.name());
        TeamReward teamReward = o.teamReward == null ? TeamReward.NONE : TeamReward.parse(o.teamReward.name());
        NetworkConfig netConfig = new NetworkConfig(arch, agents, o.attention, teamReward == TeamReward.ATTENTION);
        // Checkpoint read and checked against the flags before images are loaded (fast failure).
        java.util.Map<String, TensorData> weights = o.load == null ? null : weightsOf(PtReader.read(o.load));
        Checkpoint resume = o.resume == null ? null : PtReader.read(o.resume);
        if (resume != null && !resume.isTrainingCheckpoint()) {
            throw new BadInputException("--resume " + o.resume + " is a bare state_dict, expected a training "
                    + "checkpoint (latest_checkpoint.pt); use --load for weights");
        }
        checkFits(netConfig, weights, o.load);
        checkFits(netConfig, resume == null ? null : resume.training().qNetwork(), o.resume);
        Device device = Device.parse(o.device, out);
        Precision precision = precision("--precision", o.precision, device);
        Precision trainPrecision = mode == Mode.TRAIN ? precision("--train_precision", o.trainPrecision, device)
                : Precision.FP32;
        long seed = o.seed == null ? System.nanoTime() : o.seed;
        TrainConfig trainConfig = mode == Mode.TRAIN ? trainConfig(netConfig, teamReward, device, seed) : null;
        // the lists are read and paired (every file checked to exist) before any image is loaded
        FileType fileType = FileType.fromName(o.fileType.name());
        List<Path> imageFiles = new ArrayList<>();
        List<Path> landmarkFiles = new ArrayList<>();
        ImageSet.list(o.files, mode == Mode.PLAY, imageFiles, landmarkFiles);
        List<Path> valImages = new ArrayList<>();
        List<Path> valLandmarks = new ArrayList<>();
        if (!o.valFiles.isEmpty()) {
            ImageSet.list(o.valFiles, false, valImages, valLandmarks);
        }
        Path runDir = createRunDir();

        // --- load images
        ImageSet imageSet = ImageSet.load(imageFiles, landmarkFiles, out);
        ImageSet validationSet = null;
        try {
            List<EvalImage> images = imageSet.images(fileType, imageSet.hasLandmarks() ? o.landmarks : null);
            validationSet = ImageSet.load(valImages, valLandmarks, out);
            List<EvalImage> validation = validationSet.size() == 0 ? List.of()
                    : validationSet.images(fileType, o.landmarks);
            if (o.threads != null) {
                Torch.setThreads(o.threads);
            }
            if (mode == Mode.TRAIN) {
                return train(trainConfig.withRunDir(runDir), images, validation, weights, resume, precision,
                        trainPrecision);
            }
            return evaluate(mode, netConfig, device, precision, seed, runDir, images, spawns, weights);
        } finally {
            imageSet.close();
            if (validationSet != null) {
                validationSet.close();
            }
        }
    }

    /** The training settings, checked against each other before anything is loaded or created. */
    private TrainConfig trainConfig(NetworkConfig netConfig, TeamReward teamReward, Device device, long seed) {
        int[] landmarks = o.landmarks.stream().mapToInt(Integer::intValue).toArray();
        try {
            return new TrainConfig(netConfig.architecture(), landmarks, o.attention, teamReward, o.batchSize,
                    o.memorySize, o.initMemorySize, o.discount, o.lr, o.schedulerGamma, o.schedulerStepSize,
                    o.maxEpisodes, o.stepsPerEpisode, o.targetUpdateFreq, o.delta, TrainConfig.MIN_EPSILON,
                    o.multiscale, o.trainFreq, seed, device, o.microBatch, null);
        } catch (IllegalArgumentException e) {
            throw new BadInputException(e.getMessage());
        }
    }

    private List<Spawn> spawns() {
        if (o.fixedSpawn.isEmpty()) {
            return List.of(Spawn.random());
        }
        if (o.fixedSpawn.size() % 3 != 0) {
            throw new BadInputException("--fixed_spawn takes triples (x y z fractions), got " + o.fixedSpawn.size()
                    + " values");
        }
        List<Spawn> s = new ArrayList<>();
        for (int i = 0; i < o.fixedSpawn.size(); i += 3) {
            s.add(Spawn.fixed(o.fixedSpawn.get(i), o.fixedSpawn.get(i + 1), o.fixedSpawn.get(i + 2)));
        }
        return s;
    }

    /**
     * Builds the network the flags describe and loads the checkpoint into it: an architecture or agent count that
     * disagrees with the flags is reported before any image is loaded.
     */
    static void checkFits(NetworkConfig config, java.util.Map<String, TensorData> weights, Path file) {
        if (weights == null) {
            return;
        }
        try (QNetwork probe = QNetwork.create(config, 0, Device.CPU)) {
            probe.loadStateDict(weights);
        } catch (IllegalArgumentException e) {
            throw new BadInputException(file + ": " + e.getMessage());
        }
    }

    static java.util.Map<String, TensorData> weightsOf(Checkpoint c) throws IOException {
        return c.isTrainingCheckpoint() ? c.training().qNetwork() : c.stateDict();
    }

    private Path createRunDir() {
        return RunDirs.create(o.logDir, o.task + o.logComment);
    }

    private ProgressBar bar(String task, long max, String unit) {
        return org.cmarl.engine.ui.ProgressBars.create(task, max, unit, out);
    }

    /** Parses a precision flag; {@code auto} says what it chose, in one line. */
    private Precision precision(String flag, String value, Device device) {
        Precision.Choice c;
        try {
            c = Precision.choose(value, device, Precision.cpuFlags());
        } catch (IllegalArgumentException e) {
            throw new BadInputException(flag + " " + value + " is not one of fp32, bf16, auto");
        }
        if (c.reason() != null) {
            out.println(flag.substring(2) + " " + c.reason().substring("precision ".length()));
        }
        return c.precision();
    }

    private int evaluate(Mode mode, NetworkConfig netConfig, Device device, Precision precision, long seed, Path runDir,
                         List<EvalImage> images, List<Spawn> spawns, java.util.Map<String, TensorData> weights)
            throws IOException {
        int batch = o.batchEpisodes != null ? o.batchEpisodes : device == Device.CUDA ? 32 : 4;
        if (batch < 1) {
            throw new BadInputException("--batch_episodes " + batch + " must be at least 1");
        }
        int total = images.size() * spawns.size();
        long start = System.nanoTime();
        List<EpisodeResult> results;
        String timeReport;
        try (QNetwork net = QNetwork.create(netConfig, seed, device);
             NetworkQFunction q = new NetworkQFunction(net, Math.min(batch, total));
             ProgressBar bar = bar(o.task.name(), total, " episodes");
             EpisodeGifRecorder gifs = o.saveGif ? new EpisodeGifRecorder(runDir.resolve("gifs")) : null) {
            net.loadStateDict(weights);
            net.setPrecision(precision);
            Evaluator evaluator = new Evaluator(q, mode, o.stepsPerEpisode);
            results = evaluator.run(images, spawns, new SplittableRandom(seed), r -> bar.step(), gifs);
            timeReport = evaluator.timeReport();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        Path csv = runDir.resolve("results.csv");
        ResultsCsv.write(csv, results, images.size());
        long steps = results.stream().mapToLong(EpisodeResult::steps).sum();
        out.printf(Locale.ROOT, "%d episodes, %d steps in %.1f s (%.1f steps/s); evaluation loop %s%n", total, steps,
                seconds, steps / seconds, timeReport);
        if (mode == Mode.EVAL) {
            out.println(DistanceSummary.of(results).describe());
        }
        out.println("results: " + csv);
        if (o.saveGif) {
            out.println("GIFs: " + runDir.resolve("gifs"));
        }
        return 0;
    }

    private int train(TrainConfig config, List<EvalImage> images, List<EvalImage> validation,
                      java.util.Map<String, TensorData> weights, Checkpoint resume, Precision acting,
                      Precision learning) throws IOException {
        Path runDir = config.runDir();
        try (TrainingLog log = new TrainingLog(runDir, commandLine, config, out, true);
             Trainer trainer = new Trainer(config, images, validation, log)) {
            trainer.online().setPrecision(acting);
            trainer.online().setTrainingPrecision(learning);
            trainer.target().setTrainingPrecision(learning);
            if (resume != null) {
                TrainingCheckpoints.resume(resume, trainer);
                log.note("resumed from " + o.resume + " at episode " + trainer.state().episode() + ", epoch "
                        + trainer.state().epoch());
            } else if (weights != null) {
                trainer.online().loadStateDict(weights);
                trainer.target().copyWeightsFrom(trainer.online());
            }
            boolean finished;
            try (StopOnSignal hook = new StopOnSignal(trainer, StopOnSignal.DEFAULT_WAIT_SECONDS, out)) {
                finished = trainer.train();
                hook.trainingReturned();
            }
            // console only: logs.txt stays free of times so that two seeded runs write identical logs
            out.println(trainer.phaseTimes().summary());
            if (!finished) {
                return EXIT_INTERRUPTED;
            }
            log.note("done: " + trainer.state().episode() + " episodes");
            out.println("run folder: " + runDir);
        }
        return 0;
    }

    /** Exit code of a training run stopped by SIGINT / SIGTERM (after saving its checkpoint): 128 + SIGINT. */
    public static final int EXIT_INTERRUPTED = 130;
}
