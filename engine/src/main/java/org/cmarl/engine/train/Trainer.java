package org.cmarl.engine.train;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

import org.cmarl.engine.dataset.LabelledImage;
import org.cmarl.engine.env.EnvConfig;
import org.cmarl.engine.env.LandmarkEnv;
import org.cmarl.engine.env.Mode;
import org.cmarl.engine.env.Spawn;
import org.cmarl.engine.eval.DistanceSummary;
import org.cmarl.engine.eval.EpisodeResult;
import org.cmarl.engine.eval.EpisodeResultCodec;
import org.cmarl.engine.eval.Evaluator;
import org.cmarl.engine.eval.NetworkQFunction;
import org.cmarl.engine.nn.DistributedGroup;
import org.cmarl.engine.nn.DqnLearner;
import org.cmarl.engine.nn.NetworkConfig;
import org.cmarl.engine.nn.ObservationBuffer;
import org.cmarl.engine.nn.QNetwork;
import org.cmarl.engine.nn.TeamReward;
import org.cmarl.engine.observation.FrameType;
import org.cmarl.engine.observation.ObservationGeometry;
import org.cmarl.engine.replay.FrameSource;
import org.cmarl.engine.replay.ReplayMemory;
import org.cmarl.engine.replay.RoiFrameSource;
import org.cmarl.engine.volume.Volume;

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
 * <p>With {@code --num_envs N > 1} the loop acts for N environments at once ({@link EnvironmentBatch}; see
 * {@code trainBatched}); with N = 1 it is the loop above, unchanged.
 *
 * <p>Randomness: one generator per epoch, derived from the seed and the epoch number, so a run resumed at an
 * epoch boundary draws the same numbers as an uninterrupted one from there on.
 */
public final class Trainer implements AutoCloseable {
    private final TrainConfig config;
    private final List<LabelledImage> images;
    private final List<LabelledImage> validation;
    private final TrainingLog log;
    private final int agents;

    private final QNetwork online;
    private final QNetwork target;
    private final DqnLearner learner;
    private final ObservationBuffer actInput;
    private final LandmarkEnv env;
    private final ReplayMemory replay;
    /** Two transition batches: the next is sampled while the learner updates on the current one. */
    private final ReplayBatchPrefetcher batches;
    private final FrameSource frames;
    /** {@code --num_envs} above 1: the environments stepped in lockstep (null: the one-environment loop). */
    private final EnvironmentBatch envBatch;

    // per-step scratch, allocated once
    private final int[] actions;
    private final float[] qValues;
    private final float[] rewards;
    private final boolean[] terminal;
    private final int[] x;
    private final int[] y;
    private final int[] z;

    // run counters (a TrainingState snapshot is taken at episode and epoch ends, never per step)
    private int episode;
    private int epoch;
    private long agentSteps;
    private double epsilon;
    private double learningRate;
    private double bestValidationMm;
    private int nextImage;
    private int lastImageId;

    // data-parallel run (see joinGroup): this process's rank and the number of ranks; alone: 0 of 1, no group
    private DistributedGroup group;
    private int rank;
    private int world = 1;
    // --save_freq: agent steps between saves within an epoch (0: epoch ends only), and the steps at the last save
    private long saveEveryAgentSteps;
    private long agentStepsAtSave;

    /** Set by {@link #requestStop()} (e.g. from a SIGINT shutdown hook), read by the loop after every step. */
    private volatile boolean stopRequested;
    private final PhaseTimes times = new PhaseTimes();

    public Trainer(TrainConfig config, List<LabelledImage> images, List<LabelledImage> validation, TrainingLog log) {
        if (images.isEmpty()) {
            throw new IllegalArgumentException("no training images");
        }
        this.config = config;
        this.images = List.copyOf(images);
        this.validation = List.copyOf(validation);
        this.log = log;
        this.agents = config.agents();
        NetworkConfig netConfig = new NetworkConfig(config.architecture(), agents, config.commAttention(),
                config.teamReward() == TeamReward.ATTENTION);
        this.online = QNetwork.create(netConfig, config.seed(), config.device());
        this.target = QNetwork.create(netConfig, config.seed(), config.device());
        this.target.copyWeightsFrom(online);
        this.learner = new DqnLearner(online, target, config.learningRate(), config.teamReward(),
                config.effectiveMicroBatch());
        this.actInput = ObservationBuffer.allocate(1, agents, FrameType.FLOAT32,
                config.device());
        this.env = new LandmarkEnv(EnvConfig.acting(Mode.TRAIN, agents, config.multiscale(),
                config.stepsPerEpisode()), actInput.ring(0));
        this.replay = new ReplayMemory(config.memorySize(), agents);
        List<Volume> volumes = new ArrayList<>();
        for (LabelledImage image : this.images) {
            volumes.add(image.volume());
        }
        this.frames = new RoiFrameSource(volumes);
        // one 5-frame window per sampled transition and agent: state and next state are overlapping views of it
        this.batches = new ReplayBatchPrefetcher(replay, frames, config.batchSize(), agents, config.device());
        this.actions = new int[agents];
        this.qValues = new float[agents * ObservationGeometry.ACTIONS];
        this.rewards = new float[agents];
        this.terminal = new boolean[agents];
        this.x = new int[agents];
        this.y = new int[agents];
        this.z = new int[agents];
        this.envBatch = config.numEnvs() > 1 ? new EnvironmentBatch(config.numEnvs(), agents, config.multiscale(),
                config.stepsPerEpisode(), config.device()) : null;
        restoreCounters(TrainingState.start(config.learningRate()));
    }

    private void restoreCounters(TrainingState s) {
        episode = s.episode();
        epoch = s.epoch();
        agentSteps = s.agentSteps();
        epsilon = s.epsilon();
        learningRate = s.learningRate();
        bestValidationMm = s.bestValidationMm();
        // rank r of w plays the images of global episodes r, r + w, r + 2w, ... (one process: every image in turn)
        nextImage = (episode + rank) % images.size();
    }

    public QNetwork online() { return online; }
    public QNetwork target() { return target; }
    public DqnLearner learner() { return learner; }
    public TrainConfig config() { return config; }

    /** The counters now. */
    public TrainingState state() {
        return new TrainingState(episode, epoch, agentSteps, epsilon, learningRate, bestValidationMm);
    }

    /**
     * Joins a data-parallel run, after rank 0 has initialised or resumed: rank 0's weights, target weights,
     * optimiser state and counters replace every rank's; from now on the ranks play their own episodes (their own
     * images, seeds and replay) in lockstep and average their gradients at every update.
     *
     * <p>Counting (one scheme every rank applies identically): a round is one episode per rank; its episodes are
     * counted one by one in rank order, so episodes, epochs ({@code images} episodes each), epsilon decay, target
     * syncs and the LR schedule follow the global episode count exactly as one process would. Agent steps count
     * the environment steps of all ranks; an update happens on every rank whenever they cross a multiple of
     * {@code train_freq x world}, so the updates per environment step (the replay ratio) stay the published ones
     * while every update uses {@code world x batch_size} transitions. A rank whose episode ended keeps sampling and
     * updating until the round's last episode ends.
     */
    public void joinGroup(DistributedGroup g) {
        learner.joinGroup(g);
        TrainingState s = state();
        double[] c = {s.episode(), s.epoch(), s.agentSteps(), s.epsilon(), s.learningRate(), s.bestValidationMm()};
        g.broadcastFromRankZero(c);
        this.group = g;
        this.rank = g.rank();
        this.world = g.worldSize();
        restoreCounters(new TrainingState((int) c[0], (int) c[1], (long) c[2], c[3], c[4], c[5]));
    }

    /** Continues from saved counters; the caller restores the weights and optimiser state. */
    public void restore(TrainingState saved) {
        restoreCounters(saved);
        learner.setLearningRate(saved.learningRate());
    }

    /**
     * Asks a running {@link #train()} to stop: the episode in progress is abandoned after its current step (its
     * transitions stay in the replay memory but it is not counted), {@code latest_checkpoint.pt} is written with the
     * counters of the last finished episode, and {@code train()} returns {@code false}. Safe from any thread.
     */
    public void requestStop() {
        stopRequested = true;
    }

    /**
     * Saves {@code latest_dqn.pt} and {@code latest_checkpoint.pt} also within an epoch: at the end of the first
     * episode after every {@code agentSteps} agent steps (the published {@code --save_freq}, whose help promises a
     * save every save_freq steps; a checkpoint always holds whole episodes, so that {@code --resume} starts at the
     * next one). 0 saves at epoch ends only. Nothing is saved when the log has no run folder (no {@code --write}).
     */
    public void saveEvery(long agentSteps) {
        if (agentSteps < 0) {
            throw new IllegalArgumentException("--save_freq " + agentSteps + " must be 0 (epoch ends only) or positive");
        }
        this.saveEveryAgentSteps = agentSteps;
    }

    /** Wall-clock time spent in each phase of the loop so far (a profile; never written to logs.txt). */
    public PhaseTimes phaseTimes() { return times; }

    /**
     * Runs the warm-up, then episodes until {@code max_episodes}.
     *
     * @return true when {@code max_episodes} was reached, false when stopped by {@link #requestStop()} (the
     *         checkpoint of the last finished episode has been written)
     */
    public boolean train() throws IOException {
        if (envBatch != null) {
            return trainBatched();
        }
        SplittableRandom random = epochRandom(epoch);
        // warm-up: random-policy transitions until learning can start
        log.warmUpStarted(config.initMemorySize());
        while (true) {
            boolean more = replay.size() < config.initMemorySize();
            if (group != null) {
                // every rank plays warm-up episodes until every replay is full; a stop is agreed between episodes
                double[] flags = {more ? 1 : 0, stopRequested ? 1 : 0};
                group.allReduceSum(flags);
                if (flags[1] > 0) {
                    return stop();
                }
                more = flags[0] > 0;
            }
            if (!more) {
                break;
            }
            if (!runEpisode(random, 1.0, false, null)) {
                return stop();
            }
            log.warmUpProgress(Math.min(replay.size(), config.initMemorySize()));
        }
        log.warmUpDone(state());
        agentStepsAtSave = agentSteps;
        // the profile covers the learning phase only: the warm-up has no forward passes and no updates
        times.reset();

        final int epochLength = images.size();
        EpochStats stats = new EpochStats(agents);
        EpisodeOutcome[] outcome = new EpisodeOutcome[1];
        while (episode < config.maxEpisodes()) {
            if (!runEpisode(random, epsilon, true, outcome)) {
                return stop();
            }
            // one process: this episode; a group: every rank's episode of the round, counted in rank order
            for (EpisodeOutcome o : group == null ? outcome : gatherRound(outcome[0])) {
                if (episode >= config.maxEpisodes()) {
                    break;
                }
                if (countEpisode(o, stats, epochLength)) {
                    stats = new EpochStats(agents);
                    random = epochRandom(epoch);
                }
            }
        }
        finishRun(stats, epochLength);
        return true;
    }

    /**
     * Counts one finished episode: target sync, epsilon decay, log, and at an epoch's end validation, saves and the
     * scheduler (or a --save_freq save within the epoch). Returns true when it ended an epoch.
     */
    private boolean countEpisode(EpisodeOutcome o, EpochStats stats, int epochLength) throws IOException {
        episode++;
        stats.add(o);
        // sync target: the published rule (SPEC.md section 5)
        if ((long) episode * epochLength % config.targetUpdateFreq() == 0) {
            learner.syncTarget();
        }
        epsilon = Math.max(config.minEpsilon(), epsilon - config.epsilonDelta());
        log.episodeDone(state(), o);
        if (episode % epochLength == 0) {
            endEpoch(stats);
            agentStepsAtSave = agentSteps;
            return true;
        } else if (saveEveryAgentSteps > 0 && agentSteps - agentStepsAtSave >= saveEveryAgentSteps
                && log.runDir() != null) {
            // a long epoch (CommNet on many scans: hours) keeps its progress on disk between epoch ends
            TrainingCheckpoints.save(log.runDir(), this, false);
            log.logOnly("saved " + TrainingCheckpoints.LATEST_CHECKPOINT + " at episode " + episode
                    + " (--save_freq " + saveEveryAgentSteps + ": " + (agentSteps - agentStepsAtSave)
                    + " agent steps since the last save)");
            agentStepsAtSave = agentSteps;
        }
        return false;
    }

    /** After the last episode: a partly played epoch is saved too. */
    private void finishRun(EpochStats stats, int epochLength) throws IOException {
        if (stats.episodes() > 0 && log.runDir() != null) {
            // --max_episodes ended the run inside an epoch: its episodes are saved too (not validated, and the
            // epoch is not counted, so the scheduler and the epoch number are those of the last whole epoch)
            TrainingCheckpoints.save(log.runDir(), this, false);
            log.note("saved " + TrainingCheckpoints.LATEST_CHECKPOINT + " at episode " + episode + " (the last "
                    + "epoch ended after " + stats.episodes() + " of its " + epochLength + " episodes)");
        }
    }

    /**
     * The loop with {@code --num_envs N > 1} ({@link EnvironmentBatch}): every iteration acts for all N
     * environments (one forward pass for the greedy ones), steps them, and stores each episode that ended;
     * {@code train_freq} counts the environment steps of all N (N per iteration, N x world in a group), so an
     * iteration may make several updates; every ended episode is counted as the one-environment loop counts an
     * episode (epsilon, target sync, epoch end), those ending in the same iteration in environment order (a group:
     * rank order, then environment order). The warm-up plays random episodes in all N until the replay memory holds
     * {@code init_memory_size} transitions; the episodes then in progress are dropped and every environment starts
     * a new one. A stop or {@code max_episodes} drops the episodes in progress.
     */
    private boolean trainBatched() throws IOException {
        final EnvironmentBatch envs = envBatch;
        final int n = envs.size();
        final EnvironmentBatch.ImageSequence sequence = this::takeImage;
        SplittableRandom random = epochRandom(epoch);
        log.warmUpStarted(config.initMemorySize());
        envs.startAll(images, sequence, random);
        while (true) {
            boolean more = replay.size() < config.initMemorySize();
            if (group != null) {
                double[] flags = {more ? 1 : 0, stopRequested ? 1 : 0};
                group.allReduceSum(flags);
                if (flags[1] > 0) {
                    return stop();
                }
                more = flags[0] > 0;
            } else if (stopRequested) {
                return stop();
            }
            if (!more) {
                break;
            }
            envs.act(online, random, 1.0); // epsilon 1: every action random, no forward pass
            int ended = envs.step();
            for (int i = 0; i < ended; i++) {
                int e = envs.finished(i);
                envs.store(e, replay);
                envs.restart(e, images, sequence, random);
            }
            if (ended > 0) {
                log.warmUpProgress(Math.min(replay.size(), config.initMemorySize()));
            }
        }
        log.warmUpDone(state());
        agentStepsAtSave = agentSteps;
        times.reset();
        envs.startAll(images, sequence, random);
        batches.discard();

        final int epochLength = images.size();
        EpochStats stats = new EpochStats(agents);
        final double[] lossSum = new double[n];
        final int[] updates = new int[n];
        final long period = (long) config.trainFreq() * world;
        final double[] flags = new double[1 + world];
        long t = System.nanoTime();
        while (episode < config.maxEpisodes()) {
            long forwardBefore = envs.forwardNanos();
            long observationsBefore = envs.forwardObservations();
            envs.act(online, random, epsilon);
            times.forwardNanos += envs.forwardNanos() - forwardBefore;
            times.forwardObservations += envs.forwardObservations() - observationsBefore;
            t = times.add(PhaseTimes.ACT, t);
            int ended = envs.step();
            times.steps += n;
            t = times.add(PhaseTimes.STEP, t);
            // allocated only in the steps where episodes end (the step loop itself allocates nothing)
            EpisodeOutcome[] mine = ended == 0 ? NO_OUTCOMES : new EpisodeOutcome[ended];
            int[] mineImages = ended == 0 ? NO_IMAGES : new int[ended];
            for (int i = 0; i < ended; i++) {
                int e = envs.finished(i);
                envs.store(e, replay);
            }
            t = times.add(PhaseTimes.STORE, t);
            // a group agrees on a stop and on how many episodes each rank finished, in one all-reduce
            if (group != null) {
                Arrays.fill(flags, 0);
                flags[0] = stopRequested ? 1 : 0;
                flags[1 + rank] = ended;
                group.allReduceSum(flags);
                if (flags[0] > 0) {
                    return stop();
                }
            } else if (stopRequested) {
                return stop();
            }
            // learn: N environment steps per rank and iteration
            long before = agentSteps;
            agentSteps += (long) n * world;
            for (long k = agentSteps / period - before / period; k > 0; k--) {
                ReplayBatchPrefetcher.Batch batch = batches.take(random);
                batches.prefetch(random);
                t = times.add(PhaseTimes.SAMPLE, t);
                double loss = learner.update(batch.transitions(), config.batchSize(), batch.actions(),
                        batch.rewards(), batch.terminal(), config.discount());
                for (int e = 0; e < n; e++) {
                    lossSum[e] += loss;
                    updates[e]++;
                }
                times.updates++;
                log.updateDone(agentSteps);
                t = times.add(PhaseTimes.UPDATE, t);
                batches.awaitPrefetch();
                t = times.add(PhaseTimes.SAMPLE, t);
            }
            for (int i = 0; i < ended; i++) {
                int e = envs.finished(i);
                mine[i] = outcomeOf(envs, e, updates[e], lossSum[e]);
                mineImages[i] = envs.imageId(e);
                lossSum[e] = 0;
                updates[e] = 0;
            }
            for (int i = 0; i < ended; i++) {
                envs.restart(envs.finished(i), images, sequence, random);
            }
            t = times.add(PhaseTimes.STEP, t);
            EpisodeOutcome[] counted = group == null ? mine : gatherFinished(mine, mineImages, flags);
            for (EpisodeOutcome o : counted) {
                if (episode >= config.maxEpisodes()) {
                    break;
                }
                if (countEpisode(o, stats, epochLength)) {
                    stats = new EpochStats(agents);
                    random = epochRandom(epoch);
                }
            }
            t = System.nanoTime();
        }
        finishRun(stats, epochLength);
        return true;
    }

    private static final EpisodeOutcome[] NO_OUTCOMES = {};
    private static final int[] NO_IMAGES = {};

    /** The image of the next episode this rank starts: images r, r + w, r + 2w, ... (one process: in turn). */
    private int takeImage() {
        int id = nextImage;
        lastImageId = id;
        nextImage = (nextImage + world) % images.size();
        return id;
    }

    private EpisodeOutcome outcomeOf(EnvironmentBatch envs, int e, int updates, double lossSum) {
        LandmarkEnv env = envs.env(e);
        double[] distance = new double[agents];
        double[] score = new double[agents];
        for (int a = 0; a < agents; a++) {
            distance[a] = env.distanceMm(a);
            score[a] = env.score(a);
        }
        return new EpisodeOutcome(images.get(envs.imageId(e)).fileName(), distance, score, env.steps(), updates,
                updates == 0 ? Double.NaN : lossSum / updates);
    }

    /**
     * Every rank's episodes that ended in this iteration, rank by rank in environment order: one all-reduce of
     * fixed-size records, each rank filling its own range ({@code counts[1 + r]} records for rank r).
     */
    private EpisodeOutcome[] gatherFinished(EpisodeOutcome[] mine, int[] mineImages, double[] counts) {
        int total = 0;
        int first = 0;
        for (int r = 0; r < world; r++) {
            if (r == rank) {
                first = total;
            }
            total += (int) counts[1 + r];
        }
        if (total == 0) {
            return mine;
        }
        int record = 4 + 2 * agents;
        double[] all = new double[total * record];
        for (int i = 0; i < mine.length; i++) {
            writeRecord(all, (first + i) * record, mineImages[i], mine[i]);
        }
        group.allReduceSum(all);
        return readRecords(all, total);
    }

    /**
     * Every rank's outcome of the round just played, in rank order: one all-reduce of fixed-size records (each
     * rank fills its own, zeros elsewhere; x + 0 is exact).
     */
    private EpisodeOutcome[] gatherRound(EpisodeOutcome mine) {
        int record = 4 + 2 * agents;
        double[] all = new double[world * record];
        writeRecord(all, rank * record, lastImageId, mine);
        group.allReduceSum(all);
        return readRecords(all, world);
    }

    /** One outcome as an all-reduce record: image, steps, updates, mean loss, distances, scores. */
    private void writeRecord(double[] all, int at, int imageId, EpisodeOutcome o) {
        all[at] = imageId;
        all[at + 1] = o.steps();
        all[at + 2] = o.updates();
        all[at + 3] = o.meanLoss();
        for (int a = 0; a < agents; a++) {
            all[at + 4 + a] = o.distanceMm()[a];
            all[at + 4 + agents + a] = o.score()[a];
        }
    }

    /** The first {@code count} records of {@link #writeRecord}'s layout, after the all-reduce. */
    private EpisodeOutcome[] readRecords(double[] all, int count) {
        int record = 4 + 2 * agents;
        EpisodeOutcome[] round = new EpisodeOutcome[count];
        for (int i = 0; i < count; i++) {
            int o = i * record;
            round[i] = new EpisodeOutcome(images.get((int) all[o]).fileName(),
                    Arrays.copyOfRange(all, o + 4, o + 4 + agents),
                    Arrays.copyOfRange(all, o + 4 + agents, o + 4 + 2 * agents), (int) all[o + 1],
                    (int) all[o + 2], all[o + 3]);
        }
        return round;
    }

    private boolean stop() throws IOException {
        if (log.runDir() == null) {
            if (rank == 0) {
                log.note("interrupted at episode " + episode + " (nothing saved: no --write)");
            }
            return false; // other ranks: rank 0 writes the checkpoint
        }
        TrainingCheckpoints.save(log.runDir(), this, false);
        log.note("interrupted: saved " + TrainingCheckpoints.LATEST_CHECKPOINT + " at episode " + episode
                + " (resume with --resume " + log.runDir().resolve(TrainingCheckpoints.LATEST_CHECKPOINT) + ")");
        return false;
    }

    /** Images of epoch e are visited in a random order drawn from the seed and e. */
    private SplittableRandom epochRandom(int epoch) {
        // rank 0 draws what one process draws; rank r its own stream
        return new SplittableRandom(config.seed() * 0x9E3779B97F4A7C15L + epoch + rank * 0xD1B54A32D192ED03L);
    }

    /**
     * One episode: act, step, store, learn. Returns false, with {@code outcome} unset, when a stop was requested
     * before the episode ended.
     */
    private boolean runEpisode(SplittableRandom random, double epsilon, boolean learn, EpisodeOutcome[] outcome) {
        final int imageId = nextImage;
        lastImageId = imageId;
        nextImage = (nextImage + world) % images.size();
        LabelledImage image = images.get(imageId);
        long t = System.nanoTime();
        // each episode starts without a prefetched batch, as a run resumed at this episode does
        batches.discard();
        env.reset(image.volume(), image.landmarks(), Spawn.random(), random);
        readLocations();
        replay.beginEpisode(imageId, x, y, z, env.scale());
        t = times.add(PhaseTimes.STEP, t);
        double lossSum = 0;
        int updates = 0;
        while (true) {
            // ranks that step this iteration: this one alone, or (in a group's learning phase) every rank whose
            // episode is still going, agreed by an all-reduce that also carries a requested stop
            int stepping;
            if (group != null && learn) {
                double[] flags = {env.isOver() ? 0 : 1, stopRequested ? 1 : 0};
                group.allReduceSum(flags);
                if (flags[1] > 0) {
                    return false;
                }
                stepping = (int) flags[0];
            } else {
                stepping = env.isOver() ? 0 : 1;
                if (stepping > 0 && group == null && stopRequested) {
                    return false;
                }
            }
            if (stepping == 0) {
                break;
            }
            if (!env.isOver()) {
                t = actStepStore(random, epsilon, t);
            }
            // learn
            if (learn) {
                long before = agentSteps;
                agentSteps += stepping;
                // one process: every train_freq steps; a group: every train_freq steps of the whole world
                long period = (long) config.trainFreq() * world;
                if (agentSteps / period != before / period) {
                    // this update's batch (prefetched during the previous update of the episode, else sampled
                    // now); the next one is sampled while this update runs (ReplayBatchPrefetcher)
                    ReplayBatchPrefetcher.Batch batch = batches.take(random);
                    batches.prefetch(random);
                    t = times.add(PhaseTimes.SAMPLE, t);
                    lossSum += learner.update(batch.transitions(), config.batchSize(), batch.actions(),
                            batch.rewards(), batch.terminal(), config.discount());
                    updates++;
                    times.updates++;
                    log.updateDone(agentSteps);
                    t = times.add(PhaseTimes.UPDATE, t);
                    batches.awaitPrefetch(); // the memory changes at the next step: the sampler is done with it
                    t = times.add(PhaseTimes.SAMPLE, t);
                }
            }
        }
        if (outcome != null) {
            double[] distance = new double[agents];
            double[] score = new double[agents];
            for (int a = 0; a < agents; a++) {
                distance[a] = env.distanceMm(a);
                score[a] = env.score(a);
            }
            outcome[0] = new EpisodeOutcome(image.fileName(), distance, score, env.steps(), updates,
                    updates == 0 ? Double.NaN : lossSum / updates);
        }
        return true;
    }

    /** One environment step of this rank: act (epsilon-greedy), step, store. Returns the phase clock. */
    private long actStepStore(SplittableRandom random, double epsilon, long t) {
        // act: epsilon-greedy over all agents at once, as published; a random action records zero Q-values
        if (random.nextDouble() < epsilon) {
            for (int a = 0; a < agents; a++) {
                actions[a] = random.nextInt(ObservationGeometry.ACTIONS);
            }
            Arrays.fill(qValues, 0f);
        } else {
            long f = System.nanoTime();
            online.forward(actInput, 1, qValues);
            times.forwardNanos += System.nanoTime() - f;
            times.forwardObservations++;
            for (int a = 0; a < agents; a++) {
                actions[a] = Evaluator.argmax(qValues, a * ObservationGeometry.ACTIONS);
            }
        }
        t = times.add(PhaseTimes.ACT, t);
        // step
        env.step(actions, qValues);
        times.steps++;
        t = times.add(PhaseTimes.STEP, t);
        // store
        for (int a = 0; a < agents; a++) {
            rewards[a] = (float) env.reward(a);
            terminal[a] = env.terminal(a);
        }
        readLocations();
        replay.recordStep(actions, rewards, terminal, x, y, z, env.scale());
        t = times.add(PhaseTimes.STORE, t);
        return t;
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
        List<EpisodeResult> valEpisodes = List.of();
        boolean improved = false;
        if (!validation.isEmpty()) {
            valEpisodes = validate(epochRandom(epoch).split());
            valDistance = DistanceSummary.of(valEpisodes).meanMm();
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
        log.epochDone(state(), stats, valDistance, valEpisodes, improved);
        if (log.runDir() != null) {
            TrainingCheckpoints.save(log.runDir(), this, improved);
        }
    }

    /** Greedy episodes on every validation image from random spawns. */
    private List<EpisodeResult> validate(SplittableRandom random) {
        if (group != null) {
            return validateSharded(random);
        }
        try (NetworkQFunction q = new NetworkQFunction(online,
                Math.min(config.effectiveValidationBatch(), validation.size()))) {
            return new Evaluator(q, Mode.EVAL, config.stepsPerEpisode())
                    .run(validation, List.of(Spawn.random()), random, null);
        }
    }

    /**
     * A group's validation: rank r plays validation images r, r + w, ...; each rank publishes its episodes in the
     * run's c10d store and every rank reads all of them in rank order, so every rank holds the same list (and the
     * same mean, summed in the same order).
     */
    private List<EpisodeResult> validateSharded(SplittableRandom random) {
        List<LabelledImage> mine = new ArrayList<>();
        for (int i = rank; i < validation.size(); i += world) {
            mine.add(validation.get(i));
        }
        List<EpisodeResult> played = List.of();
        if (!mine.isEmpty()) {
            try (NetworkQFunction q = new NetworkQFunction(online,
                    Math.min(config.effectiveValidationBatch(), mine.size()))) {
                played = new Evaluator(q, Mode.EVAL, config.stepsPerEpisode())
                        .run(mine, List.of(Spawn.random()), random, null);
            }
        }
        String key = "validation/" + epoch + "/";
        group.publish(key + rank, EpisodeResultCodec.encode(played));
        List<EpisodeResult> all = new ArrayList<>();
        for (int r = 0; r < world; r++) {
            all.addAll(r == rank ? played : EpisodeResultCodec.decode(group.fetch(key + r)));
        }
        return all;
    }

    static double mean(double[] v) {
        double s = 0;
        for (double d : v) {
            s += d;
        }
        return s / v.length;
    }

    /** Greedy evaluation of the online network from fixed spawns, for the before/after figures. */
    public List<EpisodeResult> evaluate(List<LabelledImage> on, List<Spawn> spawns) {
        // the one batch rule of validation and evaluation: --batch_episodes, else the device's default (results do
        // not depend on it: each row's forward pass is its own)
        int batch = config.effectiveValidationBatch();
        try (NetworkQFunction q = new NetworkQFunction(online, Math.min(batch, on.size() * spawns.size()))) {
            return new Evaluator(q, Mode.EVAL, config.stepsPerEpisode()).run(on, spawns, null, null);
        }
    }

    /**
     * Wall-clock nanoseconds per phase of the training loop (reset and step are counted together as STEP), and the
     * environment steps taken, for a profile of where the time goes. Single-threaded, like the loop.
     */
    public static final class PhaseTimes {
        public static final int ACT = 0;
        public static final int STEP = 1;
        public static final int STORE = 2;
        public static final int SAMPLE = 3;
        public static final int UPDATE = 4;
        private static final String[] NAMES = {"act", "step", "store", "sample", "update"};
        private final long[] nanos = new long[NAMES.length];
        private long steps;
        private long updates;
        // the acting forward passes (inside ACT): their time and the observations (environments) they acted for
        private long forwardNanos;
        private long forwardObservations;

        /** Adds the time since {@code since} to {@code phase}; returns now. */
        long add(int phase, long since) {
            long now = System.nanoTime();
            nanos[phase] += now - since;
            return now;
        }

        public long nanos(int phase) { return nanos[phase]; }
        /** Environment steps taken since the warm-up ended (or the last {@link #reset}). */
        public long steps() { return steps; }

        /** DQN updates made since the warm-up ended. */
        public long updates() { return updates; }

        /** Nanoseconds of the acting forward passes (part of {@code act}). */
        public long forwardNanos() { return forwardNanos; }

        /** Observations the acting forward passes acted for (one per greedy environment step). */
        public long forwardObservations() { return forwardObservations; }

        public void reset() {
            Arrays.fill(nanos, 0);
            steps = 0;
            updates = 0;
            forwardNanos = 0;
            forwardObservations = 0;
        }

        /**
         * e.g. "learning: 500 environment steps in 520.0 s (0.96 steps/s), 10 updates; act 80.00 s (15%), ...":
         * what a user compares with another machine or another {@code --train_freq}.
         */
        public String summary() {
            long total = 0;
            for (long n : nanos) {
                total += n;
            }
            double seconds = total / 1e9;
            return String.format(Locale.ROOT,
                    "learning: %d environment steps in %.1f s (%.2f steps/s), %d updates; %s", steps, seconds,
                    seconds > 0 ? steps / seconds : 0.0, updates, describe());
        }

        /** e.g. "act 12.0 s (10%), step ..., sample ..., update ...". */
        public String describe() {
            long total = 0;
            for (long n : nanos) {
                total += n;
            }
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < NAMES.length; i++) {
                b.append(i == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%s %.2f s (%.0f%%)",
                        NAMES[i], nanos[i] / 1e9, total == 0 ? 0.0 : 100.0 * nanos[i] / total));
            }
            return b.toString();
        }
    }

    /** The outcome of one training episode. */
    public record EpisodeOutcome(String fileName, double[] distanceMm, double[] score, int steps, int updates,
                                 double meanLoss) {
    }

    /** Running figures of one epoch. */
    public static final class EpochStats {
        final double[] distanceSum;
        final double[] distanceMin;
        final double[] distanceMax;
        final double[] scoreSum;
        int episodes;
        double lossSum;
        int lossCount;
        long steps;
        EpisodeOutcome last;

        EpochStats(int agents) {
            distanceSum = new double[agents];
            distanceMin = new double[agents];
            distanceMax = new double[agents];
            Arrays.fill(distanceMin, Double.POSITIVE_INFINITY);
            Arrays.fill(distanceMax, Double.NEGATIVE_INFINITY);
            scoreSum = new double[agents];
        }

        void add(EpisodeOutcome o) {
            episodes++;
            steps += o.steps();
            last = o;
            for (int a = 0; a < distanceSum.length; a++) {
                distanceSum[a] += o.distanceMm()[a];
                distanceMin[a] = Math.min(distanceMin[a], o.distanceMm()[a]);
                distanceMax[a] = Math.max(distanceMax[a], o.distanceMm()[a]);
                scoreSum[a] += o.score()[a];
            }
            if (o.updates() > 0) {
                lossSum += o.meanLoss();
                lossCount++;
            }
        }

        /** Smallest and largest final distance per agent over the epoch's episodes. */
        public double[] minDistanceMm() { return distanceMin.clone(); }
        public double[] maxDistanceMm() { return distanceMax.clone(); }

        /** The epoch's last episode (the published trainer's epoch loss is that episode's mean loss). */
        public EpisodeOutcome lastEpisode() { return last; }

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
        if (envBatch != null) {
            envBatch.close();
        }
        batches.close();
        replay.close();
        env.close();
        actInput.close();
        learner.close();
        target.close();
        online.close();
    }
}
