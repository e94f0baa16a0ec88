package org.cmarl.engine.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;

import org.agrona.UnsafeApi;
import org.cmarl.engine.env.RoiWindow;
import org.cmarl.engine.memory.NativeBlock;
import org.cmarl.engine.observation.ObservationGeometry;
import org.cmarl.engine.volume.Affine;
import org.cmarl.engine.volume.IntensityStats;
import org.cmarl.engine.volume.Volume;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A frame written after the agent's previous frame (copying the shared planes or rows) is byte-for-byte the frame a
 * full extraction writes: the oracle is {@link RoiFrameSource#writeUint8Frame}, i.e. the environment's
 * {@code RoiExtractor}. Moves of one step at each scale, refused moves, jumps, scale changes, and locations near
 * every border (clamped windows) are all checked.
 */
class RoiFrameSourceTest {
    private static final int FB = ObservationGeometry.FRAME_VOXELS;
    private static final int NX = 200;
    private static final int NY = 190;
    private static final int NZ = 210;

    /** Random float voxels 0..255 with fractions, so the uint8 plane differs from voxel to voxel. */
    private static Volume randomVolume(long seed) {
        Volume v = Volume.allocate("random", NX, NY, NZ, new double[]{1, 1, 1}, Affine.scaling(1, 1, 1),
                new IntensityStats(0, 255, 0, 0, 255, 0));
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < v.voxelCount(); i++) {
            v.floatVoxels().putFloat(i * 4, (float) random.nextDouble(0, 255.99));
        }
        v.deriveBytePlane();
        return v;
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3})
    void shouldWriteTheFullExtractionWhenWrittenAfterThePreviousStep(int scale) {
        int stepVoxels = scale == 3 ? 9 : scale == 2 ? 3 : 1;
        int[] shiftedPerAxis = new int[3];
        int clampedElsewhere = 0;
        try (Volume v = randomVolume(scale);
             NativeBlock previous = NativeBlock.allocate(FB, 64);
             NativeBlock expected = NativeBlock.allocate(FB, 64);
             NativeBlock actual = NativeBlock.allocate(FB, 64)) {
            RoiFrameSource source = new RoiFrameSource(List.of(v));
            SplittableRandom random = new SplittableRandom(100 + scale);
            RoiWindow before = new RoiWindow();
            RoiWindow after = new RoiWindow();
            for (int trial = 0; trial < 400; trial++) {
                // each axis near the centre (a scale-3 window, 135 voxels, fits) or near a border (clamped)
                int[] p = new int[3];
                int[] dims = {NX, NY, NZ};
                for (int axis = 0; axis < 3; axis++) {
                    p[axis] = random.nextInt(3) > 0 ? random.nextInt(dims[axis] / 2 - 30, dims[axis] / 2 + 30)
                            : (random.nextBoolean() ? random.nextInt(1, 40) : dims[axis] - random.nextInt(1, 40));
                }
                int[] q = p.clone();
                int kind = random.nextInt(10);
                if (kind < 7) {
                    // one step: axis, sign
                    int axis = random.nextInt(3);
                    int moved = q[axis] + (random.nextBoolean() ? 1 : -1) * stepVoxels;
                    q[axis] = Math.max(0, Math.min(dims[axis] - 1, moved));
                } else if (kind == 7) {
                    // a jump back to a location a few steps away, on two axes
                    q[0] = Math.max(0, Math.min(NX - 1, q[0] + 2 * stepVoxels));
                    q[1] = Math.max(0, Math.min(NY - 1, q[1] - stepVoxels));
                }
                // kind 8, 9: a refused move, the same location
                int previousScale = kind == 9 && scale > 1 ? scale + 1 : scale;
                source.writeUint8Frame(0, p[0], p[1], p[2], previousScale, previous.address());
                source.writeUint8Frame(0, q[0], q[1], q[2], scale, expected.address());
                UnsafeApi.setMemory(actual.address(), FB, (byte) 0x5A);
                source.writeUint8FrameAfter(0, q[0], q[1], q[2], scale, actual.address(), p[0], p[1], p[2],
                        previousScale, previous.address());
                assertSameBytes(expected, actual, "scale " + scale + " from " + java.util.Arrays.toString(p)
                        + " at scale " + previousScale + " to " + java.util.Arrays.toString(q));
                before.set(previousScale, p[0], p[1], p[2], NX, NY, NZ);
                after.set(scale, q[0], q[1], q[2], NX, NY, NZ);
                for (int axis = 0; axis < 3; axis++) {
                    if (previousScale == scale && inside(before, axis) && inside(after, axis)
                            && before.lo(axis) != after.lo(axis)) {
                        shiftedPerAxis[axis]++;
                        clampedElsewhere += inside(before, (axis + 1) % 3) && inside(before, (axis + 2) % 3) ? 0 : 1;
                    }
                }
            }
        }
        // moves along each axis with that axis unclamped were checked, some with another axis clamped (the copy
        // path takes the whole-cell ones along x and y; z and the 1.5-cell moves of scale 2 are extracted in full)
        assertTrue(shiftedPerAxis[0] > 20 && shiftedPerAxis[1] > 20 && shiftedPerAxis[2] > 20,
                java.util.Arrays.toString(shiftedPerAxis));
        assertTrue(clampedElsewhere > 20, "moves with another axis clamped: " + clampedElsewhere);
    }

    @Test
    void shouldCopyThePreviousFrameWhenTheAgentDidNotMove() {
        try (Volume v = randomVolume(7);
             NativeBlock previous = NativeBlock.allocate(FB, 64);
             NativeBlock actual = NativeBlock.allocate(FB, 64);
             NativeBlock expected = NativeBlock.allocate(FB, 64)) {
            RoiFrameSource source = new RoiFrameSource(List.of(v));
            source.writeUint8Frame(0, 75, 70, 80, 1, previous.address());
            source.writeUint8Frame(0, 75, 70, 80, 1, expected.address());
            UnsafeApi.setMemory(actual.address(), FB, (byte) 0x5A);
            source.writeUint8FrameAfter(0, 75, 70, 80, 1, actual.address(), 75, 70, 80, 1, previous.address());
            assertSameBytes(expected, actual, "unmoved agent");
        }
    }

    @Test
    void shouldRejectAnEmptyImageList() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new RoiFrameSource(List.of()));
        assertEquals("no images: a frame source needs at least one volume", e.getMessage());
    }

    private static boolean inside(RoiWindow w, int axis) {
        return w.firstCell(axis) == 0 && w.endCell(axis) == ObservationGeometry.ROI_VOXELS;
    }

    private static void assertSameBytes(NativeBlock expected, NativeBlock actual, String what) {
        for (int i = 0; i < FB; i++) {
            byte e = UnsafeApi.getByte(expected.address() + i);
            byte a = UnsafeApi.getByte(actual.address() + i);
            if (e != a) {
                throw new AssertionError(what + ": cell " + (i / 2025) + "," + (i / 45 % 45) + "," + (i % 45)
                        + " expected " + (e & 0xFF) + ", got " + (a & 0xFF));
            }
        }
    }
}
