package org.cmarl.engine.env;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.cmarl.engine.memory.NativeBlock;
import org.cmarl.engine.observation.FrameType;
import org.cmarl.engine.observation.ObservationGeometry;
import org.cmarl.engine.volume.Affine;
import org.cmarl.engine.volume.Volume;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The fast ROI copy against a slow per-voxel ROI written straight from SPEC.md section 3, at every scale, near every
 * face, edge and corner, and on images smaller than the ROI.
 */
class RoiExtractorTest {
    private static final int N = 45;

    /** A volume whose voxels all differ from their neighbours along every axis, so a phase error shows. */
    static Volume patterned(int nx, int ny, int nz) {
        Volume v = Volume.allocate("patterned", nx, ny, nz, new double[]{1, 1, 1}, Affine.scaling(1, 1, 1), null);
        for (int x = 0; x < nx; x++) {
            for (int y = 0; y < ny; y++) {
                for (int z = 0; z < nz; z++) {
                    float value = ((x * 31 + y * 17 + z * 7) % 250) + 1 + 0.25f;
                    v.floatVoxels().putFloat(v.index(x, y, z) * 4, value);
                }
            }
        }
        v.deriveBytePlane();
        return v;
    }

    /** SPEC.md section 3 ROI, one axis: the voxel sampled by each screen cell, or -1 for a zero cell. */
    static int[] referenceAxis(int location, int scale, int dim) {
        int lo;
        int hi;
        if (scale % 2 == 1) {
            lo = location - (int) Math.floor(45.0 * scale / 2) - 1;
            hi = location + (int) Math.floor(45.0 * scale / 2);
        } else {
            lo = location - (int) Math.round(45.0 * scale / 2);
            hi = location + (int) Math.round(45.0 * scale / 2);
        }
        int first = 0;
        int end = N;
        if (lo < 0) {
            lo = 0;
            first = N - countSlowly(0, hi, scale);
        }
        if (hi > dim) {
            hi = dim;
            end = first + countSlowly(lo, dim, scale);
        }
        int[] voxel = new int[N];
        java.util.Arrays.fill(voxel, -1);
        int cell = first;
        for (int v = lo; v < hi; v += scale) {
            voxel[cell++] = v;
        }
        assertEquals(end, cell, "cells filled");
        return voxel;
    }

    static int countSlowly(int a, int b, int s) {
        int n = 0;
        for (int v = a; v < b; v += s) {
            n++;
        }
        return n;
    }

    static float referenceValue(Volume v, int[] vx, int[] vy, int[] vz, int cx, int cy, int cz, FrameType type) {
        if (vx[cx] < 0 || vy[cy] < 0 || vz[cz] < 0) {
            return 0f;
        }
        return type == FrameType.FLOAT32 ? v.value(vx[cx], vy[cy], vz[cz]) : v.byteValue(vx[cx], vy[cy], vz[cz]);
    }

    static Stream<Arguments> volumesAndScales() {
        List<Arguments> out = new ArrayList<>();
        int[][] sizes = {{100, 110, 120}, {60, 70, 50}, {20, 30, 10}, {1, 2, 3}};
        for (int[] size : sizes) {
            for (int scale = 1; scale <= 3; scale++) {
                for (FrameType type : FrameType.values()) {
                    out.add(Arguments.of(size[0], size[1], size[2], scale, type));
                }
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0}x{1}x{2} scale {3} {4}")
    @MethodSource("volumesAndScales")
    void shouldEqualSlowReferenceWhenNearEveryFaceEdgeAndCorner(int nx, int ny, int nz, int scale, FrameType type) {
        try (Volume v = patterned(nx, ny, nz);
             NativeBlock frame = NativeBlock.allocate(ObservationGeometry.frameBytes(type), 64);
             DecimatedPlane decimated = scale > 1 ? new DecimatedPlane(scale, type) : null) {
            if (decimated != null) {
                decimated.rebuild(v);
            }
            RoiWindow window = new RoiWindow();
            for (int[] at : positions(nx, ny, nz)) {
                // dirty the slot first: every cell must be written, zeros included
                org.agrona.UnsafeApi.setMemory(frame.address(), frame.capacityBytes(), (byte) 0x7f);
                window.set(scale, at[0], at[1], at[2], nx, ny, nz);
                RoiExtractor.extract(v, window, type, frame.address());
                assertFrameEquals(v, frame, type, scale, at[0], at[1], at[2]);
                if (decimated != null) {
                    org.agrona.UnsafeApi.setMemory(frame.address(), frame.capacityBytes(), (byte) 0x7f);
                    decimated.extract(window, frame.address());
                    assertFrameEquals(v, frame, type, scale, at[0], at[1], at[2]);
                }
            }
        }
    }

    /**
     * Frame slots have every alignment (a uint8 frame is 91,125 bytes, odd; a float32 one 364,500, 4 mod 8) and the
     * whole-row copy aligns its stores to 8 bytes, assembling the words that straddle two rows: every start offset
     * mod 8, every scale, direct and decimated, and not one byte written outside the frame.
     */
    @ParameterizedTest(name = "scale {0} {1}")
    @MethodSource("scalesAndTypes")
    void shouldWriteExactlyTheFrameWhenSlotHasAnyAlignment(int scale, FrameType type) {
        final int nx = 100;
        final int ny = 110;
        final int nz = 120;
        final int guard = 16;
        final long frameBytes = ObservationGeometry.frameBytes(type);
        try (Volume v = patterned(nx, ny, nz);
             NativeBlock block = NativeBlock.allocate(frameBytes + 2L * guard + 8, 64);
             DecimatedPlane decimated = scale > 1 ? new DecimatedPlane(scale, type) : null) {
            if (decimated != null) {
                decimated.rebuild(v);
            }
            RoiWindow window = new RoiWindow();
            int[][] at = {{nx / 2, ny / 2, nz / 2}, {nx / 2, ny / 2, 1}, {nx / 2, ny / 2, nz - 2}, {1, ny - 2, nz / 2},
                    {nx - 1, 0, nz / 2}};
            for (int misalign = 0; misalign < 8; misalign += type.bytes()) {
                final int offset = guard + misalign;
                for (int[] p : at) {
                    for (int path = 0; path < (decimated == null ? 1 : 2); path++) {
                        org.agrona.UnsafeApi.setMemory(block.address(), block.capacityBytes(), (byte) 0x7f);
                        window.set(scale, p[0], p[1], p[2], nx, ny, nz);
                        if (path == 0) {
                            RoiExtractor.extract(v, window, type, block.address() + offset);
                        } else {
                            decimated.extract(window, block.address() + offset);
                        }
                        assertFrameEquals(v, block, offset, type, scale, p[0], p[1], p[2]);
                        for (long b = 0; b < block.capacityBytes(); b++) {
                            if (b < offset || b >= offset + frameBytes) {
                                assertEquals((byte) 0x7f, block.buffer().getByte((int) b), "byte " + (b - offset)
                                        + " relative to the frame start (offset " + offset + ") was written");
                            }
                        }
                    }
                }
            }
        }
    }

    static Stream<Arguments> scalesAndTypes() {
        List<Arguments> out = new ArrayList<>();
        for (int scale = 1; scale <= 3; scale++) {
            for (FrameType type : FrameType.values()) {
                out.add(Arguments.of(scale, type));
            }
        }
        return out.stream();
    }

    /**
     * Every corner, edge and face (products of {0, 1, middle, last}), plus, one axis at a time with the others in
     * the middle, both sides of every clamp threshold of the three scales.
     */
    static List<int[]> positions(int nx, int ny, int nz) {
        int[] dims = {nx, ny, nz};
        List<int[]> out = new ArrayList<>();
        int[][] corners = new int[3][];
        for (int axis = 0; axis < 3; axis++) {
            int d = dims[axis];
            corners[axis] = java.util.stream.IntStream.of(0, 1, d / 2, d - 1).filter(c -> c < d).distinct().toArray();
        }
        for (int x : corners[0]) {
            for (int y : corners[1]) {
                for (int z : corners[2]) {
                    out.add(new int[]{x, y, z});
                }
            }
        }
        for (int axis = 0; axis < 3; axis++) {
            for (int c : probes(dims[axis])) {
                int[] at = {nx / 2, ny / 2, nz / 2};
                at[axis] = c;
                out.add(at);
            }
        }
        return out;
    }

    /** 0, 1, 2, the middle, the last three, and both sides of every clamp threshold of the three scales. */
    static int[] probes(int dim) {
        java.util.TreeSet<Integer> p = new java.util.TreeSet<>();
        int[] candidates = {0, 1, 2, dim / 2, dim - 3, dim - 2, dim - 1, 21, 22, 23, 24, 44, 45, 46, 66, 67, 68, 69,
                dim - 21, dim - 22, dim - 23, dim - 44, dim - 45, dim - 46, dim - 67, dim - 68, dim - 69};
        for (int c : candidates) {
            if (c >= 0 && c < dim) {
                p.add(c);
            }
        }
        return p.stream().mapToInt(Integer::intValue).toArray();
    }

    static void assertFrameEquals(Volume v, NativeBlock frame, FrameType type, int scale, int x, int y, int z) {
        assertFrameEquals(v, frame, 0, type, scale, x, y, z);
    }

    /** The frame written {@code offsetBytes} into {@code frame}. */
    static void assertFrameEquals(Volume v, NativeBlock frame, int offsetBytes, FrameType type, int scale, int x,
                                  int y, int z) {
        int[] vx = referenceAxis(x, scale, v.nx());
        int[] vy = referenceAxis(y, scale, v.ny());
        int[] vz = referenceAxis(z, scale, v.nz());
        for (int cx = 0; cx < N; cx++) {
            for (int cy = 0; cy < N; cy++) {
                for (int cz = 0; cz < N; cz++) {
                    int cell = (cx * N + cy) * N + cz;
                    float expected = referenceValue(v, vx, vy, vz, cx, cy, cz, type);
                    float actual = type == FrameType.FLOAT32 ? frame.buffer().getFloat(offsetBytes + cell * 4)
                            : frame.buffer().getByte(offsetBytes + cell) & 0xFF;
                    if (expected != actual) {
                        assertEquals(expected, actual, "scale " + scale + " at (" + x + "," + y + "," + z
                                + ") in " + v.nx() + "x" + v.ny() + "x" + v.nz() + ", cell (" + cx + "," + cy + ","
                                + cz + ")");
                    }
                }
            }
        }
    }

    @Test
    void shouldReuseDecimatedPlaneMemoryWhenRebuiltForAnotherVolume() {
        try (Volume big = patterned(50, 40, 30);
             Volume small = patterned(20, 25, 30);
             DecimatedPlane plane = new DecimatedPlane(3, FrameType.FLOAT32);
             NativeBlock frame = NativeBlock.allocate(ObservationGeometry.frameBytes(FrameType.FLOAT32), 64)) {
            RoiWindow w = new RoiWindow();
            for (Volume v : new Volume[]{big, small, big}) {
                plane.ensureBuiltFor(v);
                assertEquals(v, plane.source());
                w.set(3, 7, 8, 9, v.nx(), v.ny(), v.nz());
                plane.extract(w, frame.address());
                assertFrameEquals(v, frame, FrameType.FLOAT32, 3, 7, 8, 9);
            }
            w.set(2, 7, 8, 9, 50, 40, 30);
            IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                    () -> plane.extract(w, frame.address()));
            assertEquals("decimated plane of scale 3 used for a window of scale 2", e.getMessage());
        }
    }

    @Test
    void shouldPutAgentVoxelAtCell23WhenScale1Unclamped() {
        try (Volume v = patterned(100, 100, 100);
             NativeBlock frame = NativeBlock.allocate(ObservationGeometry.frameBytes(FrameType.FLOAT32), 64)) {
            RoiWindow w = new RoiWindow();
            w.set(1, 50, 60, 70, 100, 100, 100);
            RoiExtractor.extract(v, w, FrameType.FLOAT32, frame.address());
            assertEquals(v.value(50, 60, 70), frame.buffer().getFloat(((23 * N + 23) * N + 23) * 4));
            assertEquals(27, w.lo(0));
            assertEquals(72, w.hi(0));
        }
    }

    @Test
    void shouldRestartStrideAtZeroWhenLowSideClamped() {
        // scale 3 at x = 10: unclamped lo = 10 - 68 = -58, hi = 77; n(0, 77) = 26 samples 0, 3, ..., 75 fill cells
        // 19..44, where the unclamped grid would have sampled -1, 2, 5, ...
        RoiWindow w = new RoiWindow();
        w.set(3, 10, 100, 100, 182, 218, 182);
        assertEquals(0, w.lo(0));
        assertEquals(77, w.hi(0));
        assertEquals(19, w.firstCell(0));
        assertEquals(45, w.endCell(0));
        assertEquals(true, w.clampedLow(0));
        assertEquals(false, w.clampedHigh(0));
    }
}
