package org.cmarl.engine.replay;

/**
 * Layout of one record of the replay ring: everything needed to re-create the observation of one environment
 * step, and the transition taken from it. A frame is never stored: a 45^3 ROI is fully determined by
 * (image, location, scale), so the replay memory stores those and re-extracts frames when it samples.
 *
 * <pre>
 *   0               4               8               12  13  14      16
 *   +---------------+---------------+---------------+---+---+-------+
 *   | episodeId i32 | imageId i32   | step i32      |flg|   pad     |   header, 16 bytes
 *   +---------------+---------------+---------------+---+-----------+
 *   then for each agent a, at 16 + 16 * a:
 *   0       2       4       6   7   8               12  13      16
 *   +-------+-------+-------+---+---+---------------+---+-------+
 *   | x i16 | y i16 | z i16 |scl|act| reward f32    |trm|  pad  |      agent slot, 16 bytes
 *   +-------+-------+-------+---+---+---------------+---+-------+
 * </pre>
 * <ul>
 *   <li>{@code step}: 0 for the observation at reset, t after the t-th step of the episode. Frames of the state
 *       at step t are the records of steps t-3..t of the same episode; steps below 0 are zero frames.</li>
 *   <li>{@code x, y, z, scale}: where the agent's frame of this observation was taken (SPEC.md section 3: after any
 *       jump, at the scale after any step-down).</li>
 *   <li>{@code action, reward, terminal}: the transition taken from this observation; valid only when the flag
 *       {@link #FLAG_HAS_TRANSITION} is set (the last observation of an episode has none).</li>
 * </ul>
 * 16 + 16 * agents bytes a record: 32 bytes for 1 agent, 144 bytes for 8 (1e6 transitions with 8 agents: 144 MB,
 * against 91 KB per agent per frame for stored uint8 frames).
 */
public final class TransitionRecordDescriptor {
    public static final int EPISODE_ID_OFFSET = 0;
    public static final int IMAGE_ID_OFFSET = 4;
    public static final int STEP_OFFSET = 8;
    public static final int FLAGS_OFFSET = 12;
    public static final int HEADER_BYTES = 16;

    public static final int X_OFFSET = 0;
    public static final int Y_OFFSET = 2;
    public static final int Z_OFFSET = 4;
    public static final int SCALE_OFFSET = 6;
    public static final int ACTION_OFFSET = 7;
    public static final int REWARD_OFFSET = 8;
    public static final int TERMINAL_OFFSET = 12;
    public static final int AGENT_SLOT_BYTES = 16;

    public static final byte FLAG_HAS_TRANSITION = 1;

    /** Coordinates are stored as signed 16-bit: images up to this many voxels per axis. */
    public static final int MAX_DIM_VOXELS = Short.MAX_VALUE;

    private TransitionRecordDescriptor() {
    }

    public static int recordBytes(int agents) {
        return HEADER_BYTES + AGENT_SLOT_BYTES * agents;
    }

    public static int agentOffset(int agent) {
        return HEADER_BYTES + AGENT_SLOT_BYTES * agent;
    }
}
