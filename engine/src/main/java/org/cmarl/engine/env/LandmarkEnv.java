package org.cmarl.engine.env;

import java.util.Arrays;
import java.util.SplittableRandom;

import org.cmarl.engine.memory.NativeBlock;
import org.cmarl.engine.observation.FrameRing;
import org.cmarl.engine.observation.ObservationGeometry;
import org.cmarl.engine.observation.ObservationLayout;
import org.cmarl.engine.volume.Volume;

/**
 * The multi-agent landmark environment: A agents moving on one image, each seeing a 45^3 ROI (SPEC.md section 3).
 *
 * <h2>Episode</h2>
 * {@link #reset} puts the agents on an image and writes the first ROI; each {@link #step} takes one action (0..5)
 * and one row of 6 Q-values per agent and then exposes, without allocating, the per-agent results: location,
 * {@link #refused}, {@link #reward}, {@link #terminal}, {@link #distanceMm}, and the shared {@link #oscillated()},
 * {@link #scale()}, {@link #stepVoxels()}, {@link #isOver()}. Stepping an episode that is over is an
 * {@link IllegalStateException}: in EVAL and PLAY every agent ends on the same step (the final oscillation), so no
 * agent ever needs a no-op; in TRAIN see {@link EnvConfig#freezeDoneAgents()} (default false, the published
 * behaviour: done agents are NOT frozen, the terminal flag is re-evaluated every step, and the episode is over when
 * every agent is terminal on the same step, at the final oscillation, or at {@link EnvConfig#maxStepsPerEpisode()}).
 *
 * <h2>Observation: frames as a ring</h2>
 * The environment writes ROI frames straight into native memory laid out as {@link ObservationLayout}
 * {@code (agents, 4, 45, 45, 45)} (one batch entry of the network input), never moving a frame once written: the
 * memory is a {@link FrameRing} ({@link #frames()}), each agent's 4 slots a ring shared by all agents with one phase,
 * which the ring itself carries ({@link FrameRing#oldestSlot()}), so a network reading it needs nothing else.
 * <ul>
 *   <li>After {@link #reset}: all 4 slots zeroed, the spawn ROI written in slot 0, oldest slot 1.</li>
 *   <li>Each step overwrites the oldest slot with the new ROI and advances the ring.</li>
 *   <li>A new frame may be derived from the agent's newest frame ({@link RoiExtractor#extractAfter}: a whole copy
 *       after a refused move, a shifted copy plus the new planes after a whole-cell move along x or y), so the
 *       ring belongs to the environment: a caller reads it but never writes into it between {@link #reset} and the
 *       episode's end (the networks and the evaluator only read).</li>
 *   <li>{@link FrameRing#copyCanonicalTo} writes the frames oldest first (the published byte order) for hashing,
 *       parity and batched evaluation; {@link FrameRing#newestFrameOffset(int)} locates the newest frame (what the
 *       replay path stores).</li>
 * </ul>
 *
 * <h2>Randomness</h2>
 * Only random spawns draw numbers, from the caller's {@link SplittableRandom}, so a seeded run reproduces.
 *
 * <p>Owns the block it allocates itself ({@link #withOwnBuffer}) and its {@link DecimatedPlane}s (when
 * {@link EnvConfig#decimatedScales()}), all freed by {@link #close()}; never owns volumes or a caller's buffer.
 * Not thread-safe.
 */
public final class LandmarkEnv implements AutoCloseable {
    /** An agent within this distance is a success; in TRAIN, the terminal threshold on the distance before a step. */
    public static final double SUCCESS_DISTANCE_MM = 1.0;

    private static final int MULTISCALE_START_SCALE = 3;
    private static final int MULTISCALE_START_STEP_VOXELS = 9;
    private static final int Q = ObservationGeometry.ACTIONS;

    private final EnvConfig config;
    private final int agents;
    private final ObservationLayout layout;
    /** {@link #frameKey} of a zero frame (before an episode's first). */
    public static final long NO_FRAME = 0L;
    /** Set in every key of a real frame; below it, the scale (bits 32-33) and the voxel index (< 2^29, Volume). */
    private static final long FRAME_PRESENT = 1L << 62;

    /** Where the frames go, with their order; over the caller's block or {@link #ownBlock}. */
    private final FrameRing frames;
    /** The block allocated by {@link #withOwnBuffer}, freed by {@link #close()}; null when the ring is the caller's. */
    private final NativeBlock ownBlock;

    // per agent, [agent * 3 + axis]
    private final int[] location;
    private final int[] movedLocation;
    private final int[] startLocation;
    private final int[] landmark;
    private final double[] distanceMm;
    private final double[] reward;
    private final double[] score;
    private final boolean[] refused;
    private final boolean[] terminal;
    private final boolean[] frozen;
    private final int[] successCount;
    private final RoiWindow[] windows;
    /** Each agent's window of the newest frame before the current push (swapped with {@link #windows}). */
    private final RoiWindow[] previousWindows;
    /**
     * Per agent and ring slot ({@code [agent * FRAMES + slot]}): which ROI the slot holds ({@link #frameKey}), or
     * {@link #NO_FRAME} for the zeros before an episode's first frame.
     */
    private final long[] frameKeys;
    /** True when the newest slot holds a frame of this episode that the next push may reuse. */
    private boolean hasPreviousFrame;
    /** Index = scale; null entries when {@link EnvConfig#decimatedScales()} is off or for scale 1. */
    private final DecimatedPlane[] decimated = new DecimatedPlane[MULTISCALE_START_SCALE + 1];
    private final AgentHistory[] histories;
    /** The image's size per axis, set at reset: the step loop reads it without allocating. */
    private final int[] dims = new int[3];
    // float Q-values converted to double, agent-major
    private final double[] qScratch;

    private Volume image;
    private boolean hasLandmarks;
    private int scale;
    private int stepVoxels;
    private int steps;
    private boolean oscillated;
    private boolean over;
    private boolean active;
    private boolean closed;

    /**
     * An environment writing its frames into {@code frames}, e.g. batch entry {@code b} of the network input
     * ({@code ObservationBuffer.ring(b)}). The caller keeps ownership of the memory and must not close it while this
     * environment is used (a closed block is an {@link IllegalStateException} on the next write). The ring's bounds
     * were checked when it was made over its block.
     *
     * @throws IllegalArgumentException when the ring is null or holds another agent count or frame type
     */
    public LandmarkEnv(EnvConfig config, FrameRing frames) {
        this(config, frames, null);
    }

    /** An environment owning a zeroed observation block of exactly one batch entry, freed by {@link #close()}. */
    public static LandmarkEnv withOwnBuffer(EnvConfig config) {
        if (config == null) {
            throw new IllegalArgumentException("config is null");
        }
        ObservationLayout layout = new ObservationLayout(config.agents(), config.frameType());
        NativeBlock block = NativeBlock.allocate(layout.batchEntryBytes(), Volume.ALIGNMENT_BYTES);
        return new LandmarkEnv(config, new FrameRing(block, 0, layout), block);
    }

    private LandmarkEnv(EnvConfig config, FrameRing frames, NativeBlock ownBlock) {
        if (config == null) {
            throw new IllegalArgumentException("config is null");
        }
        if (frames == null) {
            throw new IllegalArgumentException("observation frames are null");
        }
        this.config = config;
        this.agents = config.agents();
        this.layout = frames.layout();
        if (layout.agents() != agents || layout.frameType() != config.frameType()) {
            throw new IllegalArgumentException("observation of " + layout.agents() + " agents ("
                    + layout.frameType() + ") given to an environment of " + agents + " agents ("
                    + config.frameType() + ")");
        }
        this.frames = frames;
        this.ownBlock = ownBlock;
        this.location = new int[agents * 3];
        this.movedLocation = new int[agents * 3];
        this.startLocation = new int[agents * 3];
        this.landmark = new int[agents * 3];
        this.distanceMm = new double[agents];
        this.reward = new double[agents];
        this.score = new double[agents];
        this.refused = new boolean[agents];
        this.terminal = new boolean[agents];
        this.frozen = new boolean[agents];
        this.successCount = new int[agents];
        this.windows = new RoiWindow[agents];
        this.histories = new AgentHistory[agents];
        this.qScratch = new double[agents * Q];
        this.previousWindows = new RoiWindow[agents];
        this.frameKeys = new long[agents * ObservationGeometry.FRAMES];
        for (int a = 0; a < agents; a++) {
            windows[a] = new RoiWindow();
            previousWindows[a] = new RoiWindow();
            histories[a] = new AgentHistory();
        }
        if (config.decimatedScales() && config.multiscale()) {
            for (int s = 2; s <= MULTISCALE_START_SCALE; s++) {
                decimated[s] = new DecimatedPlane(s, config.frameType());
            }
        }
    }

    /**
     * Starts an episode on {@code image}.
     *
     * @param image     the normalised volume; not owned, must stay open during the episode
     * @param landmarks one {@code (x, y, z)} voxel per agent for TRAIN and EVAL; must be null in PLAY
     * @param spawn     where the agents start
     * @param random    source of random spawns (may be null for fixed and landmark spawns)
     * @throws IllegalArgumentException on a landmark outside the image, a wrong number of landmarks or spawn rows,
     *                                  landmarks in PLAY, a spawn on the landmark in PLAY, or a random spawn without
     *                                  a generator
     */
    public void reset(Volume image, int[][] landmarks, Spawn spawn, SplittableRandom random) {
        checkOpen();
        if (image == null || image.isClosed()) {
            throw new IllegalArgumentException("image is " + (image == null ? "null" : "closed: " + image.name()));
        }
        if (spawn == null) {
            throw new IllegalArgumentException("spawn is null, expected Spawn.random(), Spawn.fixed(...) or "
                    + "Spawn.onLandmark()");
        }
        final boolean play = config.mode() == Mode.PLAY;
        if (play) {
            if (landmarks != null) {
                throw new IllegalArgumentException("play mode has no landmarks, got " + landmarks.length);
            }
            if (spawn.kind() == Spawn.Kind.ON_LANDMARK) {
                throw new IllegalArgumentException("spawn on the landmark is impossible in play mode: play has no "
                        + "landmarks; use a random or fixed spawn");
            }
        } else {
            checkLandmarks(image, landmarks);
        }
        if (spawn.kind() == Spawn.Kind.RANDOM && random == null) {
            throw new IllegalArgumentException("random spawn needs a SplittableRandom, got null");
        }
        if (spawn.kind() == Spawn.Kind.FIXED && spawn.rows() != 1 && spawn.rows() != agents) {
            throw new IllegalArgumentException("fixed spawn has " + spawn.rows() + " rows, expected 1 or "
                    + agents + " (one per agent)");
        }
        if (!play) {
            for (int a = 0; a < agents; a++) {
                landmark[a * 3] = landmarks[a][0];
                landmark[a * 3 + 1] = landmarks[a][1];
                landmark[a * 3 + 2] = landmarks[a][2];
            }
        }
        dims[0] = image.nx();
        dims[1] = image.ny();
        dims[2] = image.nz();
        switch (spawn.kind()) {
            case RANDOM -> {
                for (int axis = 0; axis < 3; axis++) {
                    int dim = dims[axis];
                    int margin = config.mode() == Mode.TRAIN ? dim / 5 : dim / 4;
                    for (int a = 0; a < agents; a++) {
                        location[a * 3 + axis] = random.nextInt(margin, dim - margin);
                    }
                }
            }
            case FIXED -> {
                for (int a = 0; a < agents; a++) {
                    for (int axis = 0; axis < 3; axis++) {
                        location[a * 3 + axis] = spawn.fixedCoordinate(a, axis, dims[axis]);
                    }
                }
            }
            case ON_LANDMARK -> System.arraycopy(landmark, 0, location, 0, agents * 3);
            default -> throw new IllegalStateException("unknown spawn " + spawn);
        }
        this.image = image;
        this.hasLandmarks = !play;
        System.arraycopy(location, 0, startLocation, 0, agents * 3);
        System.arraycopy(location, 0, movedLocation, 0, agents * 3);
        scale = config.multiscale() ? MULTISCALE_START_SCALE : 1;
        stepVoxels = config.multiscale() ? MULTISCALE_START_STEP_VOXELS : 1;
        steps = 0;
        oscillated = false;
        over = false;
        active = true;
        Arrays.fill(reward, 0.0);
        Arrays.fill(score, 0.0);
        Arrays.fill(refused, false);
        Arrays.fill(terminal, false);
        Arrays.fill(frozen, false);
        clearHistories();
        for (int a = 0; a < agents; a++) {
            distanceMm[a] = hasLandmarks ? distanceToLandmarkMm(a, location) : 0.0;
        }
        // Frames before the first are zeros (SPEC.md section 3): slots 1..3 zeroed, then the spawn ROI pushed into
        // slot 0, which the ROI copy writes in full.
        frames.startHistory();
        Arrays.fill(frameKeys, NO_FRAME);
        hasPreviousFrame = false;
        pushFrames();
    }

    private void checkLandmarks(Volume image, int[][] landmarks) {
        if (landmarks == null || landmarks.length != agents) {
            throw new IllegalArgumentException("expected " + agents + " landmarks (one per agent) for mode "
                    + config.mode() + ", got " + (landmarks == null ? "null" : landmarks.length));
        }
        for (int a = 0; a < agents; a++) {
            int[] l = landmarks[a];
            if (l == null || l.length != 3 || !image.contains(l[0], l[1], l[2])) {
                throw new IllegalArgumentException("landmark of agent " + a + " = " + Arrays.toString(l)
                        + " is outside image " + image.name() + " of " + image.nx() + "x" + image.ny() + "x"
                        + image.nz() + " voxels");
            }
        }
    }

    /** {@link #step(int[], double[])} with float Q-values (the network's output), converted exactly to double. */
    public void step(int[] actions, float[] qValues) {
        checkQLength(qValues == null ? -1 : qValues.length);
        double[] dst = qScratch;
        if (qValues != null) {
            for (int i = 0; i < qValues.length; i++) {
                dst[i] = qValues[i];
            }
        }
        step(actions, qValues == null ? null : dst);
    }


    /**
     * One step of every agent (SPEC.md section 3, "Step").
     *
     * @param actions one action 0..5 per agent (ignored for agents frozen by {@link EnvConfig#freezeDoneAgents()})
     * @param qValues {@code agents * 6} values, agent-major: the Q-values that chose each action (zeros for a random
     *                action); null means all zeros. Only the jump after an oscillation reads them
     * @throws IllegalArgumentException on a wrong array length, an action outside 0..5 or a non-finite Q-value; the
     *                                  environment is unchanged
     * @throws IllegalStateException    when the episode is over or was never reset, or after close
     */
    public void step(int[] actions, double[] qValues) {
        checkOpen();
        if (!active) {
            throw new IllegalStateException("no episode: call reset first");
        }
        if (over) {
            throw new IllegalStateException("episode is over after " + steps + " steps: call reset");
        }
        if (actions == null || actions.length != agents) {
            throw new IllegalArgumentException("expected " + agents + " actions, got "
                    + (actions == null ? "null" : actions.length));
        }
        for (int a = 0; a < agents; a++) {
            if (!frozen[a]) {
                Actions.check(a, actions[a]);
            }
        }
        checkQLength(qValues == null ? -1 : qValues.length);
        if (qValues != null) {
            for (int i = 0; i < qValues.length; i++) {
                if (!Double.isFinite(qValues[i])) {
                    throw new IllegalArgumentException("Q-value " + (i % Q) + " of agent " + (i / Q) + " = "
                            + qValues[i] + ", expected a finite number");
                }
            }
        }
        final boolean play = config.mode() == Mode.PLAY;
        final boolean train = config.mode() == Mode.TRAIN;
        final int[] dims = this.dims;

        // 1. move (or refuse) and 2. reward
        for (int a = 0; a < agents; a++) {
            final int base = a * 3;
            movedLocation[base] = location[base];
            movedLocation[base + 1] = location[base + 1];
            movedLocation[base + 2] = location[base + 2];
            refused[a] = false;
            if (frozen[a]) {
                reward[a] = 0.0;
                continue;
            }
            final int axis = Actions.axis(actions[a]);
            final int target = location[base + axis] + Actions.sign(actions[a]) * stepVoxels;
            // [quirk] SPEC.md section 3: '+' moves refused at >= dim, '-' moves at <= 0 (0 is never entered).
            if (Actions.sign(actions[a]) > 0 ? target >= dims[axis] : target <= 0) {
                refused[a] = true;
            } else {
                movedLocation[base + axis] = target;
            }
            if (!play) {
                reward[a] = refused[a] ? -1.0
                        : distanceToLandmarkMm(a, location) - distanceToLandmarkMm(a, movedLocation);
            }
        }
        System.arraycopy(movedLocation, 0, location, 0, agents * 3);

        // 3. [quirk] SPEC.md section 3: in training, terminal when the distance BEFORE this step was <= 1 mm.
        for (int a = 0; a < agents; a++) {
            terminal[a] = frozen[a];
            if (train && !frozen[a] && distanceMm[a] <= SUCCESS_DISTANCE_MM) {
                terminal[a] = true;
                successCount[a]++;
            }
        }

        // 4. distances and histories
        for (int a = 0; a < agents; a++) {
            if (!play) {
                distanceMm[a] = distanceToLandmarkMm(a, location);
            }
            histories[a].append(location[a * 3], location[a * 3 + 1], location[a * 3 + 2], qValues, a * Q);
        }

        // 5. oscillation of every agent, 6. jump, scale step or end
        oscillated = allAgentsOscillate();
        if (oscillated) {
            for (int a = 0; a < agents; a++) {
                jumpToLowestMaxQ(a);
                if (!play) {
                    distanceMm[a] = distanceToLandmarkMm(a, location);
                }
            }
            if (config.multiscale() && scale > 1) {
                scale -= 1;
                stepVoxels /= 3;
                clearHistories();
            } else {
                for (int a = 0; a < agents; a++) {
                    terminal[a] = true;
                    if (distanceMm[a] <= SUCCESS_DISTANCE_MM) {
                        successCount[a]++;
                    }
                }
                over = true;
            }
        }

        pushFrames();

        steps++;
        boolean allTerminal = true;
        for (int a = 0; a < agents; a++) {
            score[a] += reward[a];
            allTerminal &= terminal[a];
            if (config.freezeDoneAgents() && terminal[a]) {
                frozen[a] = true;
            }
        }
        if (allTerminal || steps >= config.maxStepsPerEpisode()) {
            over = true;
        }
    }

    private void checkQLength(int length) {
        if (length != -1 && length != agents * Q) {
            throw new IllegalArgumentException("expected " + (agents * Q) + " Q-values (" + agents + " agents x 6), got "
                    + length);
        }
    }

    private void clearHistories() {
        for (int a = 0; a < agents; a++) {
            histories[a].clear();
        }
    }

    /** SPEC.md section 3 point 5: the oscillation test of every agent ({@link AgentHistory#oscillates()}). */
    private boolean allAgentsOscillate() {
        for (int a = 0; a < agents; a++) {
            if (!histories[a].oscillates()) {
                return false;
            }
        }
        return true;
    }

    /** [quirk] SPEC.md section 3 point 6: to the LOWEST max-Q entry of the last 4 ({@link AgentHistory#jumpEntry}). */
    private void jumpToLowestMaxQ(int a) {
        final AgentHistory h = histories[a];
        final int entry = h.jumpEntry();
        location[a * 3] = h.location(entry, 0);
        location[a * 3 + 1] = h.location(entry, 1);
        location[a * 3 + 2] = h.location(entry, 2);
    }

    /** Published {@code calcDistance}: {@code norm(spacing * a - spacing * b)} in mm. */
    private double distanceToLandmarkMm(int a, int[] locations) {
        final Volume v = image;
        double sum = 0;
        for (int axis = 0; axis < 3; axis++) {
            double s = v.spacingMm(axis);
            double d = s * locations[a * 3 + axis] - s * landmark[a * 3 + axis];
            sum += d * d;
        }
        return Math.sqrt(sum);
    }

    /** Writes every agent's ROI at its current location and scale into the oldest slot, then advances the ring. */
    private void pushFrames() {
        final long base = frames.address();
        final Volume v = image;
        final DecimatedPlane plane = decimated[scale];
        if (plane != null) {
            plane.ensureBuiltFor(v); // built lazily: an episode may never reach this scale
        }
        final int oldestSlot = frames.oldestSlot();
        final int newestSlot = frames.newestSlot();
        for (int a = 0; a < agents; a++) {
            // the window of the frame now in the newest slot becomes "previous"; the freed object takes the new one
            RoiWindow w = previousWindows[a];
            previousWindows[a] = windows[a];
            windows[a] = w;
            w.set(scale, location[a * 3], location[a * 3 + 1], location[a * 3 + 2], v.nx(), v.ny(), v.nz());
            frameKeys[a * ObservationGeometry.FRAMES + oldestSlot] = FRAME_PRESENT | (long) scale << 32
                    | ((long) location[a * 3] * v.ny() + location[a * 3 + 1]) * v.nz() + location[a * 3 + 2];
            long dst = base + layout.frameOffset(a, oldestSlot);
            if (hasPreviousFrame && RoiExtractor.extractAfter(v, w, previousWindows[a], config.frameType(), dst,
                    base + layout.frameOffset(a, newestSlot))) {
                continue;
            }
            if (plane != null) {
                plane.extract(w, dst);
            } else {
                RoiExtractor.extract(v, w, config.frameType(), dst);
            }
        }
        hasPreviousFrame = true;
        frames.advance();
    }

    /**
     * The observation this environment writes, with its frame order: read it (a network's input row, a canonical
     * copy, the newest frame for replay) but do not write into it during an episode.
     */
    public FrameRing frames() {
        checkOpen();
        return frames;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("environment is closed");
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (DecimatedPlane plane : decimated) {
            if (plane != null) {
                plane.close();
            }
        }
        if (ownBlock != null) {
            ownBlock.close();
        }
    }

    public EnvConfig config() { return config; }
    public ObservationLayout layout() { return layout; }
    public int agents() { return agents; }
    /** Current location (after any jump) of the agent on axis 0 = x, 1 = y, 2 = z. */
    public int location(int agent, int axis) { return location[agent * 3 + axis]; }
    /** Location after the last move, before any oscillation jump. */
    public int movedLocation(int agent, int axis) { return movedLocation[agent * 3 + axis]; }
    public int startLocation(int agent, int axis) { return startLocation[agent * 3 + axis]; }
    public int landmark(int agent, int axis) { return landmark[agent * 3 + axis]; }
    /** Distance to the landmark in mm after the last step (after any jump); 0 in PLAY. */
    public double distanceMm(int agent) { return distanceMm[agent]; }
    /** Reward of the last step: -1 if refused, else the distance decrease in mm; 0 in PLAY. */
    public double reward(int agent) { return reward[agent]; }
    /** The agent's own reward sum over this episode. */
    public double score(int agent) { return score[agent]; }
    public boolean refused(int agent) { return refused[agent]; }
    /** Terminal flag of the last step (not sticky unless {@link EnvConfig#freezeDoneAgents()}). */
    public boolean terminal(int agent) { return terminal[agent]; }
    /**
     * Published success counter of the agent since this environment was built: +1 on each TRAIN step whose starting
     * distance was <= 1 mm, and +1 at an episode-ending oscillation within 1 mm (in PLAY the distance is 0, so
     * every end counts, as published).
     */
    public int successCount(int agent) { return successCount[agent]; }
    /** True when the last step's all-agents oscillation test fired. */
    public boolean oscillated() { return oscillated; }
    /** Sampling stride of the ROI: 3, 2 or 1. */
    public int scale() { return scale; }

    /**
     * What frame {@code age} of {@code agent} shows ({@code age} 0 = the oldest of the 4, 3 = the newest): its
     * scale and its centre voxel's linear index, packed into one long, or {@link #NO_FRAME} for a zero frame from
     * before the episode's first. An ROI is a function of the image, the centre and the scale alone (SPEC.md
     * section 3; extraction that reuses the previous frame gives the same voxels, {@code FrameReuseTest}), so on one
     * image two observations with the same keys hold the same values: evaluation reuses a repeated observation's
     * Q-values by these keys.
     */
    public long frameKey(int agent, int age) {
        if (age < 0 || age >= ObservationGeometry.FRAMES) {
            throw new IllegalArgumentException("frame age " + age + ", expected 0.." + (ObservationGeometry.FRAMES - 1));
        }
        return frameKeys[agent * ObservationGeometry.FRAMES + ObservationGeometry.slotOf(frames.oldestSlot(), age)];
    }
    public int stepVoxels() { return stepVoxels; }
    /** Steps taken in this episode. */
    public int steps() { return steps; }
    public boolean isOver() { return over; }
    /** The clamped crop window of the agent's newest frame. */
    public RoiWindow window(int agent) { return windows[agent]; }
    public Volume image() { return image; }
}
