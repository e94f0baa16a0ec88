package org.cmarl.engine.train;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import org.cmarl.engine.env.EnvConfig;
import org.cmarl.engine.env.FrameType;
import org.cmarl.engine.env.LandmarkEnv;
import org.cmarl.engine.env.Mode;
import org.cmarl.engine.env.RoiExtractor;
import org.cmarl.engine.env.RoiWindow;
import org.cmarl.engine.env.Spawn;
import org.cmarl.engine.eval.DistanceSummary;
import org.cmarl.engine.eval.EpisodeResult;
import org.cmarl.engine.eval.EvalImage;
import org.cmarl.engine.eval.Evaluator;
import org.cmarl.engine.eval.NetworkQFunction;
import org.cmarl.engine.nn.DqnLearner;
import org.cmarl.engine.nn.NetworkConfig;
import org.cmarl.engine.nn.ObservationBuffer;
import org.cmarl.engine.nn.QNetwork;
import org.cmarl.engine.replay.FrameSource;
import org.cmarl.engine.replay.ReplayMemory;

/**
 * Multi-agent DQN training (SPEC.md section 5), one loop that reads top to bottom:
 * warm-up -> for each episode: act (epsilon-greedy) -> step -> store -> learn every {@code train_freq} steps ->
 * end of episode (target sync, epsilon decay) -> end of epoch (log, validate, save, scheduler step).
 *
 * <p>The acting environment writes float32 frames straight into the online network's input (its ring phase is
 * handed to the forward pass); the replay memory stores only locations and re-extracts uint8 frames when it
 * samples, the values the published learner sees. Agents that are done keep acting, as in the published trainer
 * (SPEC.md section 3: the episode ends when all agents are terminal in the same step).
 *
 * <p>Randomness: one generator per epoch, derived from the seed and the epoch number, so a run resumed at an
 * epoch boundary draws the same numbers as an uninterrupted one from there on.
 */
public final class Trainer implements AutoCloseable {
    private final TrainConfig config;
    private final List<EvalImage> images;
    private final List<EvalImage> validation;
    private final TrainingLog log;
    private final int agents;

    private final QNetwork online;
    private final QNetwork target;
    private final DqnLearner learner;
    private final ObservationBuffer actInput;
    private final LandmarkEnv env;
    private final ReplayMemory replay;
    private final ObservationBuffer states;
    private final ObservationBuffer nextStates;
    private final FrameSource frames;

    // per-step scratch, allocated once
    private final int[] actions;
    private final float[] qValues;
    private final float[] rewards;
    private final boolean[] terminal;
    private final int[] x;
    private final int[] y;
    private final int[] z;
    private final int[] batchActions;
    private final float[] batchRewards;
    private final boolean[] batchTerminal;

    // run counters (a TrainingState snapshot is taken at episode and epoch ends, never per step)
    private int episode;
    private int epoch;
    private long agentSteps;
    private double epsilon;
    private double learningRate;
    private double bestValidationMm;
    private int nextImage;

    public Trainer(TrainConfig config, List<EvalImage> images, List<EvalImage> validation, TrainingLog log) {
        if (images.isEmpty()) {
            throw new IllegalArgumentException("no training images");
        }
        this.config = config;
        this.images = List.copyOf(images);
        this.validation = List.copyOf(validation);
        this.log = log;
        this.agents = config.agents();
        NetworkConfig netConfig = new NetworkConfig(config.architecture(), agents, config.commAttention(),
                config.teamReward() == org.cmarl.engine.nn.TeamReward.ATTENTION);
        this.online = QNetwork.create(netConfig, config.seed(), config.device());
        this.target = QNetwork.create(netConfig, config.seed(), config.device());
        this.target.copyWeightsFrom(online);
        this.learner = new DqnLearner(online, target, config.learningRate(), config.teamReward());
        this.actInput = ObservationBuffer.allocate(1, agents, ObservationBuffer.ElementType.FLOAT32);
        this.env = new LandmarkEnv(new EnvConfig(Mode.TRAIN, agents, config.multiscale(), FrameType.FLOAT32,
                config.stepsPerEpisode(), false), actInput.block(), 0);
        this.replay = new ReplayMemory(config.memorySize(), agents);
        this.states = ObservationBuffer.allocate(config.batchSize(), agents, ObservationBuffer.ElementType.UINT8);
        this.nextStates = ObservationBuffer.allocate(config.batchSize(), agents, ObservationBuffer.ElementType.UINT8);
        final RoiWindow window = new RoiWindow();
        final List<EvalImage> imgs = this.images;
        this.frames = (imageId, fx, fy, fz, scale, dest) -> {
            var v = imgs.get(imageId).volume();
            window.set(scale, fx, fy, fz, v.nx(), v.ny(), v.nz());
            RoiExtractor.extract(v, window, FrameType.UINT8, dest);
        };
        this.actions = new int[agents];
        this.qValues = new float[agents * NetworkConfig.ACTIONS];
        this.rewards = new float[agents];
        this.terminal = new boolean[agents];
        this.x = new int[agents];
        this.y = new int[agents];
        this.z = new int[agents];
        this.batchActions = new int[config.batchSize() * agents];
        this.batchRewards = new float[config.batchSize() * agents];
        this.batchTerminal = new boolean[config.batchSize() * agents];
        restoreCounters(TrainingState.start(config.learningRate()));
    }

    private void restoreCounters(TrainingState s) {
        episode = s.episode();
        epoch = s.epoch();
        agentSteps = s.agentSteps();
        epsilon = s.epsilon();
        learningRate = s.learningRate();
        bestValidationMm = s.bestValidationMm();
        nextImage = episode % images.size();
    }

    public QNetwork online() { return online; }
    public QNetwork target() { return target; }
    public DqnLearner learner() { return learner; }
    public TrainConfig config() { return config; }

    /** The counters now. */
    public TrainingState state() {
        return new TrainingState(episode, epoch, agentSteps, epsilon, learningRate, bestValidationMm);
    }

    /** Continues from saved counters; the caller restores the weights and optimiser state. */
    public void restore(TrainingState saved) {
        restoreCounters(saved);
        learner.setLearningRate(saved.learningRate());
    }

    /** Runs the warm-up, then episodes until {@code max_episodes}. */
    public void train() throws IOException {
        SplittableRandom random = epochRandom(epoch);
        // warm-up: random-policy transitions until learning can start
        log.warmUpStarted(config.initMemorySize());
        while (replay.size() < config.initMemorySize()) {
            runEpisode(random, 1.0, false);
            log.warmUpProgress(Math.min(replay.size(), config.initMemorySize()));
        }
        log.warmUpDone();

        final int epochLength = images.size();
        EpochStats stats = new EpochStats(agents);
        while (episode < config.maxEpisodes()) {
            EpisodeOutcome outcome = runEpisode(random, epsilon, true);
            episode++;
            stats.add(outcome);
            // sync target: the published rule (SPEC.md section 5)
            if ((long) episode * epochLength % config.targetUpdateFreq() == 0) {
                learner.syncTarget();
            }
            epsilon = Math.max(config.minEpsilon(), epsilon - config.epsilonDelta());
            log.episodeDone(state(), outcome);
            if (episode % epochLength == 0) {
                endEpoch(stats);
                stats = new EpochStats(agents);
                random = epochRandom(epoch);
            }
        }
    }

    /** Images of epoch e are visited in a random order drawn from the seed and e. */
    private SplittableRandom epochRandom(int epoch) {
        return new SplittableRandom(config.seed() * 0x9E3779B97F4A7C15L + epoch);
    }

    /** One episode: act, step, store, learn. */
    private EpisodeOutcome runEpisode(SplittableRandom random, double epsilon, boolean learn) {
        final int imageId = nextImage;
        nextImage = (nextImage + 1) % images.size();
        EvalImage image = images.get(imageId);
        env.reset(image.volume(), image.landmarks(), Spawn.random(), random);
        readLocations();
        replay.beginEpisode(imageId, x, y, z, env.scale());
        double lossSum = 0;
        int updates = 0;
        while (!env.isOver()) {
            // act: epsilon-greedy over all agents at once, as published; a random action records zero Q-values
            if (random.nextDouble() < epsilon) {
                for (int a = 0; a < agents; a++) {
                    actions[a] = random.nextInt(NetworkConfig.ACTIONS);
                }
                java.util.Arrays.fill(qValues, 0f);
            } else {
                online.forward(actInput, 1, env.oldestSlot(), qValues);
                for (int a = 0; a < agents; a++) {
                    actions[a] = Evaluator.argmax(qValues, a * NetworkConfig.ACTIONS);
                }
            }
            // step
            env.step(actions, qValues);
            // store
            for (int a = 0; a < agents; a++) {
                rewards[a] = (float) env.reward(a);
                terminal[a] = env.terminal(a);
            }
            readLocations();
            replay.recordStep(actions, rewards, terminal, x, y, z, env.scale());
            // learn
            if (learn) {
                agentSteps++;
                if (agentSteps % config.trainFreq() == 0) {
                    replay.sample(config.batchSize(), random, frames, states.address(), nextStates.address(),
                            batchActions, batchRewards, batchTerminal);
                    lossSum += learner.update(states, nextStates, config.batchSize(), batchActions, batchRewards,
                            batchTerminal, config.discount());
                    updates++;
                }
            }
        }
        double[] distance = new double[agents];
        double[] score = new double[agents];
        for (int a = 0; a < agents; a++) {
            distance[a] = env.distanceMm(a);
            score[a] = env.score(a);
        }
        return new EpisodeOutcome(image.fileName(), distance, score, env.steps(), updates,
                updates == 0 ? Double.NaN : lossSum / updates);
    }

    private void readLocations() {
        for (int a = 0; a < agents; a++) {
            x[a] = env.location(a, 0);
            y[a] = env.location(a, 1);
            z[a] = env.location(a, 2);
        }
    }

    private void endEpoch(EpochStats stats) throws IOException {
        double[] valDistance = null;
        boolean improved = false;
        if (!validation.isEmpty()) {
            valDistance = validate(epochRandom(epoch).split());
            double mean = mean(valDistance);
            if (mean < bestValidationMm) {
                bestValidationMm = mean;
                improved = true;
            }
        }
        epoch++;
        // scheduler: StepLR, lr *= gamma every step_size epochs (stepped after the epoch, as published)
        if (epoch % config.schedulerStepSize() == 0) {
            learningRate *= config.schedulerGamma();
            learner.setLearningRate(learningRate);
        }
        log.epochDone(state(), stats, valDistance, improved, this);
    }

    /** Greedy episodes on every validation image from random spawns; mean final distance per agent. */
    private double[] validate(SplittableRandom random) {
        try (NetworkQFunction q = new NetworkQFunction(online, Math.min(4, validation.size()))) {
            List<EpisodeResult> results = new Evaluator(q, Mode.EVAL, config.stepsPerEpisode())
                    .run(validation, List.of(Spawn.random()), random, null);
            return DistanceSummary.of(results).meanMm();
        }
    }

    static double mean(double[] v) {
        double s = 0;
        for (double d : v) {
            s += d;
        }
        return s / v.length;
    }

    /** Greedy evaluation of the online network from fixed spawns, for the before/after figures. */
    public List<EpisodeResult> evaluate(List<EvalImage> on, List<Spawn> spawns) {
        try (NetworkQFunction q = new NetworkQFunction(online, Math.min(8, on.size() * spawns.size()))) {
            return new Evaluator(q, Mode.EVAL, config.stepsPerEpisode()).run(on, spawns, null, null);
        }
    }

    /** The outcome of one training episode. */
    public record EpisodeOutcome(String fileName, double[] distanceMm, double[] score, int steps, int updates,
                                 double meanLoss) {
    }

    /** Running figures of one epoch. */
    public static final class EpochStats {
        final double[] distanceSum;
        final double[] scoreSum;
        int episodes;
        double lossSum;
        int lossCount;
        long steps;

        EpochStats(int agents) {
            distanceSum = new double[agents];
            scoreSum = new double[agents];
        }

        void add(EpisodeOutcome o) {
            episodes++;
            steps += o.steps();
            for (int a = 0; a < distanceSum.length; a++) {
                distanceSum[a] += o.distanceMm()[a];
                scoreSum[a] += o.score()[a];
            }
            if (o.updates() > 0) {
                lossSum += o.meanLoss();
                lossCount++;
            }
        }

        public double[] meanDistanceMm() {
            double[] m = distanceSum.clone();
            for (int a = 0; a < m.length; a++) {
                m[a] /= episodes;
            }
            return m;
        }

        public double[] meanScore() {
            double[] m = scoreSum.clone();
            for (int a = 0; a < m.length; a++) {
                m[a] /= episodes;
            }
            return m;
        }

        public double meanLoss() { return lossCount == 0 ? Double.NaN : lossSum / lossCount; }
        public int episodes() { return episodes; }
        public long steps() { return steps; }
    }

    @Override
    public void close() {
        nextStates.close();
        states.close();
        replay.close();
        env.close();
        actInput.close();
        learner.close();
        target.close();
        online.close();
    }
}
