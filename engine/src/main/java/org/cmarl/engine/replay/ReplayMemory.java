package org.cmarl.engine.replay;

import static org.cmarl.engine.observation.ObservationGeometry.FRAMES;
import static org.cmarl.engine.replay.TransitionRecordDescriptor.*;

import java.util.SplittableRandom;

import org.agrona.UnsafeApi;
import org.agrona.concurrent.UnsafeBuffer;
import org.cmarl.engine.memory.NativeBlock;
import org.cmarl.engine.observation.ObservationGeometry;

/**
 * The replay memory: an off-heap ring of fixed-size records ({@link TransitionRecordDescriptor}), one per observation,
 * from which mini-batches of transitions {@code (s, a, r, s', done)} are sampled and their frames re-extracted
 * straight into the network's uint8 input: one 5-frame window per transition and agent, of which the state and the
 * next state are two overlapping 4-frame views (see {@link #sample}).
 *
 * <p>Writing follows an episode: {@link #beginEpisode} stores the observation at reset, each
 * {@link #recordStep} stores the transition taken from the newest observation and the observation it led to.
 * A state is the last 4 frames of the SAME episode (SPEC.md section 5), zeros before the episode's start; the
 * next state of a transition is always in the same episode (the last observation of an episode is stored and is the
 * next state of its last transition), so nothing is ever read across an episode boundary.
 *
 * <p>When the ring is full, the oldest record is overwritten; a state whose earlier frames were overwritten is
 * no longer sampled. Single-threaded: one writer that also samples.
 */
public final class ReplayMemory implements AutoCloseable {
    /** Bytes of one stored uint8 frame. */
    private static final int FRAME_BYTES = ObservationGeometry.FRAME_VOXELS;
    /** Frames of one sampled window: the state's 4 and the next state's newest. */
    public static final int WINDOW_FRAMES = FRAMES + 1;

    private final int capacityTransitions;
    private final int capacityRecords;
    private final int agents;
    private final int recordBytes;
    private final NativeBlock memory;
    private final UnsafeBuffer records;

    /** Physical index of the newest record, -1 when empty. */
    private int newest = -1;
    private int storedRecords;
    private int storedTransitions;
    private int episodeId = -1;
    private int currentStep = -1;
    /** Scratch of {@link #writeWindow}: record byte offset of each window frame, -1 before the episode start. */
    private final int[] windowSourceBase = new int[WINDOW_FRAMES];

    /**
     * @param capacityTransitions transitions kept, at least 1; the ring holds this many records plus 4 (the next
     *                            state of the newest transition and the 3 frames before the oldest)
     * @param agents              agents per record, at least 1
     */
    public ReplayMemory(int capacityTransitions, int agents) {
        if (capacityTransitions < 1) {
            throw new IllegalArgumentException("capacityTransitions=" + capacityTransitions + ", required >= 1");
        }
        if (agents < 1) {
            throw new IllegalArgumentException("agents=" + agents + ", required >= 1");
        }
        this.capacityTransitions = capacityTransitions;
        this.capacityRecords = capacityTransitions + FRAMES;
        this.agents = agents;
        this.recordBytes = recordBytes(agents);
        long bytes = (long) capacityRecords * recordBytes;
        if (bytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("capacityTransitions=" + capacityTransitions + " with " + agents
                    + " agents needs " + bytes + " bytes, at most " + Integer.MAX_VALUE + " supported");
        }
        this.memory = NativeBlock.allocate(bytes, 64);
        this.records = memory.buffer();
    }

    public int capacityTransitions() { return capacityTransitions; }
    public int agents() { return agents; }
    /** Native bytes held by the ring. */
    public long memoryBytes() { return memory.capacityBytes(); }
    /** Transitions that can be sampled now. */
    public int size() { return storedTransitions; }

    /** Stores the observation at reset of a new episode on image {@code imageId}. */
    public void beginEpisode(int imageId, int[] x, int[] y, int[] z, int scale) {
        checkAgents(x, y, z);
        episodeId++;
        currentStep = 0;
        int r = advance();
        writeObservation(r, imageId, 0, x, y, z, scale);
    }

    /**
     * Stores the transition taken from the newest observation (each agent's action, reward and terminal flag) and
     * the observation it led to (each agent's frame location and the scale, SPEC.md section 3).
     */
    public void recordStep(int[] actions, float[] rewards, boolean[] terminal, int[] x, int[] y, int[] z, int scale) {
        if (currentStep < 0) {
            throw new IllegalStateException("recordStep before beginEpisode");
        }
        checkAgents(x, y, z);
        if (actions.length != agents || rewards.length != agents || terminal.length != agents) {
            throw new IllegalArgumentException("actions/rewards/terminal need " + agents + " entries, got "
                    + actions.length + "/" + rewards.length + "/" + terminal.length);
        }
        final int from = newest;
        final int base = from * recordBytes;
        for (int a = 0; a < agents; a++) {
            if (actions[a] < 0 || actions[a] > 5) {
                throw new IllegalArgumentException("action " + actions[a] + " of agent " + a + ", expected 0..5");
            }
            int slot = base + agentOffset(a);
            records.putByte(slot + ACTION_OFFSET, (byte) actions[a]);
            records.putFloat(slot + REWARD_OFFSET, rewards[a]);
            records.putByte(slot + TERMINAL_OFFSET, terminal[a] ? (byte) 1 : (byte) 0);
        }
        records.putByte(base + FLAGS_OFFSET, FLAG_HAS_TRANSITION);
        storedTransitions++;
        int imageId = records.getInt(base + IMAGE_ID_OFFSET);
        currentStep++;
        int r = advance();
        writeObservation(r, imageId, currentStep, x, y, z, scale);
    }

    /** Moves the write head to the next record, dropping the oldest one when full; returns its index. */
    private int advance() {
        int r = newest + 1 == capacityRecords ? 0 : newest + 1;
        if (storedRecords == capacityRecords) {
            if ((records.getByte(r * recordBytes + FLAGS_OFFSET) & FLAG_HAS_TRANSITION) != 0) {
                storedTransitions--;
            }
        } else {
            storedRecords++;
        }
        newest = r;
        return r;
    }

    private void writeObservation(int r, int imageId, int step, int[] x, int[] y, int[] z, int scale) {
        final int base = r * recordBytes;
        records.setMemory(base, recordBytes, (byte) 0);
        records.putInt(base + EPISODE_ID_OFFSET, episodeId);
        records.putInt(base + IMAGE_ID_OFFSET, imageId);
        records.putInt(base + STEP_OFFSET, step);
        for (int a = 0; a < agents; a++) {
            int slot = base + agentOffset(a);
            records.putShort(slot + X_OFFSET, checkedCoordinate(x[a]));
            records.putShort(slot + Y_OFFSET, checkedCoordinate(y[a]));
            records.putShort(slot + Z_OFFSET, checkedCoordinate(z[a]));
            records.putByte(slot + SCALE_OFFSET, (byte) scale);
        }
    }

    private static short checkedCoordinate(int v) {
        if (v < 0 || v > MAX_DIM_VOXELS) {
            throw new IllegalArgumentException("coordinate " + v + " outside 0.." + MAX_DIM_VOXELS);
        }
        return (short) v;
    }

    private void checkAgents(int[] x, int[] y, int[] z) {
        if (x.length != agents || y.length != agents || z.length != agents) {
            throw new IllegalArgumentException("locations need " + agents + " entries per axis, got "
                    + x.length + "/" + y.length + "/" + z.length);
        }
    }

    /**
     * Samples {@code batchSize} transitions uniformly (with replacement, as the published memory does) and writes,
     * for each transition and agent, ONE window of 5 uint8 frames into {@code windows} from {@code offsetBytes} on,
     * laid out {@code (batch, agents, 5, 45, 45, 45)} C order: window frames 0..3 are the state (frames of steps
     * t-3..t, oldest first) and frames 1..4 the next state (steps t-2..t+1), so each frame the two share is extracted
     * once. Frames before the episode's start are zeros. Actions, rewards and terminal flags go to
     * {@code [batch * agents]} arrays (row b, agent a at {@code b * agents + a}). The learner reads the windows through
     * {@code nn.TransitionBatchBuffer}: {@link #windowBytes(int, int)} bytes from {@code offsetBytes}.
     *
     * @param windows the block that owns the destination (still the caller's); checked open and large enough here,
     *                once per call, not per frame
     * @throws IllegalArgumentException when fewer than {@code batchSize} transitions are stored, or when the windows
     *                                  do not fit in {@code windows} from {@code offsetBytes} on
     * @throws IllegalStateException    when {@code windows} is closed
     */
    public void sample(int batchSize, SplittableRandom random, FrameSource frames, NativeBlock windows,
                       long offsetBytes, int[] actions, float[] rewards, boolean[] terminal) {
        if (batchSize < 1 || batchSize > sampleableTransitions()) {
            throw new IllegalArgumentException("batch of " + batchSize + " requested, " + sampleableTransitions()
                    + " transitions stored");
        }
        if (actions.length < batchSize * agents || rewards.length < batchSize * agents
                || terminal.length < batchSize * agents) {
            throw new IllegalArgumentException("output arrays need " + batchSize * agents + " entries");
        }
        if (windows == null) {
            throw new IllegalArgumentException("windows block is null");
        }
        final long windowsAddress = windows.address() + checkWindows(windows, offsetBytes, batchSize);
        final long transitionBytes = (long) agents * WINDOW_FRAMES * FRAME_BYTES;
        for (int b = 0; b < batchSize; b++) {
            int r = drawTransition(random);
            int base = r * recordBytes;
            for (int a = 0; a < agents; a++) {
                int slot = base + agentOffset(a);
                actions[b * agents + a] = records.getByte(slot + ACTION_OFFSET);
                rewards[b * agents + a] = records.getFloat(slot + REWARD_OFFSET);
                terminal[b * agents + a] = records.getByte(slot + TERMINAL_OFFSET) != 0;
            }
            writeWindow(r, frames, windowsAddress + b * transitionBytes);
        }
    }

    private long checkWindows(NativeBlock windows, long offsetBytes, int batchSize) {
        long required = windowBytes(batchSize, agents);
        if (offsetBytes < 0 || offsetBytes > windows.capacityBytes() - required) {
            throw new IllegalArgumentException("windows block of " + windows.capacityBytes() + " bytes at offset "
                    + offsetBytes + " is too small: " + batchSize + " transitions x " + agents + " agents x "
                    + WINDOW_FRAMES + " uint8 frames need " + required + " bytes");
        }
        return offsetBytes;
    }

    /** Bytes {@link #sample} writes for {@code batchSize} transitions of {@code agents} agents: 5 frames each. */
    public static long windowBytes(int batchSize, int agents) {
        return (long) batchSize * agents * WINDOW_FRAMES * FRAME_BYTES;
    }

    /**
     * Writes the window of transition {@code r}: the records of steps t-3..t+1 of its episode, zeros before step 0.
     * Record t+1 is always the next record and in the same episode (the next state of a stored transition is the
     * observation recorded right after it). Agent-major, so the destination is written front to back.
     */
    private void writeWindow(int r, FrameSource frames, long dest) {
        final int step = records.getInt(r * recordBytes + STEP_OFFSET);
        final int imageId = records.getInt(r * recordBytes + IMAGE_ID_OFFSET);
        // window frame f holds the record f - 3 records from r (f = 4: the next record); -1 = before the start
        final int[] sourceBase = windowSourceBase;
        for (int f = 0; f < WINDOW_FRAMES; f++) {
            int back = FRAMES - 1 - f;
            if (step - back < 0) {
                sourceBase[f] = -1;
            } else {
                int src = r - back;
                if (src < 0) {
                    src += capacityRecords;
                } else if (src >= capacityRecords) {
                    src -= capacityRecords;
                }
                sourceBase[f] = src * recordBytes;
            }
        }
        long to = dest;
        for (int a = 0; a < agents; a++) {
            final int agentSlot = agentOffset(a);
            // the agent's previous frame in this window, handed to the source: consecutive frames mostly share
            // 44 of their 45 planes or rows (see RoiFrameSource)
            boolean hasPrevious = false;
            int px = 0;
            int py = 0;
            int pz = 0;
            int pScale = 0;
            for (int f = 0; f < WINDOW_FRAMES; f++, to += FRAME_BYTES) {
                if (sourceBase[f] < 0) {
                    UnsafeApi.setMemory(to, FRAME_BYTES, (byte) 0);
                    continue;
                }
                int slot = sourceBase[f] + agentSlot;
                int x = records.getShort(slot + X_OFFSET);
                int y = records.getShort(slot + Y_OFFSET);
                int z = records.getShort(slot + Z_OFFSET);
                int scale = records.getByte(slot + SCALE_OFFSET);
                if (hasPrevious) {
                    frames.writeUint8FrameAfter(imageId, x, y, z, scale, to, px, py, pz, pScale, to - FRAME_BYTES);
                } else {
                    frames.writeUint8Frame(imageId, x, y, z, scale, to);
                }
                hasPrevious = true;
                px = x;
                py = y;
                pz = z;
                pScale = scale;
            }
        }
    }

    /** Transitions whose state frames are all still in the ring. */
    public int sampleableTransitions() {
        if (storedRecords < capacityRecords) {
            return storedTransitions;
        }
        int lost = 0;
        int r = oldest();
        for (int age = 0; age < FRAMES - 1; age++) {
            if (hasTransition(r) && !historyInRing(r, age)) {
                lost++;
            }
            r = next(r);
        }
        return storedTransitions - lost;
    }

    private boolean hasTransition(int r) {
        return (records.getByte(r * recordBytes + FLAGS_OFFSET) & FLAG_HAS_TRANSITION) != 0;
    }

    /**
     * True when the frames of the state at record {@code r}, {@code age} records after the oldest, are all in the
     * ring: the state needs the records of steps max(0, t-3)..t, the earliest of them min(t, 3) records back.
     */
    private boolean historyInRing(int r, int age) {
        return storedRecords < capacityRecords
                || Math.min(records.getInt(r * recordBytes + STEP_OFFSET), FRAMES - 1) <= age;
    }

    private int drawTransition(SplittableRandom random) {
        final int oldest = oldest();
        while (true) {
            int age = random.nextInt(storedRecords);
            int r = oldest + age;
            if (r >= capacityRecords) {
                r -= capacityRecords;
            }
            if (hasTransition(r) && historyInRing(r, age)) {
                return r;
            }
        }
    }

    private int oldest() {
        int o = newest - storedRecords + 1;
        return o < 0 ? o + capacityRecords : o;
    }

    private int next(int r) {
        return r + 1 == capacityRecords ? 0 : r + 1;
    }

    @Override
    public void close() {
        memory.close();
    }
}
