package org.cmarl.engine.volume;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class VolumeFillTest {

    @ParameterizedTest
    @CsvSource({"1,1,1", "37,5,70", "33,64,31", "64,3,65"})
    void shouldTransposeFileOrderIntoVolumeLayoutAndTruncateBytesWhenAnyDims(int nx, int ny, int nz) {
        float[] values = new float[nx * ny * nz];
        SplittableRandom r = new SplittableRandom(nx * 1000L + ny * 10L + nz);
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (r.nextDouble() * 255.0);
        }
        try (Volume v = Volume.allocate("t", nx, ny, nz, new double[]{1, 1, 1}, Affine.scaling(1, 1, 1), null);
             Volume w = Volume.allocate("t", nx, ny, nz, new double[]{1, 1, 1}, Affine.scaling(1, 1, 1), null)) {
            v.fillFromFileOrder(values);
            for (int z = 0; z < nz; z++) {
                for (int y = 0; y < ny; y++) {
                    for (int x = 0; x < nx; x++) {
                        float want = values[x + nx * (y + ny * z)];
                        assertEquals(want, v.value(x, y, z), 0f);
                        assertEquals((int) want, v.byteValue(x, y, z));
                        w.floatVoxels().putFloat(w.index(x, y, z) << 2, want);
                    }
                }
            }
            w.deriveBytePlane();
            byte[] a = new byte[v.voxelCount()];
            byte[] b = new byte[v.voxelCount()];
            v.byteVoxels().getBytes(0, a);
            w.byteVoxels().getBytes(0, b);
            assertArrayEquals(b, a, "same bytes as deriveBytePlane");
        }
    }

    @Test
    void shouldMoveOwnershipWhenAttachingStats() {
        Volume v = Volume.allocate("t", 2, 2, 2, new double[]{1, 1, 1}, Affine.scaling(1, 1, 1), null);
        IntensityStats stats = new IntensityStats(0, 1, 0.5, 0.1, 0.99, 127.5);
        try (Volume w = v.withStats(stats)) {
            assertEquals(stats, w.stats());
            assertThrows(IllegalStateException.class, () -> v.value(0, 0, 0));
            v.close(); // the moved-from volume frees nothing
            w.floatVoxels().putFloat(0, 3f);
            assertEquals(3f, w.value(0, 0, 0), 0f);
        }
    }
}
