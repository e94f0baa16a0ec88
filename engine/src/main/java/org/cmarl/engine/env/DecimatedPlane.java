package org.cmarl.engine.env;

import java.util.Arrays;

import org.agrona.UnsafeApi;
import org.cmarl.engine.memory.NativeBlock;
import org.cmarl.engine.observation.FrameType;
import org.cmarl.engine.observation.ObservationGeometry;
import org.cmarl.engine.volume.Volume;

/**
 * One plane of a {@link Volume} (float32 or uint8) re-laid out for ROIs sampled every {@code scale} voxels, so that
 * a scale-2 or scale-3 ROI row is one contiguous run, like a scale-1 row in the volume itself.
 *
 * <h2>Layout</h2>
 * The volume is split into {@code scale^3} phase sub-volumes, phase {@code (px, py, pz)} holding the voxels
 * {@code (px + scale * i, py + scale * j, pz + scale * k)}, each in the volume's order (x slowest, z fastest), each
 * in its own native block:
 * <pre>
 *   phase index      p = (px * scale + py) * scale + pz
 *   phase dims       m_axis(p_axis) = ceil((dim_axis - p_axis) / scale)
 *   phase row (i, j) the mz elements k = 0 .. mz - 1, at phaseAddress(p) + ((i * my + j) * mz) * elementBytes
 * </pre>
 * The same bytes as the plane (each voxel once), so a ROI sampled from here is bit-identical to one sampled
 * directly with a stride. Why: a strided row touches {@code scale} times more cache lines than it uses, and the
 * 135^3-voxel footprint of a scale-3 ROI (10 MB of float32) does not stay in cache between steps, while its
 * decimated footprint (45^3 voxels) does.
 *
 * <h2>Built lazily, one phase row at a time</h2>
 * A ROI reads one phase only (the one of its crop start {@code lo mod scale} per axis) and in it 45 x 45 phase rows.
 * {@link #ensureBuiltFor} only records the source and forgets every built row. {@link #extract} gathers a phase row
 * from the volume (one strided pass over a volume row, what a direct ROI does for that row anyway) the first time a
 * ROI needs it, marks it built, and copies every ROI row from its phase row. So a new image costs nothing up front,
 * the first ROI costs about one direct ROI, and the next ones, which move 3 cells (a multiscale step) and so share
 * 42 of their 45 rows of cells per axis with an earlier one, cost little more than a scale-1 ROI. Memory: a phase's
 * block is allocated when the phase is first used (at most one plane's worth per scale in all), and kept for later
 * sources whose phase fits.
 *
 * <p>Owns its native memory ({@link #close()}). Not thread-safe.
 */
public final class DecimatedPlane implements AutoCloseable {
    private final int scale;
    private final FrameType frameType;
    private final int shift;
    private final int[] phaseDims;
    private final NativeBlock[] phaseBlocks;
    /** Per phase: bit {@code i * my + j} set when phase row (i, j) holds the current source's voxels. */
    private final long[][] builtRows;
    /** Per phase: memory and bitmap sized for the current source (see preparePhase). */
    private final boolean[] prepared;
    private Volume source;
    private long sourceBase;
    private long sourceEnd;
    private boolean closed;

    public DecimatedPlane(int scale, FrameType frameType) {
        if (scale < 2) {
            throw new IllegalArgumentException("scale=" + scale + ", expected >= 2 (scale 1 reads the volume "
                    + "directly)");
        }
        if (frameType == null) {
            throw new IllegalArgumentException("frameType is null, expected FLOAT32 or UINT8");
        }
        this.scale = scale;
        this.frameType = frameType;
        this.shift = frameType == FrameType.FLOAT32 ? 2 : 0;
        this.phaseDims = new int[scale * scale * scale * 3];
        this.phaseBlocks = new NativeBlock[scale * scale * scale];
        this.builtRows = new long[scale * scale * scale][];
        this.prepared = new boolean[scale * scale * scale];
    }

    public int scale() { return scale; }
    public FrameType frameType() { return frameType; }

    /** The volume this plane was last built from (null before the first build). */
    public Volume source() { return source; }

    /** Phase rows (of all phases) holding the current source's voxels. */
    public long builtRowCount() {
        long n = 0;
        for (long[] bits : builtRows) {
            if (bits != null) {
                for (long word : bits) {
                    n += Long.bitCount(word);
                }
            }
        }
        return n;
    }

    /** Makes {@code volume} the source unless it already is; phase rows are then built on first use. */
    public void ensureBuiltFor(Volume volume) {
        if (volume != source) {
            setSource(volume);
        }
    }

    /** Makes {@code volume} the source and builds every phase row now (one pass over the plane). */
    public void rebuild(Volume volume) {
        setSource(volume);
        for (int p = 0; p < phaseBlocks.length; p++) {
            preparePhase(p);
            final int mx = phaseDims[p * 3];
            final int my = phaseDims[p * 3 + 1];
            for (int i = 0; i < mx; i++) {
                for (int j = 0; j < my; j++) {
                    buildRow(p, i, j);
                }
            }
        }
    }

    private void setSource(Volume volume) {
        checkOpen();
        if (volume == null || volume.isClosed()) {
            throw new IllegalArgumentException("volume is " + (volume == null ? "null" : "closed: " + volume.name()));
        }
        final int s = scale;
        for (int px = 0; px < s; px++) {
            for (int py = 0; py < s; py++) {
                for (int pz = 0; pz < s; pz++) {
                    int p = (px * s + py) * s + pz;
                    phaseDims[p * 3] = ceilDiv(volume.nx() - px, s);
                    phaseDims[p * 3 + 1] = ceilDiv(volume.ny() - py, s);
                    phaseDims[p * 3 + 2] = ceilDiv(volume.nz() - pz, s);
                }
            }
        }
        for (long[] bits : builtRows) {
            if (bits != null) {
                Arrays.fill(bits, 0L);
            }
        }
        Arrays.fill(prepared, false);
        source = volume;
        sourceBase = frameType == FrameType.FLOAT32 ? volume.floatAddress() : volume.byteAddress();
        sourceEnd = sourceBase + ((long) volume.voxelCount() << shift);
    }

    /** Gives phase {@code p} memory and a row bitmap for the current source's phase dims (grown only when needed). */
    private void preparePhase(int p) {
        final long rows = (long) phaseDims[p * 3] * phaseDims[p * 3 + 1];
        final long bytes = Math.max(1L, (rows * phaseDims[p * 3 + 2]) << shift);
        NativeBlock block = phaseBlocks[p];
        if (block == null || block.capacityBytes() < bytes) {
            phaseBlocks[p] = null;
            if (block != null) {
                block.close();
            }
            phaseBlocks[p] = NativeBlock.allocate(bytes, Volume.ALIGNMENT_BYTES);
        }
        final int words = (int) ((rows + 63) >>> 6);
        if (builtRows[p] == null || builtRows[p].length < words) {
            builtRows[p] = new long[words]; // all clear: a new bitmap knows no row of the current source
        }
        prepared[p] = true;
    }

    /** Gathers phase row (i, j) of phase p from the source: every scale-th voxel of one volume row. */
    private void buildRow(int p, int i, int j) {
        final int s = scale;
        final int px = p / (s * s);
        final int py = (p / s) % s;
        final int pz = p % s;
        final int my = phaseDims[p * 3 + 1];
        final int mz = phaseDims[p * 3 + 2];
        final long row = (long) i * my + j;
        final long srcRow = sourceBase + ((((long) (px + i * s) * source.ny() + (py + j * s)) * source.nz() + pz)
                << shift);
        RoiExtractor.gather(srcRow, sourceEnd, phaseBlocks[p].address() + ((row * mz) << shift), mz, s, shift);
        builtRows[p][(int) (row >>> 6)] |= 1L << row;
    }

    private static int ceilDiv(int a, int b) {
        return a <= 0 ? 0 : (a + b - 1) / b;
    }

    /**
     * Writes the ROI of {@code window} (set for {@link #source()} at this plane's scale) to {@code dstAddress}, same
     * bytes as {@link RoiExtractor#extract}; builds the phase rows it needs that are not built yet.
     */
    public void extract(RoiWindow window, long dstAddress) {
        checkOpen();
        if (source == null || window.scale() != scale) {
            throw new IllegalStateException("decimated plane of scale " + scale + " used for a window of scale "
                    + window.scale() + (source == null ? " before it was built" : ""));
        }
        if (source.isClosed()) {
            throw new IllegalStateException("decimated plane of scale " + scale + ": source volume "
                    + source.name() + " is closed");
        }
        final int s = scale;
        final int lox = window.lo(0);
        final int loy = window.lo(1);
        final int loz = window.lo(2);
        final int p = ((lox % s) * s + loy % s) * s + loz % s;
        if (!prepared[p]) {
            preparePhase(p);
        }
        final long[] bits = builtRows[p];
        final int my = phaseDims[p * 3 + 1];
        final int mz = phaseDims[p * 3 + 2];
        final long phaseBase = phaseBlocks[p].address();
        final int i0 = lox / s;
        final int j0 = loy / s;
        final long k0Bytes = (long) (loz / s) << shift;

        final int n = ObservationGeometry.ROI_VOXELS;
        final int fx = window.firstCell(0);
        final int ex = window.endCell(0);
        final int fy = window.firstCell(1);
        final int ey = window.endCell(1);
        final int fz = window.firstCell(2);
        final int ez = window.endCell(2);
        final long rowBytes = (long) n << shift;
        final long planeBytes = rowBytes * n;
        final long headBytes = (long) fz << shift;
        final int samplesZ = ez - fz;
        final long tailBytes = (long) (n - ez) << shift;
        final long phaseRowBytes = (long) mz << shift;
        if (fx > 0) {
            UnsafeApi.setMemory(dstAddress, fx * planeBytes, (byte) 0);
        }
        if (ex < n) {
            UnsafeApi.setMemory(dstAddress + ex * planeBytes, (n - ex) * planeBytes, (byte) 0);
        }
        for (int cx = fx; cx < ex; cx++) {
            final int i = i0 + cx - fx;
            final long firstRow = (long) i * my + j0;
            for (long row = firstRow; row < firstRow + (ey - fy); row++) {
                if ((bits[(int) (row >>> 6)] & (1L << row)) == 0) {
                    buildRow(p, i, (int) (row - (long) i * my));
                }
            }
            // stride 1: a decimated row is contiguous, so srcEnd (only read by gathers) is not needed
            RoiExtractor.writePlaneRows(phaseBase + firstRow * phaseRowBytes + k0Bytes, phaseRowBytes, 0, 0, n, fy,
                    ey, headBytes, samplesZ, tailBytes, 1, shift, dstAddress + cx * planeBytes);
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("decimated plane (scale " + scale + ", " + frameType + ") is closed");
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        source = null;
        for (int p = 0; p < phaseBlocks.length; p++) {
            if (phaseBlocks[p] != null) {
                phaseBlocks[p].close();
                phaseBlocks[p] = null;
            }
            builtRows[p] = null;
        }
    }
}
