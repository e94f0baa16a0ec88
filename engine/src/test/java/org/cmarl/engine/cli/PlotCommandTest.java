package org.cmarl.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import javax.imageio.ImageIO;

import org.cmarl.engine.viz.ProgressPlot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PlotCommandTest {
    static final String HEADER = "epoch,episode,agent_steps,eps,lr,loss,train_distance_mm,train_distance_mm_0,"
            + "train_distance_mm_1,train_score,val_distance_mm,val_distance_mm_0,val_distance_mm_1\n";

    @TempDir
    Path dir;

    record Run(int exit, String out, String err) {
    }

    static Run rlm(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }

    static int countColour(BufferedImage img, int rgb, int fromRow, int toRow) {
        int n = 0;
        for (int y = fromRow; y < toRow; y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                n += (img.getRGB(x, y) & 0xffffff) == (rgb & 0xffffff) ? 1 : 0;
            }
        }
        return n;
    }

    @Test
    void shouldWritePlotOfExpectedSizeWhenRunHasProgressCsv() throws IOException {
        Files.writeString(dir.resolve("progress.csv"), HEADER
                + "1,10,2000,0.99,0.001,,40.5,41,40,-3.2,,,\n"
                + "2,20,4000,0.98,0.001,2.5,30.25,31,29.5,-1.5,28,27,29\n"
                + "3,30,6000,0.97,0.001,1.75,20,21,19,0.5,18.5,18,19\n");
        Run r = rlm("plot", dir.toString());
        assertEquals(0, r.exit(), r.err());
        assertEquals("plot of 3 epochs: " + dir.resolve("progress.png") + System.lineSeparator(), r.out());
        BufferedImage png = ImageIO.read(dir.resolve("progress.png").toFile());
        assertEquals(ProgressPlot.WIDTH_PX, png.getWidth());
        assertEquals(ProgressPlot.DISTANCE_HEIGHT_PX + ProgressPlot.LOSS_HEIGHT_PX, png.getHeight());
        int lossTop = ProgressPlot.DISTANCE_HEIGHT_PX;
        assertTrue(countColour(png, ProgressPlot.LOSS.getRGB(), lossTop, png.getHeight()) > 50,
                "loss line drawn in the lower panel");
        assertEquals(0, countColour(png, ProgressPlot.LOSS.getRGB(), 0, lossTop), "no loss colour in the distance panel");
        assertTrue(countColour(png, ProgressPlot.VALIDATION_MEAN.getRGB(), 0, lossTop) > 20, "validation line drawn");
    }

    @Test
    void shouldDrawNoLossLineWhenNoEpochHasALoss() throws IOException {
        Files.writeString(dir.resolve("progress.csv"), HEADER + "1,10,2000,0.99,0.001,,40.5,41,40,-3.2,,,\n");
        Path png = dir.resolve("elsewhere.png");
        Run r = rlm("plot", dir.toString(), "--out", png.toString());
        assertEquals(0, r.exit(), r.err());
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(0, countColour(img, ProgressPlot.LOSS.getRGB(), 0, img.getHeight()));
        assertEquals(0, countColour(img, ProgressPlot.VALIDATION_MEAN.getRGB(), 0, img.getHeight()));
    }

    @Test
    void shouldFailWithOneLineAndExitTwoWhenRunDirHasNoProgressCsv() {
        Run r = rlm("plot", dir.toString());
        assertEquals(2, r.exit());
        assertEquals("rlm: " + dir.resolve("progress.csv") + ": no such file (plot needs a training run folder, "
                + "made by --task train)" + System.lineSeparator(), r.err());
        assertTrue(Files.notExists(dir.resolve("progress.png")));
    }

    @Test
    void shouldFailWithExitTwoWhenOutFolderDoesNotExist() throws IOException {
        Files.writeString(dir.resolve("progress.csv"), HEADER + "1,10,2000,0.99,0.001,,40.5,41,40,-3.2,,,\n");
        Path png = dir.resolve("missing/plot.png");
        Run r = rlm("plot", dir.toString(), "--out", png.toString());
        assertEquals(2, r.exit());
        assertEquals("rlm: --out " + png + ": folder " + dir.resolve("missing") + " does not exist"
                + System.lineSeparator(), r.err());
    }

    @Test
    void shouldNameLineAndColumnWhenCellIsNotANumber() throws IOException {
        Files.writeString(dir.resolve("progress.csv"), HEADER + "1,10,2000,0.99,0.001,abc,40.5,41,40,-3.2,,,\n");
        Run r = rlm("plot", dir.toString());
        assertEquals(2, r.exit());
        assertEquals("rlm: " + dir.resolve("progress.csv") + " line 2 column loss: 'abc' is not a number"
                + System.lineSeparator(), r.err());
    }
}
