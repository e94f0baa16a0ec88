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
    /** Frees foreign memory ({@link #ofForeign}); null when this block allocated its memory itself. */
    private final Runnable release;
    private boolean closed;

    private NativeBlock(long capacityBytes, int alignmentBytes) {
        this.capacityBytes = capacityBytes;
        this.alignmentBytes = alignmentBytes;
        this.rawAddress = UnsafeApi.allocateMemory(capacityBytes + alignmentBytes);
        this.address = (rawAddress + alignmentBytes - 1) & -(long) alignmentBytes;
        UnsafeApi.setMemory(address, capacityBytes, (byte) 0);
        // UnsafeBuffer views are int-indexed; larger blocks are used through address() only.
        this.buffer = new UnsafeBuffer(address, (int) Math.min(capacityBytes, Integer.MAX_VALUE));
        this.release = null;
    }

    private NativeBlock(long address, long capacityBytes, int alignmentBytes, Runnable release) {
        this.capacityBytes = capacityBytes;
        this.alignmentBytes = alignmentBytes;
        this.rawAddress = 0;
        this.address = address;
        UnsafeApi.setMemory(address, capacityBytes, (byte) 0);
        this.buffer = new UnsafeBuffer(address, (int) Math.min(capacityBytes, Integer.MAX_VALUE));
        this.release = release;
    }

    /**
     * Takes ownership of memory allocated elsewhere (e.g. page-locked host memory from libtorch for CUDA
     * transfers): zeroes it, and at {@link #close()} runs {@code release} exactly once instead of freeing it.
     *
     * @param address        first byte, a multiple of {@code alignmentBytes}
     * @param capacityBytes  usable bytes, at least 1
     * @param alignmentBytes a power of two, at least 8
     * @param release        frees the memory; called once, by close
     */
    public static NativeBlock ofForeign(long address, long capacityBytes, int alignmentBytes, Runnable release) {
        if (capacityBytes < 1) {
            throw new IllegalArgumentException("capacityBytes=" + capacityBytes + ", required >= 1");
        }
        if (alignmentBytes < 8 || Integer.bitCount(alignmentBytes) != 1) {
            throw new IllegalArgumentException("alignmentBytes=" + alignmentBytes + ", required a power of two >= 8");
        }
        if (address == 0 || (address & (alignmentBytes - 1)) != 0) {
            throw new IllegalArgumentException("address=0x" + Long.toHexString(address) + ", required non-zero and a "
                    + "multiple of " + alignmentBytes);
        }
        if (release == null) {
            throw new IllegalArgumentException("release is null");
        }
        return new NativeBlock(address, capacityBytes, alignmentBytes, release);
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
        if (release != null) {
            release.run();
        } else {
            UnsafeApi.freeMemory(rawAddress);
        }
    }
}
