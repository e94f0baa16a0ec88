package org.cmarl.engine.observation;

/**
 * Element type of stored frames: which plane of the {@link org.cmarl.engine.volume.Volume} the environment samples,
 * how many bytes one ROI voxel takes, and the element type of the network input that reads the frames.
 */
public enum FrameType {
    /** The normalised float32 plane: what evaluation feeds the network (SPEC.md section 1). */
    FLOAT32(Float.BYTES),
    /** The uint8 plane (values truncated towards zero): what the published replay memory stores for training. */
    UINT8(1);

    private final int bytes;

    FrameType(int bytes) {
        this.bytes = bytes;
    }

    /** Bytes per ROI voxel. */
    public int bytes() { return bytes; }
}
