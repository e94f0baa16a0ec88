package org.cmarl.engine.train;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

import org.cmarl.engine.env.EnvConfig;
import org.cmarl.engine.nn.Architecture;
import org.cmarl.engine.nn.Device;
import org.cmarl.engine.nn.DqnLearner;
import org.cmarl.engine.nn.TeamReward;
import org.cmarl.engine.observation.ObservationGeometry;
import org.cmarl.engine.replay.ReplayMemory;
import org.cmarl.engine.replay.TransitionRecordDescriptor;

/**
 * Every hyperparameter of a training run (SPEC.md sections 5 and 6). Built by name: {@link #builder()} starts from
 * the published defaults ({@link #defaults()}, the one place they are written in code; the command line's
 * {@code defaultValue} texts are checked against them by a test), {@link #toBuilder()} changes some settings of an
 * existing configuration. The full record is written to {@code logs.txt} when a run starts.
 *
 * @param architecture       Network3d or CommNet ({@code --model_name})
 * @param landmarks          landmark id per agent ({@code --landmarks})
 * @param commAttention      CommNet communication with attention ({@code --attention})
 * @param teamReward         NONE, MEAN or ATTENTION ({@code --team_reward})
 * @param batchSize          transitions per update ({@code --batch_size}, 64)
 * @param memorySize         replay capacity in transitions ({@code --memory_size}, 1e5)
 * @param initMemorySize     random-policy transitions before learning ({@code --init_memory_size}, 3e4)
 * @param discount           gamma ({@code --discount}, 0.9)
 * @param learningRate       Adam lr ({@code --lr}, 1e-3)
 * @param schedulerGamma     StepLR factor ({@code --scheduler_gamma}, 0.5)
 * @param schedulerStepSize  StepLR period in epochs ({@code --scheduler_step_size}, 100)
 * @param maxEpisodes        training episodes ({@code --max_episodes}, 1e5)
 * @param stepsPerEpisode    step cap ({@code --steps_per_episode}, 200)
 * @param targetUpdateFreq   target sync when {@code episode * images % this == 0} ({@code --target_update_freq}, 10)
 * @param epsilonDelta       epsilon decrease per episode ({@code --delta}, 1e-4)
 * @param minEpsilon         epsilon floor (0.1, published constant)
 * @param multiscale         train with the multiscale search ({@code --multiscale})
 * @param trainFreq          agent steps between updates ({@code --train_freq}, 1)
 * @param seed               seed of every random choice ({@code --seed})
 * @param device             where the networks run ({@code --device})
 * @param microBatch         observations per forward/backward chunk of an update ({@code --micro_batch}, engine
 *                           extension; 0 = {@link org.cmarl.engine.nn.DqnLearner#defaultMicroBatch}): the
 *                           gradients are those of the whole batch, smaller chunks keep fewer activations in memory
 * @param runDir             the run folder (logs, checkpoints)
 * @param numEnvs            environments stepped in lockstep, one batched forward pass per step for all of them
 *                           ({@code --num_envs}, engine extension, 1 = the published loop; see {@link EnvironmentBatch})
 * @param validationBatchEpisodes validation episodes advanced together ({@code --batch_episodes}; 0 = the device's
 *                           default, {@link Device#defaultBatchEpisodes()})
 */
public record TrainConfig(Architecture architecture, int[] landmarks, boolean commAttention, TeamReward teamReward,
                          int batchSize, int memorySize, int initMemorySize, double discount, double learningRate,
                          double schedulerGamma, int schedulerStepSize, int maxEpisodes, int stepsPerEpisode,
                          int targetUpdateFreq, double epsilonDelta, double minEpsilon, boolean multiscale,
                          int trainFreq, long seed, Device device, int microBatch, Path runDir, int numEnvs,
                          int validationBatchEpisodes) {

    /** The published epsilon floor (a constant of the published trainer, no flag). */
    public static final double MIN_EPSILON = 0.1;

    /**
     * Most {@code --num_envs}: each environment holds, per agent, its float32 frame ring and its row of the acting
     * input (2 x 4 x 45^3 x 4 bytes = 2.9 MB), so 256 environments of 8 agents take 6 GB of host memory, and the
     * acting input of 256 x 8 observations (3 GB) would no longer fit the int-addressed block; the per-observation
     * gain of batching flattens well before (README, "Many environments" and "When to raise N").
     */
    public static final int MAX_NUM_ENVS = 256;

    /** Bytes of one environment's observation, float32 {@code (agents, 4, 45, 45, 45)}. */
    private static final long OBSERVATION_BYTES_PER_AGENT = 4L * 45 * 45 * 45 * Float.BYTES;

    /** The published defaults: CommNet, one agent on landmark 1, seed 0, CPU, no run folder. */
    public static TrainConfig defaults() {
        return builder().build();
    }

    /** A builder holding the published defaults ({@link #defaults()}); {@link Builder#build()} checks the result. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding these settings. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.architecture = architecture;
        b.landmarks = landmarks.clone();
        b.commAttention = commAttention;
        b.teamReward = teamReward;
        b.batchSize = batchSize;
        b.memorySize = memorySize;
        b.initMemorySize = initMemorySize;
        b.discount = discount;
        b.learningRate = learningRate;
        b.schedulerGamma = schedulerGamma;
        b.schedulerStepSize = schedulerStepSize;
        b.maxEpisodes = maxEpisodes;
        b.stepsPerEpisode = stepsPerEpisode;
        b.targetUpdateFreq = targetUpdateFreq;
        b.epsilonDelta = epsilonDelta;
        b.minEpsilon = minEpsilon;
        b.multiscale = multiscale;
        b.trainFreq = trainFreq;
        b.seed = seed;
        b.device = device;
        b.microBatch = microBatch;
        b.runDir = runDir;
        b.numEnvs = numEnvs;
        b.validationBatchEpisodes = validationBatchEpisodes;
        return b;
    }

    /** Named construction of a {@link TrainConfig}; every setting starts at its published default. */
    public static final class Builder {
        private Architecture architecture = Architecture.COMMNET;
        private int[] landmarks = {1};
        private boolean commAttention;
        private TeamReward teamReward = TeamReward.NONE;
        private int batchSize = 64;
        private int memorySize = 100_000;
        private int initMemorySize = 30_000;
        private double discount = 0.9;
        private double learningRate = 1e-3;
        private double schedulerGamma = 0.5;
        private int schedulerStepSize = 100;
        private int maxEpisodes = 100_000;
        private int stepsPerEpisode = EnvConfig.DEFAULT_MAX_STEPS_PER_EPISODE;
        private int targetUpdateFreq = 10;
        private double epsilonDelta = 1e-4;
        private double minEpsilon = MIN_EPSILON;
        private boolean multiscale;
        private int trainFreq = 1;
        private long seed;
        private Device device = Device.CPU;
        private int microBatch;
        private Path runDir;
        private int numEnvs = 1;
        private int validationBatchEpisodes;

        private Builder() {
        }

        public Builder architecture(Architecture v) { architecture = v; return this; }
        public Builder landmarks(int... v) { landmarks = v.clone(); return this; }
        public Builder commAttention(boolean v) { commAttention = v; return this; }
        public Builder teamReward(TeamReward v) { teamReward = v; return this; }
        public Builder batchSize(int v) { batchSize = v; return this; }
        public Builder memorySize(int v) { memorySize = v; return this; }
        public Builder initMemorySize(int v) { initMemorySize = v; return this; }
        public Builder discount(double v) { discount = v; return this; }
        public Builder learningRate(double v) { learningRate = v; return this; }
        public Builder schedulerGamma(double v) { schedulerGamma = v; return this; }
        public Builder schedulerStepSize(int v) { schedulerStepSize = v; return this; }
        public Builder maxEpisodes(int v) { maxEpisodes = v; return this; }
        public Builder stepsPerEpisode(int v) { stepsPerEpisode = v; return this; }
        public Builder targetUpdateFreq(int v) { targetUpdateFreq = v; return this; }
        public Builder epsilonDelta(double v) { epsilonDelta = v; return this; }
        public Builder minEpsilon(double v) { minEpsilon = v; return this; }
        public Builder multiscale(boolean v) { multiscale = v; return this; }
        public Builder trainFreq(int v) { trainFreq = v; return this; }
        public Builder seed(long v) { seed = v; return this; }
        public Builder device(Device v) { device = v; return this; }
        public Builder microBatch(int v) { microBatch = v; return this; }
        public Builder runDir(Path v) { runDir = v; return this; }
        public Builder numEnvs(int v) { numEnvs = v; return this; }
        /** {@code --batch_episodes} for validation; 0 = the device's default. */
        public Builder validationBatchEpisodes(int v) { validationBatchEpisodes = v; return this; }

        /** The configuration; an IllegalArgumentException names the flag, its value and what was expected. */
        public TrainConfig build() {
            return new TrainConfig(architecture, landmarks, commAttention, teamReward, batchSize, memorySize,
                    initMemorySize, discount, learningRate, schedulerGamma, schedulerStepSize, maxEpisodes,
                    stepsPerEpisode, targetUpdateFreq, epsilonDelta, minEpsilon, multiscale, trainFreq, seed, device,
                    microBatch, runDir, numEnvs, validationBatchEpisodes);
        }
    }

    public TrainConfig {
        if (landmarks == null || landmarks.length == 0) {
            throw new IllegalArgumentException("--landmarks: at least one landmark (one agent) is needed");
        }
        landmarks = landmarks.clone();
        positive("--batch_size", batchSize);
        positive("--memory_size", memorySize);
        positive("--max_episodes", maxEpisodes);
        positive("--steps_per_episode", stepsPerEpisode);
        positive("--target_update_freq", targetUpdateFreq);
        positive("--train_freq", trainFreq);
        positive("--scheduler_step_size", schedulerStepSize);
        if (microBatch < 0) {
            throw new IllegalArgumentException("--micro_batch " + microBatch + " must be 0 (automatic) or positive");
        }
        if (initMemorySize > memorySize) {
            throw new IllegalArgumentException("--init_memory_size " + initMemorySize + " is above --memory_size "
                    + memorySize + ": the warm-up could never finish");
        }
        if (batchSize > initMemorySize) {
            throw new IllegalArgumentException("--batch_size " + batchSize + " is larger than the "
                    + initMemorySize + " transitions stored before learning starts (--init_memory_size)");
        }
        if (!(discount >= 0 && discount <= 1)) {
            throw new IllegalArgumentException("--discount " + discount + " is outside [0, 1]");
        }
        if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
            throw new IllegalArgumentException("--lr " + learningRate + " must be a positive number");
        }
        if (!(schedulerGamma > 0 && schedulerGamma <= 1)) {
            throw new IllegalArgumentException("--scheduler_gamma " + schedulerGamma + " is outside (0, 1] (the factor"
                    + " the learning rate is multiplied by every --scheduler_step_size epochs)");
        }
        if (!(epsilonDelta >= 0 && epsilonDelta <= 1)) {
            throw new IllegalArgumentException("--delta " + epsilonDelta + " is outside [0, 1] (the decrease of "
                    + "epsilon, which starts at 1, per episode)");
        }
        if (!(minEpsilon >= 0 && minEpsilon <= 1)) {
            throw new IllegalArgumentException("minimum epsilon " + minEpsilon + " is outside [0, 1]");
        }
        memoryBudget(memorySize, batchSize, landmarks.length);
        if (numEnvs < 1 || numEnvs > MAX_NUM_ENVS) {
            throw new IllegalArgumentException("--num_envs " + numEnvs + " must be 1.." + MAX_NUM_ENVS + " (each "
                    + "environment holds 2.9 MB of frames per agent: its frame ring and its row of the acting input)");
        }
        if ((long) numEnvs * landmarks.length * OBSERVATION_BYTES_PER_AGENT > MEMORY_LIMIT_BYTES) {
            throw new IllegalArgumentException("--num_envs " + numEnvs + " with " + landmarks.length + " agents needs "
                    + (long) numEnvs * landmarks.length * OBSERVATION_BYTES_PER_AGENT + " bytes of acting input, the "
                    + "limit is " + MEMORY_LIMIT_BYTES + ": at most --num_envs "
                    + MEMORY_LIMIT_BYTES / (landmarks.length * OBSERVATION_BYTES_PER_AGENT) + " with " + landmarks.length
                    + " agents");
        }
        if (validationBatchEpisodes < 0) {
            throw new IllegalArgumentException("--batch_episodes " + validationBatchEpisodes + " must be at least 1");
        }
        if (teamReward == TeamReward.ATTENTION && landmarks.length < 2) {
            throw new IllegalArgumentException("--team_reward attention needs at least 2 agents");
        }
    }

    /**
     * The most bytes the replay ring, and separately the sampled batch of frames, may take: both are addressed with
     * int offsets (the ring's records through an Agrona buffer, the batch as one libtorch tensor of a native block).
     */
    public static final long MEMORY_LIMIT_BYTES = Integer.MAX_VALUE;

    /**
     * Checks {@code --memory_size} and {@code --batch_size} against {@link #MEMORY_LIMIT_BYTES} before anything is
     * allocated, in the user's terms: the flag, its value, the bytes it needs and the largest value that fits.
     */
    private static void memoryBudget(int memorySize, int batchSize, int agents) {
        String withAgents = " with " + agents + " agent" + (agents == 1 ? "" : "s");
        int recordBytes = TransitionRecordDescriptor.recordBytes(agents);
        int extraRecords = ObservationGeometry.FRAMES;
        long ringBytes = ((long) memorySize + extraRecords) * recordBytes;
        if (ringBytes > MEMORY_LIMIT_BYTES) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "--memory_size %d needs %d bytes (%.1f GB) of replay memory%s ((%d + %d) transitions x %d bytes);"
                            + " the limit is %d bytes: at most --memory_size %d%s", memorySize, ringBytes,
                    ringBytes / 1e9, withAgents, memorySize, extraRecords, recordBytes, MEMORY_LIMIT_BYTES,
                    MEMORY_LIMIT_BYTES / recordBytes - extraRecords, withAgents));
        }
        long perTransition = ReplayMemory.windowBytes(1, agents);
        long batchBytes = perTransition * batchSize;
        if (batchBytes > MEMORY_LIMIT_BYTES) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "--batch_size %d needs %d bytes (%.1f GB) for the frames of one sampled batch%s (%d bytes per "
                            + "transition); the limit is %d bytes: at most --batch_size %d%s", batchSize, batchBytes,
                    batchBytes / 1e9, withAgents, perTransition, MEMORY_LIMIT_BYTES,
                    MEMORY_LIMIT_BYTES / perTransition, withAgents));
        }
    }

    private static void positive(String flag, int v) {
        if (v < 1) {
            throw new IllegalArgumentException(flag + " " + v + " must be at least 1");
        }
    }

    public int agents() { return landmarks.length; }

    /** {@link #microBatch()} with 0 resolved to the learner's default for this many agents. */
    public int effectiveMicroBatch() {
        return microBatch > 0 ? microBatch
                : DqnLearner.defaultMicroBatch(agents(), batchSize, device);
    }

    @Override
    public int[] landmarks() { return landmarks.clone(); }

    /** The same settings for another run folder (the folder is created only after the settings are checked). */
    public TrainConfig withRunDir(Path dir) {
        return toBuilder().runDir(dir).build();
    }

    /** Validation episodes advanced together: {@code --batch_episodes}, else the device's default. */
    public int effectiveValidationBatch() {
        return validationBatchEpisodes > 0 ? validationBatchEpisodes : device.defaultBatchEpisodes();
    }

    /**
     * One line per setting, for logs.txt (engine extensions left at their defaults add no line, so a run with the
     * default flags writes the lines it always wrote). The run folder is not among them: two runs of the same command write
     * identical logs (reproducibility), and logs.txt lies in the run folder anyway.
     */
    public String describe() {
        return String.join("\n",
                "model_name=" + architecture.cliName(),
                "landmarks=" + Arrays.toString(landmarks),
                "attention=" + commAttention,
                "team_reward=" + teamReward,
                "batch_size=" + batchSize,
                "memory_size=" + memorySize,
                "init_memory_size=" + initMemorySize,
                "discount=" + discount,
                "lr=" + learningRate,
                "scheduler_gamma=" + schedulerGamma,
                "scheduler_step_size=" + schedulerStepSize,
                "max_episodes=" + maxEpisodes,
                "steps_per_episode=" + stepsPerEpisode,
                "target_update_freq=" + targetUpdateFreq,
                "delta=" + epsilonDelta,
                "min_eps=" + minEpsilon,
                "multiscale=" + multiscale,
                "train_freq=" + trainFreq,
                "seed=" + seed,
                "device=" + device,
                "micro_batch=" + effectiveMicroBatch())
                + (numEnvs == 1 ? "" : "\nnum_envs=" + numEnvs)
                + (validationBatchEpisodes == 0 ? "" : "\nbatch_episodes=" + validationBatchEpisodes);
    }
}
