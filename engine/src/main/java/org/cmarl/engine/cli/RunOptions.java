package org.cmarl.engine.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.cmarl.engine.env.Mode;
import org.cmarl.engine.nn.Architecture;
import org.cmarl.engine.nn.TeamReward;
import org.cmarl.engine.train.TrainConfig;
import org.cmarl.engine.volume.FileType;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;

/**
 * Every flag of the published {@code DQN.py}, unchanged (SPEC.md section 6), plus the engine's own
 * ({@code --device}, {@code --threads}, {@code --batch_episodes}). Defaults are the published ones, spelled as
 * published ("1e5"); they equal {@link org.cmarl.engine.train.TrainConfig#defaults()} (checked by CliDefaultsTest).
 * The enum flags take the published spellings and hold the domain enums ({@link EnumFlags}).
 * A published command line works by replacing {@code python DQN.py} with {@code ./rlm}.
 */
public final class RunOptions {
    @Option(names = "--task", description = "What to do: ${COMPLETION-CANDIDATES}. Default: ${DEFAULT-VALUE}.",
            defaultValue = "train", converter = EnumFlags.Tasks.class, completionCandidates = EnumFlags.Tasks.class)
    public Mode task;

    @Option(names = "--load", paramLabel = "FILE", description = "Weights to start from (a .pt state_dict or training checkpoint).")
    public Path load;

    @Option(names = "--resume", paramLabel = "FILE",
            description = "Training checkpoint to continue from (latest_checkpoint.pt of an earlier run).")
    public Path resume;

    @Option(names = "--files", arity = "1..2", paramLabel = "LIST",
            description = "File lists: images, then landmarks (landmarks are not needed for play).")
    public List<Path> files = new ArrayList<>();

    @Option(names = "--val_files", arity = "1..2", paramLabel = "LIST",
            description = "Validation file lists (images, landmarks), evaluated after every training epoch.")
    public List<Path> valFiles = new ArrayList<>();

    @Option(names = "--file_type", description = "Landmark file format: ${COMPLETION-CANDIDATES}. Default: ${DEFAULT-VALUE}.",
            defaultValue = "brain", converter = EnumFlags.FileTypes.class,
            completionCandidates = EnumFlags.FileTypes.class)
    public FileType fileType;

    @Option(names = "--landmarks", arity = "0..*", paramLabel = "ID",
            description = "Landmark id (row of the landmark file) per agent; repeats allowed. Default: 1 (one agent, as published).")
    public List<Integer> landmarks = new ArrayList<>(List.of(1));

    @Option(names = "--model_name", description = "Network: ${COMPLETION-CANDIDATES}. Default: ${DEFAULT-VALUE}.",
            defaultValue = "CommNet", converter = EnumFlags.ModelNames.class,
            completionCandidates = EnumFlags.ModelNames.class)
    public Architecture modelName;

    @Option(names = "--batch_size", description = "Mini-batch size of an update. Default: ${DEFAULT-VALUE}.",
            defaultValue = "64", converter = IntegralNumber.class)
    public int batchSize;

    @Option(names = "--memory_size", description = "Replay memory capacity in transitions. Default: ${DEFAULT-VALUE}.",
            defaultValue = "1e5", converter = IntegralNumber.class)
    public int memorySize;

    @Option(names = "--init_memory_size", description = "Random-policy transitions before learning starts. Default: ${DEFAULT-VALUE}.",
            defaultValue = "3e4", converter = IntegralNumber.class)
    public int initMemorySize;

    @Option(names = "--discount", description = "Discount factor gamma. Default: ${DEFAULT-VALUE}.", defaultValue = "0.9")
    public double discount;

    @Option(names = "--lr", description = "Adam learning rate. Default: ${DEFAULT-VALUE}.", defaultValue = "1e-3")
    public double lr;

    @Option(names = "--scheduler_gamma", description = "StepLR factor. Default: ${DEFAULT-VALUE}.", defaultValue = "0.5")
    public double schedulerGamma;

    @Option(names = "--scheduler_step_size", description = "StepLR period in epochs. Default: ${DEFAULT-VALUE}.",
            defaultValue = "100", converter = IntegralNumber.class)
    public int schedulerStepSize;

    @Option(names = "--max_episodes", description = "Training episodes. Default: ${DEFAULT-VALUE}.", defaultValue = "1e5",
            converter = IntegralNumber.class)
    public int maxEpisodes;

    @Option(names = "--steps_per_episode", description = "Step cap of an episode. Default: ${DEFAULT-VALUE}.",
            defaultValue = "200", converter = IntegralNumber.class)
    public int stepsPerEpisode;

    @Option(names = "--target_update_freq", description = "Copy the online network to the target every this many episodes x images. Default: ${DEFAULT-VALUE}.",
            defaultValue = "10", converter = IntegralNumber.class)
    public int targetUpdateFreq;

    @Option(names = "--save_freq", paramLabel = "STEPS",
            description = "Training: also save latest_dqn.pt and latest_checkpoint.pt within an epoch, at the end of the first episode after every STEPS agent steps (0: at epoch ends only). Default: ${DEFAULT-VALUE}.",
            defaultValue = "1000", converter = IntegralNumber.class)
    public int saveFreq;

    @Option(names = "--delta", description = "Epsilon decrease per episode. Default: ${DEFAULT-VALUE}.", defaultValue = "1e-4")
    public double delta;

    @Option(names = "--viz", description = "Published on-screen viewer delay; only 0 (no viewer) is accepted: this engine is headless, use --saveGif. Default: ${DEFAULT-VALUE}.",
            defaultValue = "0")
    public double viz;

    @Option(names = "--saveGif", description = "Write an animated GIF of every evaluation/play episode to the run folder.")
    public boolean saveGif;

    @Option(names = "--saveVideo", description = "Published flag, refused: this engine writes GIFs (--saveGif) instead of videos.")
    public boolean saveVideo;

    @Option(names = "--multiscale", description = "Train with the multiscale search (evaluation always uses it).")
    public boolean multiscale;

    @Option(names = "--write", description = "Save the run in a folder under --log_dir: logs.txt, TensorBoard, progress.csv, checkpoints (train), results.csv (eval, play). As published, nothing is saved without it.")
    public boolean write;

    @Option(names = "--log_dir", description = "Folder for run folders (logs, checkpoints, results). Default: ${DEFAULT-VALUE}.",
            defaultValue = "runs")
    public Path logDir;

    @Option(names = "--log_comment", description = "Suffix of the run folder's name.", defaultValue = "")
    public String logComment;

    @Option(names = "--team_reward", description = "Team reward: ${COMPLETION-CANDIDATES} (default: none).",
            converter = EnumFlags.TeamRewards.class, completionCandidates = EnumFlags.TeamRewards.class)
    public TeamReward teamReward = TeamReward.NONE;

    @Option(names = "--attention", description = "CommNet communication with learnable attention.")
    public boolean attention;

    @Option(names = "--train_freq", description = "Agent steps between two updates. Default: ${DEFAULT-VALUE}.",
            defaultValue = "1", converter = IntegralNumber.class)
    public int trainFreq;

    @Option(names = "--seed", description = "Seed of every random choice (spawns, epsilon, sampling, initial weights).")
    public Long seed;

    @Option(names = "--fixed_spawn", arity = "0..*", paramLabel = "F",
            description = "Spawn fractions (x y z) per run, in [0, 1]; several triples make several runs over all images.")
    public List<Double> fixedSpawn = new ArrayList<>();

    @Option(names = "--device", description = "cpu, cuda or auto (CUDA when available). Default: ${DEFAULT-VALUE}.",
            defaultValue = "auto")
    public String device;

    @Option(names = "--threads", description = "CPU threads for libtorch (default: all cores).")
    public Integer threads;

    @Option(names = "--tf32", description = "CUDA only: let cuBLAS and cuDNN use TF32 (faster on Ampere and newer, "
            + "10-bit mantissa products). Default off: CUDA results stay within float32 rounding of the CPU's.")
    public boolean tf32;

    @Option(names = "--num_envs", paramLabel = "N",
            description = "Training: environments stepped in lockstep, each on its own image and episode, with one batched forward pass per step for all of them (engine extension; default 1 = the published loop, max " + TrainConfig.MAX_NUM_ENVS + ").",
            defaultValue = "1", converter = IntegralNumber.class)
    public int numEnvs;

    @Option(names = "--batch_episodes", description = "Evaluation episodes advanced together in one batched forward pass (default: 1 on CPU, 32 on CUDA).")
    public Integer batchEpisodes;

    @Option(names = "--recompute_repeats", description = "Eval/play: run the network at every step, as the published evaluation does, even for an observation already seen in the run (engine extension; by default a repeated observation reuses its earlier Q-values: the same results, fewer forward passes).")
    public boolean recomputeRepeats;

    @Option(names = "--precision", paramLabel = "P",
            description = "Arithmetic of acting, evaluation and play: fp32 (published, default), bf16 (bfloat16 convolutions: faster on CPUs with AVX512_BF16 or AMX and on CUDA, results may differ slightly), auto (bf16 where the hardware runs it natively).",
            defaultValue = "fp32")
    public String precision;

    @Option(names = "--train_precision", paramLabel = "P",
            description = "Arithmetic of the training updates' forward and backward: fp32 (default) or bf16 (autocast; weights, Adam state and checkpoints stay float32), or auto.",
            defaultValue = "fp32")
    public String trainPrecision;

    @Option(names = "--micro_batch", paramLabel = "N",
            description = "Training: observations per forward/backward chunk of one update; the gradients are those of the whole --batch_size, smaller chunks keep fewer activations in memory (default 0 = automatic: 64 / agents).")
    public int microBatch;

    @Option(names = "--dist_backend", paramLabel = "B",
            description = "Multi-process runs (rlm launch, torchrun, srun): c10d backend auto, gloo or nccl (auto: NCCL when this rank has a CUDA device, else Gloo). Default: ${DEFAULT-VALUE}.",
            defaultValue = "auto")
    public String distBackend;

    @Option(names = "--dist_timeout", paramLabel = "SECONDS",
            description = "Multi-process runs: how long a rank waits for the others (rendezvous, every all-reduce) before it stops with an error naming the missing rank. Default: ${DEFAULT-VALUE}.",
            defaultValue = "600", converter = IntegralNumber.class)
    public int distTimeout;

    /** Accepts the published float spellings of counts ("1e5") when they are whole numbers. */
    public static final class IntegralNumber implements ITypeConverter<Integer> {
        @Override
        public Integer convert(String value) {
            double d;
            try {
                d = Double.parseDouble(value);
            } catch (NumberFormatException e) {
                throw new picocli.CommandLine.TypeConversionException("'" + value + "' is not a number");
            }
            if (d != Math.rint(d) || d < 0 || d > Integer.MAX_VALUE) {
                throw new picocli.CommandLine.TypeConversionException("'" + value
                        + "' is not a whole number from 0 to " + Integer.MAX_VALUE);
            }
            return (int) d;
        }
    }
}
