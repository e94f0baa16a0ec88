package org.cmarl.engine.viz;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.Rectangle;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import javax.imageio.ImageIO;

/**
 * {@code rlm plot RUN_DIR}: a training run's progress.csv as one PNG: final distance per epoch (training and
 * validation, the mean over agents thick, each agent thin; validation dashed) above the mean loss per epoch.
 */
public final class ProgressPlot {
    public static final int WIDTH_PX = 1000;
    public static final int DISTANCE_HEIGHT_PX = 460;
    public static final int LOSS_HEIGHT_PX = 300;
    public static final Color TRAIN_MEAN = new Color(20, 20, 20);
    public static final Color VALIDATION_MEAN = new Color(220, 30, 30);
    public static final Color LOSS = new Color(30, 90, 200);

    private ProgressPlot() {
    }

    /** Renders {@code table} (title names the run) into a new image {@link #WIDTH_PX} wide. */
    public static BufferedImage render(ProgressTable table, String title) {
        Headless.ensure();
        BufferedImage img = new BufferedImage(WIDTH_PX, DISTANCE_HEIGHT_PX + LOSS_HEIGHT_PX,
                BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            double[] epoch = table.column("epoch");
            int agents = table.agents();
            List<LineChart.Series> distance = new ArrayList<>();
            addIfPresent(distance, table, "train_distance_mm", "train, mean", TRAIN_MEAN, false, 2.5f, epoch);
            addIfPresent(distance, table, "val_distance_mm", "validation, mean", VALIDATION_MEAN, true, 2.5f, epoch);
            if (agents > 1) {
                for (int a = 0; a < agents; a++) {
                    addIfPresent(distance, table, "train_distance_mm_" + a, "train, agent " + a, Palette.agent(a),
                            false, 1f, epoch);
                    addIfPresent(distance, table, "val_distance_mm_" + a, "validation, agent " + a,
                            Palette.agent(a), true, 1f, epoch);
                }
            }
            LineChart.draw(g, new Rectangle(0, 0, WIDTH_PX, DISTANCE_HEIGHT_PX), title + ": final distance",
                    "epoch", "distance (mm)", distance, true);
            List<LineChart.Series> loss = new ArrayList<>();
            addIfPresent(loss, table, "loss", "mean loss", LOSS, false, 2f, epoch);
            LineChart.draw(g, new Rectangle(0, DISTANCE_HEIGHT_PX, WIDTH_PX, LOSS_HEIGHT_PX), title + ": loss",
                    "epoch", "Huber loss", loss, true);
        } finally {
            g.dispose();
        }
        return img;
    }

    /** Reads {@code runDir/progress.csv}, writes {@code png}; returns the table read. */
    public static ProgressTable write(Path runDir, Path png) throws IOException {
        ProgressTable table = ProgressTable.read(runDir.resolve("progress.csv"));
        Path name = runDir.toAbsolutePath().normalize().getFileName();
        BufferedImage img = render(table, name == null ? runDir.toString() : name.toString());
        if (!ImageIO.write(img, "png", png.toFile())) {
            throw new IOException("no PNG writer in this Java runtime for " + png);
        }
        return table;
    }

    private static void addIfPresent(List<LineChart.Series> out, ProgressTable t, String column, String name,
                                     Color colour, boolean dashed, float widthPx, double[] epoch) {
        if (!t.has(column)) {
            return;
        }
        double[] y = t.column(column);
        for (double v : y) {
            if (Double.isFinite(v)) {
                out.add(new LineChart.Series(name, colour, dashed, widthPx, epoch, y));
                return;
            }
        }
    }
}
