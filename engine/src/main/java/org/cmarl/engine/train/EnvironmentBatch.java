package org.cmarl.engine.train;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import org.cmarl.engine.dataset.LabelledImage;
import org.cmarl.engine.env.EnvConfig;
import org.cmarl.engine.env.LandmarkEnv;
import org.cmarl.engine.env.Mode;
import org.cmarl.engine.env.Spawn;
import org.cmarl.engine.eval.Evaluator;
import org.cmarl.engine.nn.Device;
import org.cmarl.engine.nn.ObservationBuffer;
import org.cmarl.engine.nn.QNetwork;
import org.cmarl.engine.observation.FrameType;
import org.cmarl.engine.observation.ObservationGeometry;
import org.cmarl.engine.replay.ReplayMemory;

/**
 * {@code --num_envs N} training environments stepped in lockstep (the acting side of {@link Trainer} when N > 1):
 * each environment plays its own episode on its own image; every step draws epsilon-greedy per environment and acts
 * for all greedy environments with ONE forward pass over their {@code greedy x agents} observations.
 *
 * <h2>Observations: the evaluator's mechanism</h2>
 * Each environment keeps its own float32 frame ring (its episodes start at different steps, so their ring phases
 * differ and one conv0 weight rotation cannot serve them all); before the forward pass each greedy environment's
 * observation is copied oldest frame first ({@link LandmarkEnv#copyCanonicalObservation}) into the next row of one
 * input block, as {@link Evaluator} does for lockstep evaluation episodes, and the network reads that block with
 * phase 0. The copy is 1.46 MB per agent and greedy environment, a bulk memcpy well under 1% of a forward pass
 * (the evaluator's measurement). On CUDA the input block is page-locked host memory ({@link ObservationBuffer} with
 * the device), so the forward's one host-to-device transfer of all N rows is a pinned (DMA) copy.
 *
 * <h2>Randomness, in one reproducible order</h2>
 * All draws come from the caller's generator, environment by environment (0, 1, ..., N-1) within a step: for each
 * environment {@code nextDouble() < epsilon} decides random (then one {@code nextInt(6)} per agent) or greedy.
 * Episodes that end in a step are restarted in environment order, each reset drawing its random spawn.
 *
 * <h2>Images</h2>
 * Every episode start takes the next image of the caller's sequence ({@link ImageSequence}): at the first start
 * environment 0 takes the first image, environment 1 the second, ...; afterwards, an environment whose episode
 * ended takes the next image, those ending in the same step in environment order. A seeded run is therefore
 * reproducible for a given N (and with N = 1 visits the images in the order of the one-environment loop).
 *
 * <h2>Replay: whole episodes</h2>
 * The replay memory stores an episode's records contiguously (a state's frames are the records before it,
 * {@link ReplayMemory}). So each environment stages its episode (locations, actions, rewards, terminal flags: a few
 * bytes per agent and step, preallocated for {@code steps_per_episode}) and writes it into the one replay memory
 * when the episode ends, episodes ending in the same step in environment order. Learning therefore sees an
 * episode's transitions once it has ended (with N = 1 the trainer keeps its step-by-step writes). An episode cut
 * short by a stop or the end of the warm-up is not stored.
 *
 * <p>Owns its environments and input block ({@link #close()}); never the volumes, the network or the replay memory.
 * Single-threaded; allocates nothing per step.
 */
public final class EnvironmentBatch implements AutoCloseable {
    /** Hands out the image index of each episode start, in start order. */
    public interface ImageSequence {
        int nextImage();
    }

    private final int envCount;
    private final int agents;
    private final int maxSteps;
    private final LandmarkEnv[] envs;
    private final ObservationBuffer input;

    // per-step scratch, allocated once
    private final int[] actions;      // [env][agent]
    private final float[] qValues;    // [env][agent][6]
    private final boolean[] greedy;   // [env]
    private final int[] greedyEnv;    // row -> env
    private final float[] qOut;       // [row][agent][6]
    private final float[] qRowScratch; // [agent][6]
    private final int[] finished;     // envs whose episode ended this step, in env order
    private int finishedCount;

    // the staged episode of each environment (see class comment)
    private final int[] imageId;
    private final int[] stagedSteps;
    private final int[] stagedX;      // [env][step 0..maxSteps][agent]
    private final int[] stagedY;
    private final int[] stagedZ;
    private final int[] stagedScale;  // [env][step]
    private final byte[] stagedAction; // [env][step][agent]
    private final float[] stagedReward;
    private final boolean[] stagedTerminal;
    // replay scratch
    private final int[] rx;
    private final int[] ry;
    private final int[] rz;
    private final int[] ra;
    private final float[] rr;
    private final boolean[] rt;

    // forward timing (what the benchmark reports per observation)
    private long forwardNanos;
    private long forwardObservations;
    private long forwardCalls;

    /**
     * @param envCount  environments, at least 1 ({@link TrainConfig#MAX_NUM_ENVS} is the CLI's bound)
     * @param agents    agents per environment
     * @param multiscale the training search of {@code --multiscale}
     * @param maxStepsPerEpisode {@code --steps_per_episode}
     * @param device    the online network's device: on CUDA the input block is pinned host memory
     */
    public EnvironmentBatch(int envCount, int agents, boolean multiscale, int maxStepsPerEpisode, Device device) {
        if (envCount < 1 || agents < 1 || maxStepsPerEpisode < 1) {
            throw new IllegalArgumentException("envCount=" + envCount + ", agents=" + agents + ", maxStepsPerEpisode="
                    + maxStepsPerEpisode + ", all required >= 1");
        }
        this.envCount = envCount;
        this.agents = agents;
        this.maxSteps = maxStepsPerEpisode;
        this.envs = new LandmarkEnv[envCount];
        EnvConfig config = EnvConfig.acting(Mode.TRAIN, agents, multiscale, maxStepsPerEpisode);
        ObservationBuffer in = null;
        try {
            in = ObservationBuffer.allocate(envCount, agents, FrameType.FLOAT32, device);
            for (int e = 0; e < envCount; e++) {
                envs[e] = LandmarkEnv.withOwnBuffer(config);
            }
        } catch (RuntimeException | Error failure) {
            for (LandmarkEnv env : envs) {
                if (env != null) {
                    env.close();
                }
            }
            if (in != null) {
                in.close();
            }
            throw failure;
        }
        this.input = in;
        int actionsPerStep = agents * ObservationGeometry.ACTIONS;
        this.actions = new int[envCount * agents];
        this.qValues = new float[envCount * actionsPerStep];
        this.greedy = new boolean[envCount];
        this.greedyEnv = new int[envCount];
        this.qOut = new float[envCount * actionsPerStep];
        this.qRowScratch = new float[actionsPerStep];
        this.finished = new int[envCount];
        this.imageId = new int[envCount];
        this.stagedSteps = new int[envCount];
        int records = maxStepsPerEpisode + 1;
        this.stagedX = new int[envCount * records * agents];
        this.stagedY = new int[envCount * records * agents];
        this.stagedZ = new int[envCount * records * agents];
        this.stagedScale = new int[envCount * records];
        this.stagedAction = new byte[envCount * maxStepsPerEpisode * agents];
        this.stagedReward = new float[envCount * maxStepsPerEpisode * agents];
        this.stagedTerminal = new boolean[envCount * maxStepsPerEpisode * agents];
        this.rx = new int[agents];
        this.ry = new int[agents];
        this.rz = new int[agents];
        this.ra = new int[agents];
        this.rr = new float[agents];
        this.rt = new boolean[agents];
    }

    public int size() { return envCount; }
    public int agents() { return agents; }

    /** Environment {@code e}, read-only use (locations, distances, score, steps). */
    public LandmarkEnv env(int e) { return envs[e]; }

    /** Image index of environment {@code e}'s current episode. */
    public int imageId(int e) { return imageId[e]; }

    /**
     * The actions of the last {@link #act} ({@code [e * agents + a]}); a caller may overwrite them before
     * {@link #step} (tests replay given actions this way).
     */
    public int[] actions() { return actions; }

    /**
     * The Q-values of the last {@link #act} ({@code [(e * agents + a) * 6 + action]}; zeros for an environment that
     * acted at random): what each environment's step records in its agents' histories.
     */
    public float[] qValues() { return qValues; }

    /** Starts an episode in every environment, in environment order (see the class comment). */
    public void startAll(List<LabelledImage> images, ImageSequence sequence, SplittableRandom random) {
        for (int e = 0; e < envCount; e++) {
            start(e, images, sequence, random);
        }
        finishedCount = 0;
    }

    private void start(int e, List<LabelledImage> images, ImageSequence sequence, SplittableRandom random) {
        int id = sequence.nextImage();
        LabelledImage image = images.get(id);
        LandmarkEnv env = envs[e];
        env.reset(image.volume(), image.landmarks(), Spawn.random(), random);
        imageId[e] = id;
        stagedSteps[e] = 0;
        stageObservation(e, 0);
    }

    /**
     * Chooses every environment's actions: per environment (in order) a random action with probability
     * {@code epsilon}, else the argmax of the Q-values of one forward pass over all greedy environments. A random
     * action records zero Q-values, as published.
     */
    public void act(QNetwork online, SplittableRandom random, double epsilon) {
        int rows = 0;
        for (int e = 0; e < envCount; e++) {
            if (random.nextDouble() < epsilon) {
                greedy[e] = false;
                for (int a = 0; a < agents; a++) {
                    actions[e * agents + a] = random.nextInt(ObservationGeometry.ACTIONS);
                }
                Arrays.fill(qValues, e * agents * ObservationGeometry.ACTIONS, (e + 1) * agents * ObservationGeometry.ACTIONS,
                        0f);
            } else {
                greedy[e] = true;
                envs[e].frames().copyCanonicalTo(input.ring(rows));
                greedyEnv[rows++] = e;
            }
        }
        if (rows == 0) {
            return;
        }
        long t = System.nanoTime();
        online.forward(input, rows, qOut);
        forwardNanos += System.nanoTime() - t;
        forwardObservations += rows;
        forwardCalls++;
        int width = agents * ObservationGeometry.ACTIONS;
        for (int r = 0; r < rows; r++) {
            int e = greedyEnv[r];
            System.arraycopy(qOut, r * width, qValues, e * width, width);
            for (int a = 0; a < agents; a++) {
                actions[e * agents + a] = Evaluator.argmax(qOut, r * width + a * ObservationGeometry.ACTIONS);
            }
        }
    }

    /**
     * Steps every environment with {@link #actions()} (and the Q-values of the last {@link #act}; zeros when it was
     * not called) and stages the transitions. Returns how many episodes ended; {@link #finished(int)} names them.
     */
    public int step() {
        finishedCount = 0;
        int width = agents * ObservationGeometry.ACTIONS;
        for (int e = 0; e < envCount; e++) {
            LandmarkEnv env = envs[e];
            // the environment reads one row of actions and Q-values; copy into the per-agent scratch
            System.arraycopy(actions, e * agents, ra, 0, agents);
            env.step(ra, qRow(e, width));
            int s = stagedSteps[e];
            int at = (e * maxSteps + s) * agents;
            for (int a = 0; a < agents; a++) {
                stagedAction[at + a] = (byte) ra[a];
                stagedReward[at + a] = (float) env.reward(a);
                stagedTerminal[at + a] = env.terminal(a);
            }
            stagedSteps[e] = s + 1;
            stageObservation(e, s + 1);
            if (env.isOver()) {
                finished[finishedCount++] = e;
            }
        }
        return finishedCount;
    }

    private float[] qRow(int e, int width) {
        // the environment reads agents x 6 values from offset 0: hand it environment e's row
        System.arraycopy(qValues, e * width, qRowScratch, 0, width);
        return qRowScratch;
    }

    /** The {@code i}-th environment (in environment order) whose episode ended in the last {@link #step}. */
    public int finished(int i) {
        if (i < 0 || i >= finishedCount) {
            throw new IndexOutOfBoundsException("finished " + i + " of " + finishedCount);
        }
        return finished[i];
    }

    public int finishedCount() { return finishedCount; }

    /** Writes environment {@code e}'s finished episode into {@code replay}, as whole-episode records. */
    public void store(int e, ReplayMemory replay) {
        readStaged(e, 0);
        replay.beginEpisode(imageId[e], rx, ry, rz, stagedScale[e * (maxSteps + 1)]);
        int steps = stagedSteps[e];
        for (int s = 0; s < steps; s++) {
            int at = (e * maxSteps + s) * agents;
            for (int a = 0; a < agents; a++) {
                ra[a] = stagedAction[at + a];
                rr[a] = stagedReward[at + a];
                rt[a] = stagedTerminal[at + a];
            }
            readStaged(e, s + 1);
            replay.recordStep(ra, rr, rt, rx, ry, rz, stagedScale[e * (maxSteps + 1) + s + 1]);
        }
    }

    /** Restarts environment {@code e} on the next image (after {@link #store} or to drop its episode). */
    public void restart(int e, List<LabelledImage> images, ImageSequence sequence, SplittableRandom random) {
        start(e, images, sequence, random);
    }

    private void stageObservation(int e, int step) {
        LandmarkEnv env = envs[e];
        int at = (e * (maxSteps + 1) + step) * agents;
        for (int a = 0; a < agents; a++) {
            stagedX[at + a] = env.location(a, 0);
            stagedY[at + a] = env.location(a, 1);
            stagedZ[at + a] = env.location(a, 2);
        }
        stagedScale[e * (maxSteps + 1) + step] = env.scale();
    }

    private void readStaged(int e, int step) {
        int at = (e * (maxSteps + 1) + step) * agents;
        for (int a = 0; a < agents; a++) {
            rx[a] = stagedX[at + a];
            ry[a] = stagedY[at + a];
            rz[a] = stagedZ[at + a];
        }
    }

    /** Nanoseconds spent in the batched forward passes so far. */
    public long forwardNanos() { return forwardNanos; }
    /** Observations (environments) those forward passes acted for. */
    public long forwardObservations() { return forwardObservations; }
    public long forwardCalls() { return forwardCalls; }

    @Override
    public void close() {
        for (LandmarkEnv env : envs) {
            if (env != null) {
                env.close();
            }
        }
        input.close();
    }
}
