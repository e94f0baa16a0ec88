package org.cmarl.engine.env;

import org.cmarl.engine.memory.NativeBlock;
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
 *   element address  phaseAddress(p) + ((i * my + j) * mz + k) * elementBytes
 * </pre>
 * The same bytes as the plane (each voxel once), so a ROI sampled from here is bit-identical to one sampled
 * directly with a stride. Why: a strided row touches {@code scale} times more cache lines than it uses, and the
 * 135^3-voxel footprint of a scale-3 ROI (10 MB of float32) does not stay in cache between steps, while its
 * decimated footprint (45^3 voxels) does.
 *
 * <h2>Built lazily, one phase at a time, when it pays</h2>
 * A ROI reads one phase only: the one of its crop start {@code lo mod scale} per axis. {@link #ensureBuiltFor}
 * only records the source. {@link #extract} reads a phase that is not built yet straight from the volume (strided,
 * the same bytes) and builds it once it has been asked for {@link #buildThresholdRois(int)} times: a build (a
 * strided pass over {@code 1 / scale^2} of the plane's rows, writing {@code 1 / scale^3} of its bytes) costs about
 * as much as that many strided ROIs (measured: a scale-3 phase of a 182 x 218 x 182 image 0.2-0.3 ms, about 3 ROIs;
 * a scale-2 phase 0.7-1.2 ms, about 10-20 ROIs), so a phase used only a few times is never built and one used often
 * costs at most about twice the better of the two choices (the "ski rental" rule). A multiscale episode at scale 3
 * moves 9 voxels a step and so keeps its phase (a clamped crop start can add one more per axis); at scale 2 (3-voxel
 * moves) it may visit all 8 phases a few times each. So a change of image costs only the phases the next episode
 * uses often, and memory is held only for phases built at least once.
 *
 * <p>Owns its native memory ({@link #close()}); a phase block is reused for any later source whose phase fits.
 */
public final class DecimatedPlane implements AutoCloseable {
    private final int scale;
    private final FrameType frameType;
    private final int[] phaseDims;
    private final NativeBlock[] phaseBlocks;
    /**
     * Break-even of a phase build in strided ROIs, per 45^3 voxels of the phase: measured 1.4-1.7 at scale 3 and
     * 1.6-2.7 at scale 2 (uint8 and float32, 182 x 218 x 182 sample scans, 26 Nov 2026): the build reads whole rows
     * of which it keeps every 2nd or 3rd element, and the ROIs it saves are partly served by cache.
     */
    static final int BUILD_COST_FRAMES_PER_FRAME_OF_VOXELS = 2;
    /** Per phase: ROIs read straight from the volume since the source changed (see the class Javadoc). */
    private final int[] directReads;
    /** Bit p set when phase p holds the current source's voxels. */
    private long builtPhases;
    private Volume source;
    private boolean closed;

    public DecimatedPlane(int scale, FrameType frameType) {
        if (scale < 2 || scale > 4) {
            // at most 4: the built-phase set is one long of scale^3 bits
            throw new IllegalArgumentException("scale=" + scale + ", expected 2..4 (scale 1 reads the volume "
                    + "directly)");
        }
        if (frameType == null) {
            throw new IllegalArgumentException("frameType is null, expected FLOAT32 or UINT8");
        }
        this.scale = scale;
        this.frameType = frameType;
        this.phaseDims = new int[scale * scale * scale * 3];
        this.phaseBlocks = new NativeBlock[scale * scale * scale];
        this.directReads = new int[scale * scale * scale];
    }

    public int scale() { return scale; }
    public FrameType frameType() { return frameType; }

    /** The volume this plane was last built from (null before the first build). */
    public Volume source() { return source; }

    /** Number of phases (of {@code scale^3}) holding the current source's voxels. */
    public int builtPhaseCount() { return Long.bitCount(builtPhases); }

    /** Makes {@code volume} the source unless it already is; phases are then built on first use. */
    public void ensureBuiltFor(Volume volume) {
        if (volume != source) {
            setSource(volume);
        }
    }

    /** Makes {@code volume} the source and builds every phase now (one pass over the plane). */
    public void rebuild(Volume volume) {
        setSource(volume);
        for (int p = 0; p < phaseBlocks.length; p++) {
            buildPhase(p);
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
        builtPhases = 0;
        java.util.Arrays.fill(directReads, 0);
        source = volume;
    }

    /**
     * ROIs of phase {@code p} of the current source read straight from the volume before the phase is built: its
     * voxel count in 45^3-voxel frames, rounded up (a build touches each phase voxel once, as a strided ROI touches
     * each of its voxels once).
     */
    public int buildThresholdRois(int p) {
        if (source == null) {
            throw new IllegalStateException("decimated plane of scale " + scale + " has no source yet");
        }
        long voxels = (long) phaseDims[p * 3] * phaseDims[p * 3 + 1] * phaseDims[p * 3 + 2];
        return (int) (BUILD_COST_FRAMES_PER_FRAME_OF_VOXELS
                * ((voxels + RoiExtractor.FRAME_VOXELS - 1) / RoiExtractor.FRAME_VOXELS));
    }

    /** Copies phase {@code p} of the source out of its plane; grows the phase's native memory only when needed. */
    private void buildPhase(int p) {
        final int s = scale;
        final int e = frameType.bytes();
        final int shift = frameType == FrameType.FLOAT32 ? 2 : 0;
        final Volume volume = source;
        final int ny = volume.ny();
        final int nz = volume.nz();
        final int px = p / (s * s);
        final int py = (p / s) % s;
        final int pz = p % s;
        final int mx = phaseDims[p * 3];
        final int my = phaseDims[p * 3 + 1];
        final int mz = phaseDims[p * 3 + 2];
        final long bytes = Math.max(1L, (long) mx * my * mz * e);
        NativeBlock block = phaseBlocks[p];
        if (block == null || block.capacityBytes() < bytes) {
            if (block != null) {
                block.close();
            }
            phaseBlocks[p] = null;
            block = NativeBlock.allocate(bytes, Volume.ALIGNMENT_BYTES);
            phaseBlocks[p] = block;
        }
        final long srcBase = frameType == FrameType.FLOAT32 ? volume.floatAddress() : volume.byteAddress();
        final long srcEnd = srcBase + (long) volume.voxelCount() * e;
        long dstRow = block.address();
        for (int i = 0; i < mx; i++) {
            final int x = px + i * s;
            for (int j = 0; j < my; j++) {
                final int y = py + j * s;
                final long srcRow = srcBase + (((long) x * ny + y) * nz + pz) * e;
                RoiExtractor.gather(srcRow, srcEnd, dstRow, mz, s, shift);
                dstRow += (long) mz * e;
            }
        }
        builtPhases |= 1L << p;
    }

    private static int ceilDiv(int a, int b) {
        return a <= 0 ? 0 : (a + b - 1) / b;
    }

    /**
     * Writes the ROI of {@code window} (set for {@link #source()} at this plane's scale) to {@code dstAddress}, same
     * bytes as {@link RoiExtractor#extract}: from the window's phase if built, else straight from the volume, building
     * the phase once it has been read that way {@link #buildThresholdRois(int)} times.
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
        if ((builtPhases & (1L << p)) == 0) {
            if (directReads[p] < buildThresholdRois(p)) {
                directReads[p]++;
                RoiExtractor.extract(source, window, frameType, dstAddress);
                return;
            }
            buildPhase(p);
        }
        final int my = phaseDims[p * 3 + 1];
        final int mz = phaseDims[p * 3 + 2];
        final NativeBlock block = phaseBlocks[p];
        RoiExtractor.copyRows(window, lox / s, loy / s, loz / s, my, mz, 1, block.address(),
                block.address() + block.capacityBytes(), frameType, dstAddress);
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
        builtPhases = 0;
        for (int p = 0; p < phaseBlocks.length; p++) {
            if (phaseBlocks[p] != null) {
                phaseBlocks[p].close();
                phaseBlocks[p] = null;
            }
        }
    }
}
