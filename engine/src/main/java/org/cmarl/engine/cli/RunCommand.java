package org.cmarl.engine.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

import me.tongfei.progressbar.ProgressBar;
import org.cmarl.engine.dist.DistBackend;
import org.cmarl.engine.dist.LaunchEnvironment;
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
import org.cmarl.engine.nn.DistributedGroup;
import org.cmarl.engine.nn.NetworkConfig;
import org.cmarl.engine.nn.Precision;
import org.cmarl.engine.nn.QNetwork;
import org.cmarl.engine.nn.TeamReward;
import org.cmarl.engine.nn.Torch;
import org.cmarl.engine.report.RunReport;
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
        // --- check everything first: flags, then checkpoints, then every image and landmark; the run folder is
        // created only when all of it is usable, so a rejected command leaves --log_dir as it was
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
        FlagChecks.landmarkIds("--landmarks", o.landmarks);
        List<Spawn> spawns = spawns();
        if (mode != Mode.TRAIN && o.resume != null) {
            throw new BadInputException("--resume continues a training run (--task train); --task " + o.task
                    + " takes the network to evaluate with --load");
        }
        if (mode != Mode.TRAIN && o.load == null) {
            throw new BadInputException("--task " + o.task + " needs --load CHECKPOINT (the network to evaluate)");
        }
        FlagChecks.common(o.threads, o.batchEpisodes, o.stepsPerEpisode);
        if (o.write || o.saveGif) {
            RunDirs.checkCreatable(o.logDir);
        }
        // no flag is accepted and then ignored: what the engine cannot do is refused before any work starts
        if (o.viz != 0) {
            throw new BadInputException("--viz " + o.viz + ": this engine has no on-screen viewer; drop --viz (or "
                    + "give 0) and use --saveGif for a GIF of every evaluation episode");
        }
        if (o.saveVideo) {
            throw new BadInputException("--saveVideo: this engine writes no videos; use --saveGif for a GIF of every "
                    + "evaluation episode");
        }
        if (o.saveGif && mode == Mode.TRAIN) {
            throw new BadInputException("--saveGif records --task eval and play episodes; training has none to record "
                    + "(evaluate latest_dqn.pt with --task eval --saveGif)");
        }
        if (o.resume != null && mode != Mode.TRAIN) {
            throw new BadInputException("--resume continues a training run; --task " + o.task + " takes the "
                    + "weights with --load");
        }
        int agents = o.landmarks.size();
        Architecture arch = Architecture.parse(o.modelName.name());
        TeamReward teamReward = o.teamReward == null ? TeamReward.NONE : TeamReward.parse(o.teamReward.name());
        NetworkConfig netConfig = FlagChecks.network(arch, agents, o.attention, teamReward == TeamReward.ATTENTION);
        // where this process sits in a multi-process run (launcher variables); alone when none is set
        LaunchEnvironment launch;
        try {
            launch = LaunchEnvironment.from(System.getenv(), DistBackend.parse(o.distBackend), o.distTimeout);
        } catch (IllegalArgumentException e) {
            // the launcher's variables and the --dist_* flags are the user's input: they name the value and the range
            throw new BadInputException(e.getMessage());
        }
        long seed = o.seed == null ? System.nanoTime() : o.seed;
        Device device = FlagChecks.device(o.device, out);
        if (device == Device.CUDA) {
            Torch.configureCuda(o.tf32);
        }
        Precision precision = precision("--precision", o.precision, device);
        Precision trainPrecision = mode == Mode.TRAIN ? precision("--train_precision", o.trainPrecision, device)
                : Precision.FP32;
        // settings checked against each other (and the replay memory against its budget) before anything is read,
        // and before any rank waits for the others
        TrainConfig trainConfig = mode == Mode.TRAIN ? trainConfig(netConfig, teamReward, device, seed) : null;
        // Checkpoint read and checked against the flags before images are loaded (fast failure).
        // in a multi-process run rank 0 alone reads --load / --resume and broadcasts what it read
        java.util.Map<String, TensorData> weights = o.load == null || !launch.isRankZero() ? null
                : weightsOf(PtReader.read(o.load));
        Checkpoint resume = o.resume == null || !launch.isRankZero() ? null : PtReader.read(o.resume);
        if (resume != null && !resume.isTrainingCheckpoint()) {
            throw new BadInputException("--resume " + o.resume + " is a bare state_dict, expected a training "
                    + "checkpoint (latest_checkpoint.pt); use --load for weights");
        }
        if (weights != null) {
            CheckpointChecks.finite(weights, o.load, "--load");
        }
        checkFits(netConfig, weights, o.load);
        checkFits(netConfig, resume == null ? null : resume.training().qNetwork(), o.resume);
        if (resume != null) {
            CheckpointChecks.resumable(resume, netConfig, trainConfig);
        }
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
        if (o.threads != null) {
            Torch.setThreads(o.threads);
        }
        try (DistributedGroup group = launch.isDistributed() ? DistributedGroup.connect(launch, device) : null) {
            if (group != null) {
                seed = sharedSeed(group, seed);
            }
            return run(mode, netConfig, device, precision, trainPrecision, seed, fileType, imageFiles, landmarkFiles,
                    valImages, valLandmarks, spawns, weights, resume, group);
        }
    }

    /** Rank 0's seed on every rank (each rank then derives its own streams from it and its rank). */
    private static long sharedSeed(DistributedGroup group, long seed) {
        double[] halves = {seed >>> 32, seed & 0xFFFFFFFFL};
        group.broadcastFromRankZero(halves);
        return ((long) halves[0] << 32) | (long) halves[1];
    }

    private int run(Mode mode, NetworkConfig netConfig, Device device, Precision precision, Precision trainPrecision,
                    long seed, FileType fileType,
                    List<Path> imageFiles, List<Path> landmarkFiles, List<Path> valImages, List<Path> valLandmarks,
                    List<Spawn> spawns, java.util.Map<String, TensorData> weights, Checkpoint resume,
                    DistributedGroup group) throws IOException {
        TeamReward teamReward = o.teamReward == null ? TeamReward.NONE : TeamReward.parse(o.teamReward.name());
        TrainConfig trainConfig = mode == Mode.TRAIN ? trainConfig(netConfig, teamReward, device, seed) : null;

        // --- load every image and landmark (a broken image, a landmark id beyond its file or a landmark outside its
        // image is reported here), then create the run folder
        ImageSet imageSet = ImageSet.load(imageFiles, landmarkFiles, out);
        ImageSet validationSet = null;
        try {
            List<EvalImage> images = imageSet.images(fileType, imageSet.hasLandmarks() ? o.landmarks : null);
            validationSet = ImageSet.load(valImages, valLandmarks, out);
            List<EvalImage> validation = validationSet.size() == 0 ? List.of()
                    : validationSet.images(fileType, o.landmarks);
            // rank 0 alone creates the run folder and writes files; as published, nothing is saved without --write
            // (GIFs asked for with --saveGif still get a folder)
            boolean writer = group == null || group.rank() == 0;
            Path runDir = writer && (o.write || o.saveGif) ? createRunDir() : null;
            if (writer && !o.write) {
                out.println("note: without --write nothing is saved (as in the published DQN.py)" + (o.saveGif
                        ? " except the GIFs (" + runDir + ")" : "") + "; add --write to keep " + (mode == Mode.TRAIN
                        ? "logs.txt, TensorBoard events and the checkpoints" : "results.csv"));
            }
            if (mode == Mode.TRAIN) {
                return train(runDir == null ? trainConfig : trainConfig.withRunDir(runDir), images, validation,
                        weights, resume, group, precision, trainPrecision);
            }
            return evaluate(mode, netConfig, device, precision, seed, runDir, images, spawns, weights, group);
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
                    o.multiscale, o.trainFreq, seed, device, o.microBatch, null, o.numEnvs,
                    o.batchEpisodes == null ? 0 : o.batchEpisodes);
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
            s.add(FlagChecks.spawn(o.fixedSpawn, i));
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

    private int evaluate(Mode mode, NetworkConfig netConfig, Device device, Precision precision, long seed,
                         Path runDir, List<EvalImage> images, List<Spawn> spawns,
                         java.util.Map<String, TensorData> weights, DistributedGroup group) throws IOException {
        int batch = o.batchEpisodes != null ? o.batchEpisodes : device.defaultBatchEpisodes();
        int total = images.size() * spawns.size();
        if (group != null && o.saveGif) {
            throw new BadInputException("--saveGif is not available in a multi-process run (" + group.worldSize()
                    + " ranks): evaluate with one process to record GIFs");
        }
        long start = System.nanoTime();
        List<EpisodeResult> results;
        String timeReport;
        // rows appended as episodes finish (an interrupted run keeps them); rewritten in episode order at the end
        Path csv = o.write && runDir != null ? runDir.resolve("results.csv") : null;
        try (QNetwork net = QNetwork.create(netConfig, seed, device);
             NetworkQFunction q = new NetworkQFunction(net, Math.min(batch, total));
             EpisodeGifRecorder gifs = o.saveGif
                     ? new EpisodeGifRecorder(runDir.resolve("gifs")).numberedAsResults(images.size()) : null;
             ResultsCsv rows = csv == null ? null : ResultsCsv.create(csv, netConfig.agents(), images.size())) {
            Evaluator evaluator = new Evaluator(q, mode, o.stepsPerEpisode);
            if (group == null) {
                net.loadStateDict(weights);
            } else {
                // rank 0 read the checkpoint; every rank plays its share: episodes rank, rank + world, ...
                if (weights != null) {
                    net.loadStateDict(weights);
                }
                group.broadcastFromRankZero(net);
                evaluator.shard(group.rank(), group.worldSize());
            }
            net.setPrecision(precision);
            try (ProgressBar bar = bar(o.task.name(), evaluator.shareOf(total), " episodes")) {
                results = evaluator.run(images, spawns, new SplittableRandom(seed), r -> {
                    if (rows != null) {
                        appendRow(rows, r);
                    }
                    bar.step();
                }, gifs);
            }
            timeReport = evaluator.timeReport();
        }
        if (group != null) {
            results = gather(group, results);
            if (results == null) {
                out.printf(Locale.ROOT, "rank %d: %d episodes evaluated, results sent to rank 0%n", group.rank(),
                        evaluator(total, group));
                return 0;
            }
        }
        if (csv != null) {
            ResultsCsv.write(csv, netConfig.agents(), results, images.size());
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        long steps = results.stream().mapToLong(EpisodeResult::steps).sum();
        out.printf(Locale.ROOT, "%d episodes, %d steps in %.1f s (%.1f steps/s); evaluation loop %s%n", total, steps,
                seconds, steps / seconds, timeReport);
        String summary = mode == Mode.EVAL ? DistanceSummary.of(results).describe() : null;
        if (summary != null) {
            out.println(summary);
        }
        if (csv != null) {
            out.println("results: " + csv);
            // as the published logger: the command and the summary in logs.txt; then the report of the folder
            Files.writeString(runDir.resolve("logs.txt"), "command: " + commandLine + "\n"
                    + (summary == null ? "" : summary + "\n"), java.nio.charset.StandardCharsets.UTF_8);
            out.println("report: " + RunReport.write(runDir));
        }
        if (o.saveGif) {
            out.println("GIFs: " + runDir.resolve("gifs"));
        }
        return 0;
    }

    /**
     * Rank 0: every rank's results in queue order (run-major, then image), as one process would list them.
     * Other ranks: publish theirs and return null. Through the run's c10d store, one record per rank.
     */
    private static List<EpisodeResult> gather(DistributedGroup group, List<EpisodeResult> mine) {
        group.publish("eval/" + group.rank(), org.cmarl.engine.eval.EpisodeResultCodec.encode(mine));
        if (group.rank() != 0) {
            group.barrier(); // rank 0 (the store's host) stays until every record is read
            return null;
        }
        List<EpisodeResult> all = new ArrayList<>(mine);
        for (int r = 1; r < group.worldSize(); r++) {
            all.addAll(org.cmarl.engine.eval.EpisodeResultCodec.decode(group.fetch("eval/" + r)));
        }
        group.barrier();
        all.sort(java.util.Comparator.comparingInt(EpisodeResult::run).thenComparingInt(EpisodeResult::image));
        return all;
    }

    private static int evaluator(int total, DistributedGroup group) {
        return total <= group.rank() ? 0 : (total - group.rank() + group.worldSize() - 1) / group.worldSize();
    }

    /** One results.csv row per finished episode, flushed at once (an interrupted evaluation keeps its rows). */
    static void appendRow(ResultsCsv rows, EpisodeResult r) {
        try {
            rows.append(r);
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + rows.file() + ": " + e.getMessage(), e);
        }
    }

    private int train(TrainConfig config, List<EvalImage> images, List<EvalImage> validation,
                      java.util.Map<String, TensorData> weights, Checkpoint resume, DistributedGroup group,
                      Precision acting, Precision learning) throws IOException {
        Path runDir = config.runDir();
        boolean writer = group == null || group.rank() == 0;
        try (TrainingLog log = writer ? new TrainingLog(runDir, commandLine, config, out, true)
                : TrainingLog.silent(config);
             Trainer trainer = new Trainer(config, images, validation, log)) {
            trainer.saveEvery(o.saveFreq);
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
            if (group != null) {
                trainer.joinGroup(group);
                log.note(String.format(Locale.ROOT, "data-parallel: %d ranks (c10d %s), global batch %d x %d = %d"
                                + " transitions per update; episodes, epochs, epsilon, target syncs and the LR"
                                + " schedule count over all ranks", group.worldSize(), group.backendName(),
                        group.worldSize(), config.batchSize(), group.worldSize() * config.batchSize()));
            }
            boolean finished;
            try (StopOnSignal hook = new StopOnSignal(trainer, StopOnSignal.DEFAULT_WAIT_SECONDS, out)) {
                finished = trainer.train();
                hook.trainingReturned();
            }
            // console only: logs.txt stays free of times so that two seeded runs write identical logs
            out.println(trainer.phaseTimes().summary());
            if (runDir != null) {
                out.println("report: " + RunReport.write(runDir));
            }
            if (!finished) {
                return EXIT_INTERRUPTED;
            }
            if (group != null) {
                group.barrier(); // no rank leaves (closing its connections) while another still works
            }
            log.note("done: " + trainer.state().episode() + " episodes");
            if (runDir != null) {
                out.println("run folder: " + runDir);
            }
        }
        return 0;
    }

    /**
     * Exit code of a training run stopped by SIGINT (Ctrl-C) after saving its checkpoint: 128 + 2, the shell's
     * convention. The JVM's signal handler exits with 128 + the signal's number once the shutdown hook returns.
     */
    public static final int EXIT_INTERRUPTED = 130;
    /** Exit code of a training run stopped by SIGTERM after saving its checkpoint: 128 + 15. */
    public static final int EXIT_TERMINATED = 143;
}
