package org.cmarl.engine.observation;

import static org.cmarl.engine.observation.ObservationGeometry.FRAMES;

import org.agrona.UnsafeApi;
import org.cmarl.engine.memory.NativeBlock;

/**
 * One observation {@code (agents, 4, 45, 45, 45)} in native memory whose 4 frame slots per agent form a ring, and
 * the ring's phase: the buffer knows its own frame order, so nobody passes it along.
 * <ul>
 *   <li>{@link #oldestSlot()} = {@code p}: canonical frame {@code k} (0 = oldest, 3 = newest, SPEC.md section 3
 *       order) is in slot {@code (p + k) & 3} ({@link ObservationGeometry#slotOf}); the newest in slot
 *       {@code (p + 3) & 3}. {@code p = 0} is the published order, oldest first.</li>
 *   <li>A writer pushing one frame per step writes slot {@code p} (the oldest) and then {@link #advance()}s, instead
 *       of shifting 3 frames: what the environment does.</li>
 *   <li>A reader that needs the published order either copies ({@link #copyCanonicalTo}) or honours the phase
 *       (the networks: {@code nn.QNetwork.forward}).</li>
 * </ul>
 * The memory belongs to the block's owner (an {@code nn.ObservationBuffer} row, or an environment's own block); the
 * ring checks at construction that its region fits in the block, once, and that the block is still open on every
 * {@link #address()}. Not thread-safe.
 */
public final class FrameRing {
    private final NativeBlock block;
    private final long offsetBytes;
    private final ObservationLayout layout;
    private int oldestSlot;

    /**
     * A ring over {@code layout.batchEntryBytes()} bytes of {@code block} from {@code offsetBytes} on, oldest frame
     * in slot 0.
     *
     * @throws IllegalArgumentException when the block is null or the region does not fit in it
     * @throws IllegalStateException    when the block is closed
     */
    public FrameRing(NativeBlock block, long offsetBytes, ObservationLayout layout) {
        if (block == null) {
            throw new IllegalArgumentException("observation block is null");
        }
        if (layout == null) {
            throw new IllegalArgumentException("observation layout is null");
        }
        block.address(); // fails now on a closed block
        long required = layout.batchEntryBytes();
        if (offsetBytes < 0 || offsetBytes > block.capacityBytes() - required) {
            throw new IllegalArgumentException("observation block of " + block.capacityBytes() + " bytes at offset "
                    + offsetBytes + " is too small: required " + required + " bytes (" + layout.agents()
                    + " agents x " + FRAMES + " frames x 45^3 x " + layout.frameType() + ")");
        }
        this.block = block;
        this.offsetBytes = offsetBytes;
        this.layout = layout;
    }

    public ObservationLayout layout() { return layout; }
    /** The block holding the ring; still owned by whoever allocated it. */
    public NativeBlock block() { return block; }
    /** Where the ring starts in {@link #block()}. */
    public long offsetBytes() { return offsetBytes; }

    /** Slot of the oldest frame (the ring's phase), 0..3. */
    public int oldestSlot() { return oldestSlot; }

    /** Slot of the newest frame: {@code (oldestSlot() + 3) & 3}. */
    public int newestSlot() { return ObservationGeometry.slotOf(oldestSlot, FRAMES - 1); }

    /**
     * Declares the phase of frames laid out by a writer of its own (tests, a copy from elsewhere).
     *
     * @throws IllegalArgumentException unless {@code slot} is 0..3
     */
    public void setOldestSlot(int slot) {
        if (slot < 0 || slot >= FRAMES) {
            throw new IllegalArgumentException("oldest frame slot=" + slot + ", expected 0.." + (FRAMES - 1));
        }
        oldestSlot = slot;
    }

    /** The frame now in the oldest slot becomes the newest: call after overwriting slot {@link #oldestSlot()}. */
    public void advance() {
        oldestSlot = (oldestSlot + 1) & (FRAMES - 1);
    }

    /**
     * Starts a history: every slot but slot 0 zeroed (the frames before the first are zeros, SPEC.md section 3) and
     * the phase set to 0, so the first frame is written into slot 0 (in full, by the caller) and then
     * {@link #advance()}d.
     */
    public void startHistory() {
        final long base = address();
        for (int a = 0; a < layout.agents(); a++) {
            // one run per agent: the layout is agent-major
            UnsafeApi.setMemory(base + layout.frameOffset(a, 1), (FRAMES - 1) * layout.frameBytes(), (byte) 0);
        }
        oldestSlot = 0;
    }

    /** Native address of the ring's first byte. @throws IllegalStateException when the block was closed */
    public long address() {
        return block.address() + offsetBytes;
    }

    /** Offset, from {@link #address()}, of the agent's slot {@code slot}. */
    public long slotOffset(int agent, int slot) {
        return layout.frameOffset(agent, slot);
    }

    /** Offset, from {@link #address()}, of the agent's newest frame (what the replay path stores). */
    public long newestFrameOffset(int agent) {
        return layout.frameOffset(agent, newestSlot());
    }

    /**
     * Copies the observation into {@code dst} in the published order (frames oldest first) and sets {@code dst}'s
     * phase to 0.
     *
     * @throws IllegalArgumentException when {@code dst} has another agent count or frame type
     */
    public void copyCanonicalTo(FrameRing dst) {
        if (dst == null) {
            throw new IllegalArgumentException("destination ring is null");
        }
        if (dst.layout.agents() != layout.agents() || dst.layout.frameType() != layout.frameType()) {
            throw new IllegalArgumentException("destination observation of " + dst.layout.agents() + " agents ("
                    + dst.layout.frameType() + "), expected " + layout.agents() + " agents (" + layout.frameType()
                    + ")");
        }
        final long src = address();
        final long to = dst.address();
        for (int a = 0; a < layout.agents(); a++) {
            for (int k = 0; k < FRAMES; k++) {
                UnsafeApi.copyMemory(src + layout.frameOffset(a, ObservationGeometry.slotOf(oldestSlot, k)),
                        to + layout.frameOffset(a, k), layout.frameBytes());
            }
        }
        dst.oldestSlot = 0;
    }
}
