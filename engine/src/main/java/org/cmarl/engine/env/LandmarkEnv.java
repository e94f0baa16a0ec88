package org.cmarl.engine.env;

import java.util.Arrays;
import java.util.SplittableRandom;

import org.agrona.UnsafeApi;
import org.cmarl.engine.memory.NativeBlock;
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
 * <h2>Observation: frames as a ring in the caller's buffer</h2>
 * The environment writes ROI frames straight into native memory laid out as {@link ObservationLayout}
 * {@code (agents, 4, 45, 45, 45)} (one batch entry of the network input), never moving a frame once written:
 * each agent's 4 slots form a ring shared by all agents with one phase.
 * <ul>
 *   <li>{@link #oldestSlot()} = {@code p}: canonical frame {@code k} (0 = oldest, 3 = newest, SPEC.md section 3
 *       order) is in slot {@code (p + k) & 3}; the newest frame (the ROI after the latest step, or the spawn ROI
 *       after reset) is in slot {@code (p + 3) & 3}.</li>
 *   <li>After {@link #reset}: all 4 slots zeroed, the spawn ROI written in slot 0, {@code p = 1}.</li>
 *   <li>Each step overwrites slot {@code p} (the oldest) with the new ROI, then {@code p = (p + 1) & 3}.</li>
 *   <li>A network reading the buffer as {@code (frames, x, y, z)} sees channel {@code c} = canonical frame
 *       {@code (c - p) & 3}; it computes exactly the published network if conv0's input-channel weight slice for
 *       channel {@code c} is the published slice {@code (c - p) & 3}: {@code W'[:, c] = W[:, (c - p) & 3]}.</li>
 *   <li>A new frame may be derived from the agent's newest frame ({@link RoiExtractor#extractAfter}: a whole copy
 *       after a refused move, a shifted copy plus the new planes after a whole-cell move along x or y), so the
 *       ring belongs to the environment: a caller reads it but never writes into it between {@link #reset} and the
 *       episode's end (the networks and the evaluator only read).</li>
 *   <li>{@link #copyCanonicalObservation} writes the frames oldest first (the published byte order) for hashing and
 *       parity; {@link #newestFrameOffset(int)} locates the newest frame (what the replay path stores).</li>
 * </ul>
 *
 * <h2>Randomness</h2>
 * Only random spawns draw numbers, from the caller's {@link SplittableRandom}, so a seeded run reproduces.
 *
 * <p>Owns the buffer it allocates itself ({@link #withOwnBuffer}) and its {@link DecimatedPlane}s (when
 * {@link EnvConfig#decimatedScales()}), all freed by {@link #close()}; never owns volumes or a caller's buffer.
 * Not thread-safe.
 */
public final class LandmarkEnv implements AutoCloseable {
    /** Location / Q-value history length (SPEC.md section 3). */
    public static final int HISTORY_LENGTH = 20;
    /** Oscillation threshold (SPEC.md section 3; the published {@code oscillations_allowed}). */
    public static final int OSCILLATION_THRESHOLD = 4;
    /** History entries the jump chooses from. */
    public static final int JUMP_CANDIDATES = 4;
    /** An agent within this distance is a success; in TRAIN, the terminal threshold on the distance before a step. */
    public static final double SUCCESS_DISTANCE_MM = 1.0;

    private static final int MULTISCALE_START_SCALE = 3;
    private static final int MULTISCALE_START_STEP_VOXELS = 9;
    private static final int Q = Actions.COUNT;

    private final EnvConfig config;
    private final int agents;
    private final ObservationLayout layout;
    /** The caller's block (or null when the caller passed a raw address); checked open on every frame write. */
    private final NativeBlock observationBlock;
    /** Offset into the block, or the raw address itself when there is no block. */
    private final long observationOffsetBytes;
    private final boolean ownsBlock;

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
    /** True when the newest slot holds a frame of this episode that the next push may reuse. */
    private boolean hasPreviousFrame;
    /** Index = scale; null entries when {@link EnvConfig#decimatedScales()} is off or for scale 1. */
    private final DecimatedPlane[] decimated = new DecimatedPlane[MULTISCALE_START_SCALE + 1];
    // histories, oldest entry first: [agent][entry * 3 + axis] and [agent][entry * 6 + action]
    private final int[][] locationHistory;
    private final double[][] qHistory;
    // scratch of the oscillation test: distinct values in first-occurrence order and their counts
    private final int[] distinct = new int[HISTORY_LENGTH * 3];
    private final int[] counts = new int[HISTORY_LENGTH];
    /** The image's size per axis, set at reset: the step loop reads it without allocating. */
    private final int[] dims = new int[3];
    // float Q-values converted to double, agent-major
    private final double[] qScratch;

    private Volume image;
    private boolean hasLandmarks;
    private int scale;
    private int stepVoxels;
    private int oldestSlot;
    private int steps;
    private boolean oscillated;
    private boolean over;
    private boolean active;
    private boolean closed;

    /**
     * An environment writing its frames into {@code observationBlock} from {@code offsetBytes} on, one
     * {@link ObservationLayout#batchEntryBytes()} region (e.g. batch entry {@code b} of a network input: offset
     * {@code layout.frameOffset(b, 0, 0)}). The caller keeps ownership of the block and must not close it while
     * this environment is used (a closed block is an {@link IllegalStateException} on the next write).
     *
     * @throws IllegalArgumentException when the region does not fit in the block
     */
    public LandmarkEnv(EnvConfig config, NativeBlock observationBlock, long offsetBytes) {
        this(config, observationBlock, offsetBytes, false);
    }

    /**
     * An environment writing its frames at a raw native address, e.g. batch entry {@code b} of the network's input
     * buffer: {@code observationBuffer.address() + observationBuffer.frameOffsetBytes(b, 0, 0)}. The caller keeps
     * that memory alive and unmoved for as long as this environment is used (nothing here can check it).
     *
     * @param lengthBytes bytes available at {@code address}; must be at least {@link ObservationLayout#batchEntryBytes()}
     * @throws IllegalArgumentException on a zero address or a region that is too small
     */
    public LandmarkEnv(EnvConfig config, long address, long lengthBytes) {
        this(config, null, checkAddress(address), false, lengthBytes);
    }

    private static long checkAddress(long address) {
        if (address == 0) {
            throw new IllegalArgumentException("observation address is 0 (null pointer)");
        }
        return address;
    }

    /** An environment owning a zeroed observation buffer of exactly one batch entry, freed by {@link #close()}. */
    public static LandmarkEnv withOwnBuffer(EnvConfig config) {
        ObservationLayout layout = new ObservationLayout(config.agents(), config.frameType());
        NativeBlock block = NativeBlock.allocate(layout.batchEntryBytes(), Volume.ALIGNMENT_BYTES);
        return new LandmarkEnv(config, block, 0, true);
    }

    private LandmarkEnv(EnvConfig config, NativeBlock block, long offsetBytes, boolean ownsBlock) {
        this(config, requireBlock(block), offsetBytes, ownsBlock, block.capacityBytes());
    }

    private static NativeBlock requireBlock(NativeBlock block) {
        if (block == null) {
            throw new IllegalArgumentException("observation block is null");
        }
        block.address(); // fails now on a closed block
        return block;
    }

    private LandmarkEnv(EnvConfig config, NativeBlock block, long offsetBytes, boolean ownsBlock, long capacityBytes) {
        if (config == null) {
            throw new IllegalArgumentException("config is null");
        }
        this.config = config;
        this.agents = config.agents();
        this.layout = new ObservationLayout(agents, config.frameType());
        long required = layout.batchEntryBytes();
        long available = block == null ? capacityBytes : capacityBytes - offsetBytes;
        if (offsetBytes < 0 || available < required) {
            throw new IllegalArgumentException("observation buffer of " + capacityBytes + " bytes at offset "
                    + (block == null ? 0 : offsetBytes) + " is too small: required " + required + " bytes ("
                    + agents + " agents x " + ObservationLayout.FRAMES + " frames x 45^3 x " + config.frameType()
                    + ")");
        }
        this.observationBlock = block;
        this.observationOffsetBytes = offsetBytes;
        this.ownsBlock = ownsBlock;
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
        this.locationHistory = new int[agents][HISTORY_LENGTH * 3];
        this.qHistory = new double[agents][HISTORY_LENGTH * Q];
        this.qScratch = new double[agents * Q];
        this.previousWindows = new RoiWindow[agents];
        for (int a = 0; a < agents; a++) {
            windows[a] = new RoiWindow();
            previousWindows[a] = new RoiWindow();
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
        // Frames before the first are zeros (SPEC.md section 3): zero slots 1..3 of every agent (one run each, the
        // layout is agent-major), then push the spawn ROI into slot 0, which the ROI copy writes in full.
        final long observation = observationAddress();
        for (int a = 0; a < agents; a++) {
            UnsafeApi.setMemory(observation + layout.frameOffset(a, 1),
                    (ObservationLayout.FRAMES - 1) * layout.frameBytes(), (byte) 0);
        }
        oldestSlot = 0;
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
            appendHistory(a, qValues);
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

    private void appendHistory(int a, double[] qValues) {
        final int[] lh = locationHistory[a];
        System.arraycopy(lh, 3, lh, 0, (HISTORY_LENGTH - 1) * 3);
        lh[(HISTORY_LENGTH - 1) * 3] = location[a * 3];
        lh[(HISTORY_LENGTH - 1) * 3 + 1] = location[a * 3 + 1];
        lh[(HISTORY_LENGTH - 1) * 3 + 2] = location[a * 3 + 2];
        final double[] qh = qHistory[a];
        System.arraycopy(qh, Q, qh, 0, (HISTORY_LENGTH - 1) * Q);
        for (int k = 0; k < Q; k++) {
            qh[(HISTORY_LENGTH - 1) * Q + k] = qValues == null ? 0.0 : qValues[a * Q + k];
        }
    }

    private void clearHistories() {
        for (int a = 0; a < agents; a++) {
            Arrays.fill(locationHistory[a], 0);
            Arrays.fill(qHistory[a], 0.0);
        }
    }

    /**
     * SPEC.md section 3 point 5: Python {@code Counter(history).most_common()} over the 20 entries, the filler
     * (0,0,0) counted like any value, ties broken by first occurrence (oldest first).
     */
    private boolean allAgentsOscillate() {
        for (int a = 0; a < agents; a++) {
            if (!oscillates(locationHistory[a])) {
                return false;
            }
        }
        return true;
    }

    private boolean oscillates(int[] history) {
        final int[] values = distinct;
        final int[] n = counts;
        int kinds = 0;
        for (int e = 0; e < HISTORY_LENGTH; e++) {
            final int x = history[e * 3];
            final int y = history[e * 3 + 1];
            final int z = history[e * 3 + 2];
            int k = 0;
            while (k < kinds && (values[k * 3] != x || values[k * 3 + 1] != y || values[k * 3 + 2] != z)) {
                k++;
            }
            if (k == kinds) {
                values[k * 3] = x;
                values[k * 3 + 1] = y;
                values[k * 3 + 2] = z;
                n[k] = 0;
                kinds++;
            }
            n[k]++;
        }
        int most = 0;
        for (int k = 1; k < kinds; k++) {
            if (n[k] > n[most]) {
                most = k; // strictly greater: ties keep the first occurrence, as Counter.most_common does
            }
        }
        boolean mostIsFiller = values[most * 3] == 0 && values[most * 3 + 1] == 0 && values[most * 3 + 2] == 0;
        if (mostIsFiller) {
            if (kinds < OSCILLATION_THRESHOLD) {
                return false;
            }
            int second = 0;
            for (int k = 0; k < kinds; k++) {
                if (k != most && n[k] > second) {
                    second = n[k];
                }
            }
            return second >= OSCILLATION_THRESHOLD;
        }
        return n[most] >= OSCILLATION_THRESHOLD;
    }

    /** [quirk] SPEC.md section 3 point 6: among the last 4 entries, the LOWEST max-Q location; ties: the oldest. */
    private void jumpToLowestMaxQ(int a) {
        final double[] qh = qHistory[a];
        final int[] lh = locationHistory[a];
        int best = HISTORY_LENGTH - JUMP_CANDIDATES;
        double bestMax = Double.POSITIVE_INFINITY;
        for (int e = HISTORY_LENGTH - JUMP_CANDIDATES; e < HISTORY_LENGTH; e++) {
            double max = qh[e * Q];
            for (int k = 1; k < Q; k++) {
                max = Math.max(max, qh[e * Q + k]);
            }
            if (max < bestMax) {
                bestMax = max;
                best = e;
            }
        }
        location[a * 3] = lh[best * 3];
        location[a * 3 + 1] = lh[best * 3 + 1];
        location[a * 3 + 2] = lh[best * 3 + 2];
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
        final long base = observationAddress();
        final Volume v = image;
        final DecimatedPlane plane = decimated[scale];
        if (plane != null) {
            plane.ensureBuiltFor(v); // built lazily: an episode may never reach this scale
        }
        final int newestSlot = (oldestSlot + ObservationLayout.FRAMES - 1) & (ObservationLayout.FRAMES - 1);
        for (int a = 0; a < agents; a++) {
            // the window of the frame now in the newest slot becomes "previous"; the freed object takes the new one
            RoiWindow w = previousWindows[a];
            previousWindows[a] = windows[a];
            windows[a] = w;
            w.set(scale, location[a * 3], location[a * 3 + 1], location[a * 3 + 2], v.nx(), v.ny(), v.nz());
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
        oldestSlot = (oldestSlot + 1) & (ObservationLayout.FRAMES - 1);
    }

    private long observationAddress() {
        return observationBlock == null ? observationOffsetBytes : observationBlock.address() + observationOffsetBytes;
    }

    /**
     * Copies the observation in the published order {@code (agents, frames, x, y, z)}, frames oldest first, to
     * {@code dstAddress} (exactly {@link ObservationLayout#batchEntryBytes()} bytes of this env's frame type).
     *
     * @throws IllegalArgumentException when {@code lengthBytes} is not exactly that size
     */
    public void copyCanonicalObservation(long dstAddress, long lengthBytes) {
        checkOpen();
        if (lengthBytes != layout.batchEntryBytes()) {
            throw new IllegalArgumentException("canonical observation buffer of " + lengthBytes + " bytes, required "
                    + layout.batchEntryBytes());
        }
        final long src = observationAddress();
        for (int a = 0; a < agents; a++) {
            for (int k = 0; k < ObservationLayout.FRAMES; k++) {
                int slot = (oldestSlot + k) & (ObservationLayout.FRAMES - 1);
                UnsafeApi.copyMemory(src + layout.frameOffset(a, slot), dstAddress + layout.frameOffset(a, k),
                        layout.frameBytes());
            }
        }
    }

    /** Byte offset, inside this env's observation region, of the agent's newest frame (for the replay path). */
    public long newestFrameOffset(int agent) {
        return layout.frameOffset(agent, (oldestSlot + ObservationLayout.FRAMES - 1) & (ObservationLayout.FRAMES - 1));
    }

    /**
     * Native address of this env's observation region ({@code (agents, 4, 45, 45, 45)}, ring order): add
     * {@link #newestFrameOffset(int)} for an agent's newest frame.
     */
    public long observationAddress0() {
        checkOpen();
        return observationAddress();
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
        if (ownsBlock) {
            observationBlock.close();
        }
    }

    public EnvConfig config() { return config; }
    public ObservationLayout layout() { return layout; }
    public int agents() { return agents; }
    /** Ring phase: the slot of the oldest frame (see the class Javadoc). */
    public int oldestSlot() { return oldestSlot; }
    /** Slot of the newest frame: {@code (oldestSlot() + 3) & 3}. */
    public int newestSlot() { return (oldestSlot + ObservationLayout.FRAMES - 1) & (ObservationLayout.FRAMES - 1); }
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
    public int stepVoxels() { return stepVoxels; }
    /** Steps taken in this episode. */
    public int steps() { return steps; }
    public boolean isOver() { return over; }
    /** The clamped crop window of the agent's newest frame. */
    public RoiWindow window(int agent) { return windows[agent]; }
    public Volume image() { return image; }
}
