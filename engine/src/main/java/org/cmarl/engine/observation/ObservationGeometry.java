package org.cmarl.engine.observation;

/**
 * The shape of one agent's observation and of the action space (SPEC.md sections 3 and 4): the one place these
 * numbers are written. The environment, the replay memory, the networks and the evaluator read them from here.
 * <pre>
 *   observation of one agent: FRAMES x ROI_VOXELS x ROI_VOXELS x ROI_VOXELS  =  4 x 45 x 45 x 45
 *   one frame, C order [x][y][z] (z fastest): voxel (x, y, z) at ((x * 45 + y) * 45 + z) * elementBytes
 * </pre>
 * Byte offsets of frames inside a batch of observations: {@link ObservationLayout}.
 */
public final class ObservationGeometry {
    /** Frames stacked per agent (SPEC.md section 3: frame history 4). */
    public static final int FRAMES = 4;
    /** ROI edge in voxels (screen cells per axis). */
    public static final int ROI_VOXELS = 45;
    /** Voxels of one 45^3 frame. */
    public static final int FRAME_VOXELS = ROI_VOXELS * ROI_VOXELS * ROI_VOXELS;
    /** Voxels of one agent's observation: 4 x 45^3. */
    public static final int OBSERVATION_VOXELS = FRAMES * FRAME_VOXELS;
    /** Discrete moves (SPEC.md section 3): one Q-value per action. */
    public static final int ACTIONS = 6;

    private ObservationGeometry() {
    }

    /** Bytes of one 45^3 frame of the given element type. */
    public static long frameBytes(FrameType type) {
        return (long) FRAME_VOXELS * type.bytes();
    }

    /** Slot of canonical frame {@code k} (0 = oldest) in a ring whose oldest frame is in slot {@code oldestSlot}. */
    public static int slotOf(int oldestSlot, int k) {
        return (oldestSlot + k) & (FRAMES - 1);
    }
}
