package org.cmarl.engine.volume;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LandmarkReaderTest {
    @TempDir
    Path dir;

    private Path write(String name, String text) throws IOException {
        Path f = dir.resolve(name);
        Files.writeString(f, text);
        return f;
    }

    @Test
    void shouldReadSampleListsAndMatchPublishedLandmarkVoxelsWhenBrain() throws Exception {
        Path brain = NormalisationParityTest.shared().resolve("sample-data/brain");
        List<FileList.Pair> pairs = FileList.pairs(brain.resolve("image_files.txt"), brain.resolve("landmark_files.txt"));
        assertEquals(10, pairs.size());
        JsonNode images = NormalisationParityTest.reference().get("images");
        for (int i = 0; i < 10; i++) {
            JsonNode ref = images.get(i);
            assertEquals(ref.get("image_file").asText(), pairs.get(i).image().getFileName().toString());
            assertEquals(ref.get("landmark_file").asText(), pairs.get(i).landmarks().getFileName().toString());
            LandmarkSet set = LandmarkReader.read(pairs.get(i).landmarks(), FileType.BRAIN, null);
            assertEquals(20, set.count());
            for (String key : new String[]{"landmark13", "landmark14"}) {
                JsonNode xyz = ref.get("voxels").get(key).get("xyz");
                int id = Integer.parseInt(key.substring("landmark".length()));
                assertArrayEquals(new int[]{xyz.get(0).asInt(), xyz.get(1).asInt(), xyz.get(2).asInt()},
                        set.voxel(id, 182, 218, 182), "image " + i + " " + key);
            }
        }
    }

    @Test
    void shouldRoundHalfToEvenWhenCoordinatesAreFractional() throws IOException {
        Path f = write("frac.txt", "0.5,1.5,2.5\n3.49,-0.4,9.5000001\n");
        LandmarkSet s = LandmarkReader.read(f, FileType.BRAIN, null);
        assertArrayEquals(new int[]{0, 2, 2}, s.voxel(0, 20, 20, 20));
        assertArrayEquals(new int[]{3, 0, 10}, s.voxel(1, 20, 20, 20));
    }

    @Test
    void shouldTakeRowIdNotIdModuloFifteenAndRejectIdsPastTheEnd() throws IOException {
        StringBuilder text = new StringBuilder();
        for (int r = 0; r < 18; r++) {
            text.append(r).append(',').append(r + 1).append(',').append(r + 2).append('\n');
        }
        LandmarkSet s = LandmarkReader.read(write("18.txt", text.toString()), FileType.BRAIN, null);
        // the published code would return row 16 % 15 = 1
        assertArrayEquals(new int[]{16, 17, 18}, s.voxel(16, 40, 40, 40));
        ImageFormatException e = assertThrows(ImageFormatException.class, () -> s.voxel(19, 40, 40, 40));
        assertTrue(e.getMessage().contains("has 18 rows, landmark id 19 requested"), e.getMessage());
        assertThrows(ImageFormatException.class, () -> s.voxel(-1, 40, 40, 40));
    }

    @Test
    void shouldRejectLandmarkOutsideTheImage() throws IOException {
        LandmarkSet s = LandmarkReader.read(write("out.txt", "5,6,7\n"), FileType.BRAIN, null);
        ImageFormatException e = assertThrows(ImageFormatException.class, () -> s.voxel(0, 6, 6, 8));
        assertTrue(e.getMessage().contains("(5, 6, 7) is outside the 6x6x8 image"), e.getMessage());
    }

    @Test
    void shouldNameTheLineWhenALineIsMalformed() throws IOException {
        Path f = write("bad.txt", "1,2,3\n4,5\n7,8,9\n");
        ImageFormatException e = assertThrows(ImageFormatException.class,
                () -> LandmarkReader.read(f, FileType.BRAIN, null));
        assertTrue(e.getMessage().contains("bad.txt line 2") && e.getMessage().contains("2 fields"), e.getMessage());
        Path g = write("nan.txt", "1,2,3\n4,x,6\n");
        e = assertThrows(ImageFormatException.class, () -> LandmarkReader.read(g, FileType.BRAIN, null));
        assertTrue(e.getMessage().contains("nan.txt line 2") && e.getMessage().contains("\"x\""), e.getMessage());
        Path blank = write("blank.txt", "1,2,3\n\n7,8,9\n");
        e = assertThrows(ImageFormatException.class, () -> LandmarkReader.read(blank, FileType.BRAIN, null));
        assertTrue(e.getMessage().contains("line 2"), e.getMessage());
        Path fetalWithCommas = write("fetal.txt", "1,2,3\n");
        e = assertThrows(ImageFormatException.class, () -> LandmarkReader.read(fetalWithCommas, FileType.FETAL, null));
        assertTrue(e.getMessage().contains("expected \"x y z\""), e.getMessage());
    }

    @Test
    void shouldReadFetalSpaceSeparatedAndIgnoreTrailingBlankLines() throws IOException {
        LandmarkSet s = LandmarkReader.read(write("f.txt", "1 2 3\n4  5\t6\r\n\n\n"), FileType.FETAL, null);
        assertEquals(2, s.count());
        assertArrayEquals(new int[]{4, 5, 6}, s.voxel(1, 10, 10, 10));
    }

    @Test
    void shouldMapCardiacVtkPointsThroughTheLpsAffineWhenCardiac() throws IOException {
        // NIfTI affine: spacing (2, 2, 4), origin (10, -20, 30); ITK's LPS matrix negates rows x and y.
        Affine affine = new Affine(new double[][]{{2, 0, 0, 10}, {0, 2, 0, -20}, {0, 0, 4, 30}, {0, 0, 0, 1}});
        // voxel (3, 4, 5) is RAS (16, -12, 50), LPS (-16, 12, 50); the file stores LPS with x and y negated: 16 -12 50
        // voxel (7.5, 0.5, 1) is RAS (25, -19, 34); file: 25 -19 34 -> rounds half to even: (8, 0, 1)
        String vtk = "# vtk DataFile Version 3.0\nlandmarks\nASCII\nDATASET POLYDATA\nPOINTS 2 float\n"
                + "16 -12 50\n25 -19 34\n\nVERTICES 2 4\n";
        LandmarkSet s = LandmarkReader.read(write("c.vtk", vtk), FileType.CARDIAC, affine);
        assertEquals(2, s.count());
        assertArrayEquals(new double[]{3, 4, 5}, s.points()[0], 1e-12);
        assertArrayEquals(new int[]{3, 4, 5}, s.voxel(0, 10, 10, 10));
        assertArrayEquals(new int[]{8, 0, 1}, s.voxel(1, 10, 10, 10));
        // several points on one line, as VTK writers do: 6 numbers on line 5, none on line 6
        LandmarkSet t = LandmarkReader.read(write("d.vtk", "a\nb\nc\nd\ne\n16 -12 50 25 -19 34\n\n"),
                FileType.CARDIAC, affine);
        assertArrayEquals(new int[]{8, 0, 1}, t.voxel(1, 10, 10, 10));
        ImageFormatException e = assertThrows(ImageFormatException.class,
                () -> LandmarkReader.read(write("short.vtk", "a\nb\nc\n"), FileType.CARDIAC, affine));
        assertTrue(e.getMessage().contains("has 3 lines"), e.getMessage());
    }

    @Test
    void shouldResolveListEntriesBesideTheListThenWorkingDirAndRejectMissingOrUnequalLists() throws IOException {
        Path sub = Files.createDirectories(dir.resolve("lists"));
        Files.writeString(sub.resolve("a.txt"), "1,2,3\n");
        Path absolute = write("abs.txt", "1,2,3\n");
        Path list = write("lists/list.txt", "a.txt\n\n" + absolute + "\n   \n");
        assertEquals(List.of(sub.resolve("a.txt").toAbsolutePath().normalize(), absolute), FileList.read(list));

        // a path that exists only relative to the working directory (the module folder during tests)
        Path cwdRelative = Path.of("pom.xml");
        if (Files.isRegularFile(cwdRelative)) {
            Path cwdList = write("cwd.txt", "pom.xml\n");
            assertEquals(cwdRelative.toAbsolutePath().normalize(), FileList.read(cwdList).get(0));
        }

        Path missing = write("missing.txt", "a.txt\nnope.txt\n");
        ImageFormatException e = assertThrows(ImageFormatException.class, () -> FileList.read(missing));
        assertTrue(e.getMessage().contains("line 1"), e.getMessage());
        Path missing2 = write("lists/missing2.txt", "a.txt\nnope.txt\n");
        e = assertThrows(ImageFormatException.class, () -> FileList.read(missing2));
        assertTrue(e.getMessage().contains("line 2: \"nope.txt\" not found"), e.getMessage());

        Path one = write("lists/one.txt", "a.txt\n");
        Path two = write("lists/two.txt", "a.txt\na.txt\n");
        e = assertThrows(ImageFormatException.class, () -> FileList.pairs(one, two));
        assertTrue(e.getMessage().contains("has 1 files but landmark list") && e.getMessage().contains("has 2"),
                e.getMessage());
    }

    @Test
    void shouldParseFileTypeNamesCaseInsensitively() {
        assertEquals(FileType.CARDIAC, FileType.fromName("Cardiac"));
        assertEquals("fetal", FileType.FETAL.cliName());
        assertThrows(IllegalArgumentException.class, () -> FileType.fromName("lung"));
    }
}
