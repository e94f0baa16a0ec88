package org.cmarl.engine.observation;

import static org.cmarl.engine.observation.ObservationGeometry.FRAMES;

/**
 * Memory layout of a batch of observations {@code (batch, agents, frames, 45, 45, 45)}, C order: the network input
 * the environment writes and the networks read (SPEC.md sections 3 and 4). Immutable. The one place the frame-offset
 * formula is written.
 * <pre>
 *   batch b ──► agent a ──► slot f (0..3) ──► frame: [x 45][y 45][z 45] elements
 *
 *   +---------------- batch 0 -----------------+---------------- batch 1 ---------...
 *   | agent 0               | agent 1 ...      |
 *   | slot0 slot1 slot2 slot3 | slot0 ...      |
 *   +------------------------------------------+-----------------------------------
 *   frameOffset(b, a, f) = ((b * agents + a) * 4 + f) * 45^3 * elementBytes
 * </pre>
 * Which slot holds which frame of the history is the business of a {@link FrameRing}.
 */
public final class ObservationLayout {
    private final int agents;
    private final FrameType frameType;
    private final long frameBytes;

    public ObservationLayout(int agents, FrameType frameType) {
        if (agents < 1) {
            throw new IllegalArgumentException("agents=" + agents + ", expected >= 1");
        }
        if (frameType == null) {
            throw new IllegalArgumentException("frameType is null, expected FLOAT32 or UINT8");
        }
        this.agents = agents;
        this.frameType = frameType;
        this.frameBytes = ObservationGeometry.frameBytes(frameType);
    }

    public int agents() { return agents; }
    public FrameType frameType() { return frameType; }
    /** Bytes of one 45^3 frame. */
    public long frameBytes() { return frameBytes; }
    /** Bytes of one agent's 4 frames. */
    public long agentBytes() { return frameBytes * FRAMES; }
    /** Bytes of one batch entry: {@code agents * 4} frames. */
    public long batchEntryBytes() { return agentBytes() * agents; }
    /** Bytes of a whole {@code (batch, agents, 4, 45, 45, 45)} input. */
    public long totalBytes(int batch) { return batchEntryBytes() * batch; }

    /** Offset of frame slot {@code slot} of agent {@code agent} inside one batch entry. */
    public long frameOffset(int agent, int slot) {
        return ((long) agent * FRAMES + slot) * frameBytes;
    }

    /** Offset of frame slot {@code slot} of agent {@code agent} of batch entry {@code batch}. */
    public long frameOffset(int batch, int agent, int slot) {
        return batch * batchEntryBytes() + frameOffset(agent, slot);
    }
}
