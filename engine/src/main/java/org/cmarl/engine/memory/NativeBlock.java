package org.cmarl.engine.memory;

import org.agrona.UnsafeApi;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * An aligned block of native memory with exactly one owner, freed explicitly by {@link #close()} (never by GC).
 *
 * <p>The memory is zeroed at allocation. {@link #buffer()} is an Agrona view over it; {@link #address()} is its
 * first byte, a multiple of the alignment. Using the block after close throws {@link IllegalStateException}; a second
 * close does nothing. Not thread-safe: one owner, one thread at a time.
 */
public final class NativeBlock implements AutoCloseable {
    private final long capacityBytes;
    private final int alignmentBytes;
    private final long rawAddress;
    private final long address;
    private final UnsafeBuffer buffer;
    private boolean closed;

    private NativeBlock(long capacityBytes, int alignmentBytes) {
        this.capacityBytes = capacityBytes;
        this.alignmentBytes = alignmentBytes;
        this.rawAddress = UnsafeApi.allocateMemory(capacityBytes + alignmentBytes);
        this.address = (rawAddress + alignmentBytes - 1) & -(long) alignmentBytes;
        UnsafeApi.setMemory(address, capacityBytes, (byte) 0);
        // UnsafeBuffer views are int-indexed; larger blocks are used through address() only.
        this.buffer = new UnsafeBuffer(address, (int) Math.min(capacityBytes, Integer.MAX_VALUE));
    }

    /**
     * @param capacityBytes  usable bytes, at least 1
     * @param alignmentBytes a power of two, at least 8
     */
    public static NativeBlock allocate(long capacityBytes, int alignmentBytes) {
        if (capacityBytes < 1) {
            throw new IllegalArgumentException("capacityBytes=" + capacityBytes + ", required >= 1");
        }
        if (alignmentBytes < 8 || Integer.bitCount(alignmentBytes) != 1) {
            throw new IllegalArgumentException("alignmentBytes=" + alignmentBytes + ", required a power of two >= 8");
        }
        return new NativeBlock(capacityBytes, alignmentBytes);
    }

    public long capacityBytes() { return capacityBytes; }
    public int alignmentBytes() { return alignmentBytes; }

    public long address() {
        checkOpen();
        return address;
    }

    public UnsafeBuffer buffer() {
        checkOpen();
        return buffer;
    }

    public boolean isClosed() { return closed; }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("native block of " + capacityBytes + " bytes is closed");
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        buffer.wrap(new byte[0]);
        UnsafeApi.freeMemory(rawAddress);
    }
}
