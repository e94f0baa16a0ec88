package org.cmarl.engine.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.cmarl.engine.dataset.ImageDataset;
import org.cmarl.engine.dataset.LabelledImage;
import org.cmarl.engine.dist.DistBackend;
import org.cmarl.engine.dist.LaunchEnvironment;
import org.cmarl.engine.env.Mode;
import org.cmarl.engine.env.Spawn;
import org.cmarl.engine.io.Checkpoint;
import org.cmarl.engine.io.PtReader;
import org.cmarl.engine.io.TensorData;
import org.cmarl.engine.nn.Device;
import org.cmarl.engine.nn.DistributedGroup;
import org.cmarl.engine.nn.NetworkConfig;
import org.cmarl.engine.nn.Precision;
import org.cmarl.engine.nn.TeamReward;
import org.cmarl.engine.nn.Torch;
import org.cmarl.engine.train.TrainConfig;

/**
 * {@code --task train|eval|play}: the published DQN.py command line on the engine. Everything the user gave is
 * checked before any work starts, in this order: the flags ({@link RunChecks}), the checkpoints against the flags,
 * the file lists, every image and landmark; the run folder is created only when all of it is usable. The work itself
 * is a {@link TrainingRun} or an {@link EvaluationRun}.
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
        Mode mode = o.task;
        // --- check everything first: flags, then checkpoints, then every image and landmark; the run folder is
        // created only when all of it is usable, so a rejected command leaves --log_dir as it was
        List<Spawn> spawns = RunChecks.flags(o);
        int agents = o.landmarks.size();
        NetworkConfig netConfig = FlagChecks.network(o.modelName, agents, o.attention,
                o.teamReward == TeamReward.ATTENTION);
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
            try {
                // cuda:LOCAL_RANK under torchrun / rlm launch / srun, before any tensor exists
                int index = Device.selectCudaDevice(launch.localRank());
                if (launch.isDistributed()) {
                    out.println("rank " + launch.rank() + " uses cuda:" + index);
                }
            } catch (IllegalArgumentException e) {
                throw new BadInputException(e.getMessage());
            }
            Torch.configureCuda(o.tf32);
        }
        Precision precision = RunChecks.precision("--precision", o.precision, device, out);
        Precision trainPrecision = mode == Mode.TRAIN
                ? RunChecks.precision("--train_precision", o.trainPrecision, device, out) : Precision.FP32;
        // settings checked against each other (and the replay memory against its budget) before anything is read,
        // and before any rank waits for the others
        TrainConfig trainConfig = mode == Mode.TRAIN ? TrainingRun.config(o, netConfig, device, seed) : null;
        // Checkpoint read and checked against the flags before images are loaded (fast failure).
        // in a multi-process run rank 0 alone reads --load / --resume and broadcasts what it read
        Map<String, TensorData> weights = o.load == null || !launch.isRankZero() ? null
                : CheckpointChecks.weightsOf(PtReader.read(o.load));
        Checkpoint resume = o.resume == null || !launch.isRankZero() ? null : PtReader.read(o.resume);
        if (resume != null && !resume.isTrainingCheckpoint()) {
            throw new BadInputException("--resume " + o.resume + " is a bare state_dict, expected a training "
                    + "checkpoint (latest_checkpoint.pt); use --load for weights");
        }
        if (weights != null) {
            CheckpointChecks.finite(weights, o.load, "--load");
        }
        CheckpointChecks.checkFits(netConfig, weights, o.load);
        CheckpointChecks.checkFits(netConfig, resume == null ? null : resume.training().qNetwork(), o.resume);
        if (resume != null) {
            CheckpointChecks.resumable(resume, netConfig, trainConfig);
        }
        // the lists are read and paired (every file checked to exist) before any image is loaded
        List<Path> imageFiles = new ArrayList<>();
        List<Path> landmarkFiles = new ArrayList<>();
        ImageDataset.list(o.files, mode == Mode.PLAY, imageFiles, landmarkFiles);
        List<Path> valImages = new ArrayList<>();
        List<Path> valLandmarks = new ArrayList<>();
        if (!o.valFiles.isEmpty()) {
            ImageDataset.list(o.valFiles, false, valImages, valLandmarks);
        }
        if (o.threads != null) {
            Torch.setThreads(o.threads);
        } else {
            Torch.setDefaultThreads();
        }
        try (DistributedGroup group = launch.isDistributed() ? DistributedGroup.connect(launch, device) : null) {
            if (group != null) {
                seed = sharedSeed(group, seed);
                if (trainConfig != null) {
                    trainConfig = trainConfig.toBuilder().seed(seed).build();
                }
            }
            // --- load every image and landmark (a broken image, a landmark id beyond its file or a landmark
            // outside its image is reported here), then create the run folder
            try (ImageDataset imageSet = ImageDataset.load(imageFiles, landmarkFiles, out)) {
                List<LabelledImage> images = imageSet.images(o.fileType,
                        imageSet.hasLandmarks() ? o.landmarks : null);
                try (ImageDataset validationSet = ImageDataset.load(valImages, valLandmarks, out)) {
                    List<LabelledImage> validation = validationSet.size() == 0 ? List.of()
                            : validationSet.images(o.fileType, o.landmarks);
                    Path runDir = runFolder(mode, group);
                    if (mode == Mode.TRAIN) {
                        return new TrainingRun(o, out, commandLine).run(runDir == null ? trainConfig
                                        : trainConfig.withRunDir(runDir), images, validation, weights, resume,
                                group, precision, trainPrecision);
                    }
                    return new EvaluationRun(o, out, commandLine).run(mode, netConfig, device, precision, seed,
                            runDir, images, spawns, weights, group);
                }
            }
        }
    }

    /** Rank 0's seed on every rank (each rank then derives its own streams from it and its rank). */
    private static long sharedSeed(DistributedGroup group, long seed) {
        double[] halves = {seed >>> 32, seed & 0xFFFFFFFFL};
        group.broadcastFromRankZero(halves);
        return ((long) halves[0] << 32) | (long) halves[1];
    }

    /**
     * The run folder under {@code --log_dir}, created by rank 0 alone; as published, nothing is saved without
     * {@code --write} (GIFs asked for with {@code --saveGif} still get a folder). Null when there is none.
     */
    private Path runFolder(Mode mode, DistributedGroup group) {
        boolean writer = group == null || group.rank() == 0;
        Path runDir = writer && (o.write || o.saveGif) ? RunDirs.create(o.logDir, EnumFlags.task(mode) + o.logComment)
                : null;
        if (writer && !o.write) {
            out.println("note: without --write nothing is saved (as in the published DQN.py)" + (o.saveGif
                    ? " except the GIFs (" + runDir + ")" : "") + "; add --write to keep " + (mode == Mode.TRAIN
                    ? "logs.txt, TensorBoard events and the checkpoints" : "results.csv"));
        }
        return runDir;
    }

    /**
     * Exit code of a training run stopped by SIGINT (Ctrl-C) after saving its checkpoint: 128 + 2, the shell's
     * convention. The JVM's signal handler exits with 128 + the signal's number once the shutdown hook returns.
     */
    public static final int EXIT_INTERRUPTED = 130;
    /** Exit code of a training run stopped by SIGTERM after saving its checkpoint: 128 + 15. */
    public static final int EXIT_TERMINATED = 143;
}
