package org.cmarl.engine.synth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.cmarl.engine.volume.FileList;
import org.cmarl.engine.volume.FileType;
import org.cmarl.engine.volume.LandmarkReader;
import org.cmarl.engine.volume.LandmarkSet;
import org.cmarl.engine.volume.NiftiReader;
import org.cmarl.engine.volume.RawImage;
import org.cmarl.engine.volume.Volume;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SyntheticDatasetTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(ints = {32, 64, 100})
    void shouldWriteLoadableImagesWhoseLandmarksAreTheStructureCentres(int size) {
        SyntheticDataset.Result r = SyntheticDataset.generate(dir.resolve("a"), 3, 7L + size, size);
        List<FileList.Pair> pairs = FileList.pairs(r.imageList(), r.landmarkList());
        assertEquals(3, pairs.size());
        for (int i = 0; i < 3; i++) {
            assertEquals(r.images().get(i).toAbsolutePath().normalize(), pairs.get(i).image());
            RawImage raw = NiftiReader.readRaw(pairs.get(i).image());
            assertArrayEquals(new int[]{3, size, size, size, 1, 1, 1, 1}, raw.header().dims());
            LandmarkSet set = LandmarkReader.read(pairs.get(i).landmarks(), FileType.BRAIN, null);
            assertEquals(SyntheticDataset.LANDMARKS, set.count());
            try (Volume v = NiftiReader.load(pairs.get(i).image())) {
                assertArrayEquals(new double[]{1, 1, 1}, v.spacingMm());
                for (int k = 0; k < SyntheticDataset.LANDMARKS; k++) {
                    int[] c = set.voxel(k, v);
                    assertArrayEquals(r.landmarkVoxels().get(i)[k], c);
                    // structure 2 is a dark hole, the others bright: the centre is the strict extremum of its 5^3
                    assertStrictExtremum(raw, c, k == 2 ? -1 : 1, "image " + i + " landmark " + k);
                }
            }
        }
    }

    private static void assertStrictExtremum(RawImage raw, int[] c, int sign, String what) {
        float centre = raw.value(c[0], c[1], c[2]) * sign;
        for (int dx = -2; dx <= 2; dx++) {
            for (int dy = -2; dy <= 2; dy++) {
                for (int dz = -2; dz <= 2; dz++) {
                    if (dx != 0 || dy != 0 || dz != 0) {
                        float n = raw.value(c[0] + dx, c[1] + dy, c[2] + dz) * sign;
                        assertTrue(centre > n, what + ": neighbour (" + dx + "," + dy + "," + dz + ") " + n
                                + " vs centre " + centre);
                    }
                }
            }
        }
    }

    @Test
    void shouldWriteIdenticalBytesWhenSeedIsTheSame() throws IOException {
        SyntheticDataset.Result a = SyntheticDataset.generate(dir.resolve("a"), 2, 42L, 32);
        SyntheticDataset.Result b = SyntheticDataset.generate(dir.resolve("b"), 2, 42L, 32);
        SyntheticDataset.Result c = SyntheticDataset.generate(dir.resolve("c"), 2, 43L, 32);
        for (int i = 0; i < 2; i++) {
            assertArrayEquals(Files.readAllBytes(a.images().get(i)), Files.readAllBytes(b.images().get(i)));
            assertArrayEquals(Files.readAllBytes(a.landmarks().get(i)), Files.readAllBytes(b.landmarks().get(i)));
        }
        assertArrayEquals(Files.readAllBytes(a.imageList()), Files.readAllBytes(b.imageList()));
        assertFalse(java.util.Arrays.equals(Files.readAllBytes(a.images().get(0)), Files.readAllBytes(c.images().get(0))),
                "another seed gives another image");
        assertEquals("images/synth_000.nii.gz\nimages/synth_001.nii.gz\n", Files.readString(a.imageList()));
        assertEquals("landmarks/synth_000.txt\nlandmarks/synth_001.txt\n", Files.readString(a.landmarkList()));
    }
}
