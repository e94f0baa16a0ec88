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
}
