package org.cmarl.engine.replay;

/**
 * Re-creates a frame from what a replay record stores. Implemented by the environment's ROI extraction, so the
 * frames the learner sees are exactly those the agent saw, in the uint8 form (SPEC.md section 1).
 */
@FunctionalInterface
public interface FrameSource {
    /**
     * Writes the uint8 45^3 frame {@code (x, y, z)} C-order of image {@code imageId} seen from voxel
     * {@code (x, y, z)} at {@code scale} to the native address {@code dest}.
     */
    void writeUint8Frame(int imageId, int x, int y, int z, int scale, long dest);

    /**
     * Writes the same frame as {@link #writeUint8Frame}, given that {@code previousDest} already holds the frame of
     * the same image seen from {@code (previousX, previousY, previousZ)} at {@code previousScale} (the previous step
     * of the same agent): an implementation may copy the cells the two frames share instead of re-extracting them.
     * The result must be byte-for-byte that of {@link #writeUint8Frame}. The two frames must not overlap.
     */
    default void writeUint8FrameAfter(int imageId, int x, int y, int z, int scale, long dest, int previousX,
            int previousY, int previousZ, int previousScale, long previousDest) {
        writeUint8Frame(imageId, x, y, z, scale, dest);
    }
}
