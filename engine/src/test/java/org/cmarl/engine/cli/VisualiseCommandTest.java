package org.cmarl.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;

import javax.imageio.ImageIO;

import org.cmarl.engine.synth.SyntheticDataset;
import org.cmarl.engine.viz.LandmarkMontage;
import org.cmarl.engine.viz.Palette;
import org.cmarl.engine.volume.NiftiReader;
import org.cmarl.engine.volume.Volume;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VisualiseCommandTest {
    static final int SIZE = 40;

    @TempDir
    Path dir;

    @Test
    void shouldWriteOneMontagePerImageWithLandmarksMarkedInTheirColoursWhenListsAreValid() throws IOException {
        SyntheticDataset.Result data = SyntheticDataset.generate(dir.resolve("data"), 2, 7, SIZE);
        Path out = dir.resolve("pngs");
        StringWriter stdout = new StringWriter();
        StringWriter stderr = new StringWriter();
        int code = Main.run(new String[]{"visualise", "--files", data.imageList().toString(),
                data.landmarkList().toString(), "--landmarks", "2", "0", "--out", out.toString()},
                new PrintWriter(stdout, true), new PrintWriter(stderr, true));
        assertEquals(0, code, stderr.toString());
        List<Integer> ids = List.of(2, 0);
        for (int i = 0; i < 2; i++) {
            Path png = out.resolve(String.format("synth_%03d_landmarks.png", i));
            BufferedImage img = ImageIO.read(png.toFile());
            // 3 views of 40 x 40 voxels, 6 px gaps; a title strip and 2 rows of (header + slice). 2 px a voxel
            // would make 80 px slices whose captions are cut: raised to 6 px (240 px >= 210)
            assertEquals(3 * SIZE * 6 + 2 * LandmarkMontage.GAP_PX, img.getWidth());
            assertEquals(LandmarkMontage.TITLE_PX + 2 * (LandmarkMontage.CELL_HEADER_PX + SIZE * 6)
                    + LandmarkMontage.GAP_PX, img.getHeight());
            try (Volume v = NiftiReader.load(data.images().get(i))) {
                LandmarkMontage layout = new LandmarkMontage(2);
                assertEquals(6, layout.pixelsPerVoxel(v));
                for (int row = 0; row < 2; row++) {
                    int[] voxel = data.landmarkVoxels().get(i)[ids.get(row)];
                    for (int view = 0; view < 3; view++) {
                        int[] p = layout.voxelCentrePx(v, row, view, voxel);
                        assertEquals(Palette.agent(row).getRGB(), img.getRGB(p[0], p[1]),
                                "image " + i + " landmark " + ids.get(row) + " view " + view);
                    }
                }
            }
        }
        // The progress bar shares stdout; the lines that name the PNGs are what a user reads.
        assertEquals(List.of(out.resolve("synth_000_landmarks.png").toString(),
                        out.resolve("synth_001_landmarks.png").toString()),
                stdout.toString().lines().filter(l -> l.startsWith(out.toString())).toList());
    }

    @Test
    void shouldFailWithExitTwoNamingTheFileWhenLandmarkIdIsMissing() {
        SyntheticDataset.Result data = SyntheticDataset.generate(dir.resolve("data"), 1, 7, SIZE);
        StringWriter stderr = new StringWriter();
        int code = Main.run(new String[]{"visualise", "--files", data.imageList().toString(),
                data.landmarkList().toString(), "--landmarks", "9", "--out", dir.resolve("pngs").toString()},
                new PrintWriter(new StringWriter(), true), new PrintWriter(stderr, true));
        assertEquals(2, code);
        String err = stderr.toString();
        assertEquals(1, err.lines().count(), err);
        assertEquals(true, err.contains(data.landmarks().get(0).toString()), err);
    }
}
