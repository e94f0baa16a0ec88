package org.cmarl.engine.env;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.SplittableRandom;

import org.agrona.UnsafeApi;
import org.cmarl.engine.memory.NativeBlock;
import org.cmarl.engine.observation.FrameType;
import org.cmarl.engine.observation.ObservationGeometry;
import org.cmarl.engine.volume.Volume;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The lazily built {@link DecimatedPlane} (a phase row gathered from the volume the first time a ROI needs it),
 * the wide-load row gathers, and the environment with and without decimated planes: always the same bytes.
 */
class DecimatedPlaneTest {
    private static final int N = ObservationGeometry.ROI_VOXELS;

    @ParameterizedTest(name = "{0}")
    @EnumSource(FrameType.class)
    void shouldBuildOnlyTheRowsEachRoiNeedsWhenMovingOneStepAtATime(FrameType type) {
        int[] dims = {160, 170, 180};
        try (Volume v = RoiExtractorTest.patterned(dims[0], dims[1], dims[2]);
             DecimatedPlane plane = new DecimatedPlane(3, type);
             NativeBlock frame = NativeBlock.allocate(ObservationGeometry.frameBytes(type), 64)) {
            plane.ensureBuiltFor(v);
            assertEquals(0, plane.builtRowCount());
            RoiWindow w = new RoiWindow();
            // unclamped scale-3 windows (the crop, 68 voxels below the agent and 67 above, fits): 45 x 45 phase rows each;
            // a 9-voxel move keeps the phase and shifts the rows by 3 cells on x or y (3 x 45 new rows), on z none
            int[][] at = {{75, 80, 85}, {75, 80, 94}, {84, 80, 85}, {84, 89, 85}, {75, 80, 85}};
            long[] expectedRows = {2025, 2025, 2025 + 135, 2025 + 135 + 135, 2025 + 135 + 135};
            for (int k = 0; k < at.length; k++) {
                int[] xyz = at[k];
                w.set(3, xyz[0], xyz[1], xyz[2], dims[0], dims[1], dims[2]);
                UnsafeApi.setMemory(frame.address(), frame.capacityBytes(), (byte) 0x7f);
                plane.extract(w, frame.address());
                RoiExtractorTest.assertFrameEquals(v, frame, type, 3, xyz[0], xyz[1], xyz[2]);
                assertEquals(expectedRows[k], plane.builtRowCount(), "after ROI " + k);
            }
        }
    }

    @Test
    void shouldForgetBuiltPhasesAndReadNewImageWhenSourceChanges() {
        try (Volume a = RoiExtractorTest.patterned(50, 40, 30);
             Volume b = RoiExtractorTest.patterned(31, 47, 29);
             DecimatedPlane plane = new DecimatedPlane(2, FrameType.UINT8);
             NativeBlock frame = NativeBlock.allocate(ObservationGeometry.frameBytes(FrameType.UINT8), 64)) {
            // b differs from a at every voxel both contain: shift its pattern by writing a different value
            for (int i = 0; i < b.voxelCount(); i++) {
                b.floatVoxels().putFloat(i * 4, (i * 7 % 200) + 3.5f);
            }
            b.deriveBytePlane();
            plane.rebuild(a);
            assertEquals(50L * 40 * 2, plane.builtRowCount(), "every volume row, split into one row per z phase");
            plane.ensureBuiltFor(b);
            assertEquals(0, plane.builtRowCount());
            RoiWindow w = new RoiWindow();
            for (int use = 0; use < 3; use++) {
                w.set(2, 15, 20, 14, b.nx(), b.ny(), b.nz());
                plane.extract(w, frame.address());
                RoiExtractorTest.assertFrameEquals(b, frame, FrameType.UINT8, 2, 15, 20, 14);
            }
            plane.rebuild(b);
            plane.extract(w, frame.address());
            RoiExtractorTest.assertFrameEquals(b, frame, FrameType.UINT8, 2, 15, 20, 14);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {-1, 0, 1})
    void shouldRejectScaleBelowTwo(int scale) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new DecimatedPlane(scale, FrameType.UINT8));
        assertEquals("scale=" + scale + ", expected >= 2 (scale 1 reads the volume directly)", e.getMessage());
    }

    @Test
    void shouldThrowIllegalStateWhenUsedAfterCloseOrSourceClosed() {
        Volume v = RoiExtractorTest.patterned(20, 20, 20);
        DecimatedPlane plane = new DecimatedPlane(3, FrameType.FLOAT32);
        try (NativeBlock frame = NativeBlock.allocate(ObservationGeometry.frameBytes(FrameType.FLOAT32), 64)) {
            plane.ensureBuiltFor(v);
            RoiWindow w = new RoiWindow();
            w.set(3, 10, 10, 10, 20, 20, 20);
            v.close();
            IllegalStateException closedSource = assertThrows(IllegalStateException.class,
                    () -> plane.extract(w, frame.address()));
            assertEquals("decimated plane of scale 3: source volume patterned is closed", closedSource.getMessage());
            plane.close();
            plane.close();
            IllegalStateException closed = assertThrows(IllegalStateException.class,
                    () -> plane.extract(w, frame.address()));
            assertEquals("decimated plane (scale 3, FLOAT32) is closed", closed.getMessage());
        }
    }

    /**
     * Every row length 0..45 at strides 1..3 for both element types, with the readable end of the source either
     * well past the row or exactly after its last sample (the wide loads must then fall back): each sample equals a
     * one-element load from the oracle address {@code src + k * stride * elementBytes}.
     */
    @Test
    void shouldGatherEverySampleWhenRowHasAnyLengthAndEndsAtBlockEnd() {
        try (NativeBlock src = NativeBlock.allocate(4096, 64);
             NativeBlock dst = NativeBlock.allocate(4096, 64)) {
            SplittableRandom random = new SplittableRandom(3);
            for (int i = 0; i < 4096; i++) {
                UnsafeApi.putByte(src.address() + i, (byte) random.nextInt(256));
            }
            for (int shift = 0; shift <= 2; shift += 2) {
                for (int stride = 2; stride <= 3; stride++) {
                    for (int count = 0; count <= N; count++) {
                        for (boolean tightEnd : new boolean[]{false, true}) {
                            long from = src.address() + 101;
                            long lastSampleEnd = from + (((long) (count - 1) * stride + 1) << shift);
                            long srcEnd = tightEnd ? lastSampleEnd : src.address() + src.capacityBytes();
                            UnsafeApi.setMemory(dst.address(), dst.capacityBytes(), (byte) 0x5a);
                            RoiExtractor.gather(from, srcEnd, dst.address() + 3, count, stride, shift);
                            String at = "shift " + shift + " stride " + stride + " count " + count + " tight "
                                    + tightEnd;
                            for (int k = 0; k < count; k++) {
                                long s = from + ((long) k * stride << shift);
                                long d = dst.address() + 3 + ((long) k << shift);
                                if (shift == 0) {
                                    assertEquals(UnsafeApi.getByte(s), UnsafeApi.getByte(d), at + " sample " + k);
                                } else {
                                    assertEquals(UnsafeApi.getInt(s), UnsafeApi.getInt(d), at + " sample " + k);
                                }
                            }
                            assertEquals((byte) 0x5a, UnsafeApi.getByte(dst.address() + 3 + ((long) count << shift)),
                                    at + ": wrote past the run");
                            assertEquals((byte) 0x5a, UnsafeApi.getByte(dst.address() + 2), at + ": wrote before");
                        }
                    }
                }
            }
        }
    }

    /**
     * TRAIN, multiscale, random actions, the image changing every episode (as in training): the decimated path
     * (phase rows built as ROIs first need them) writes exactly the frames of the direct path at every step.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(FrameType.class)
    void shouldWriteSameObservationsWithAndWithoutDecimatedPlanesWhenImageChangesEveryEpisode(FrameType type) {
        int agents = 3;
        try (Volume a = RoiExtractorTest.patterned(60, 70, 80);
             Volume b = RoiExtractorTest.patterned(81, 62, 57);
             LandmarkEnv direct = LandmarkEnv.withOwnBuffer(new EnvConfig(Mode.TRAIN, agents, true, type, 200,
                     false, false));
             LandmarkEnv decimated = LandmarkEnv.withOwnBuffer(new EnvConfig(Mode.TRAIN, agents, true, type, 200,
                     false, true))) {
            long bytes = direct.layout().batchEntryBytes();
            int[] actions = new int[agents];
            int[] scaleSteps = new int[4];
            for (int episode = 0; episode < 6; episode++) {
                Volume v = episode % 2 == 0 ? a : b;
                int[][] landmarks = {{v.nx() / 2, v.ny() / 2, v.nz() / 2}, {5, 6, 7}, {v.nx() - 2, 3, v.nz() - 4}};
                SplittableRandom r1 = new SplittableRandom(100 + episode);
                SplittableRandom r2 = new SplittableRandom(100 + episode);
                direct.reset(v, landmarks, Spawn.random(), r1);
                decimated.reset(v, landmarks, Spawn.random(), r2);
                assertObservationsEqual(direct, decimated, bytes, "episode " + episode + " reset");
                int t = 0;
                while (!direct.isOver()) {
                    for (int ag = 0; ag < agents; ag++) {
                        actions[ag] = r1.nextInt(6);
                    }
                    scaleSteps[direct.scale()]++;
                    direct.step(actions, (double[]) null);
                    decimated.step(actions, (double[]) null);
                    assertEquals(direct.isOver(), decimated.isOver());
                    assertObservationsEqual(direct, decimated, bytes, "episode " + episode + " step " + ++t);
                }
            }
            // the comparison means something only if both decimated scales were used well past the thresholds
            assertEquals(true, scaleSteps[3] > 100 && scaleSteps[2] > 20, "steps per scale "
                    + java.util.Arrays.toString(scaleSteps));
        }
    }

    private static void assertObservationsEqual(LandmarkEnv expected, LandmarkEnv actual, long bytes, String at) {
        assertEquals(expected.frames().oldestSlot(), actual.frames().oldestSlot(), at);
        long e = expected.frames().address();
        long a = actual.frames().address();
        // 8 bytes at a time, then the tail byte by byte: a uint8 observation of 3 agents (1,093,500 bytes) is not a
        // whole number of longs, and the bytes after it are not the environment's
        long i = 0;
        for (; i + 8 <= bytes; i += 8) {
            if (UnsafeApi.getLong(e + i) != UnsafeApi.getLong(a + i)) {
                assertEquals(UnsafeApi.getLong(e + i), UnsafeApi.getLong(a + i), at + ", observation byte " + i);
            }
        }
        for (; i < bytes; i++) {
            assertEquals(UnsafeApi.getByte(e + i), UnsafeApi.getByte(a + i), at + ", observation byte " + i);
        }
    }
}
