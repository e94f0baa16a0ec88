package org.cmarl.engine.viz;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.List;
import java.util.Locale;

import org.cmarl.engine.volume.Volume;

/**
 * {@code rlm visualise}: the published {@code visualiser.py} as a file. One row per landmark, three columns: the
 * axial (z), coronal (y) and sagittal (x) slice through the landmark (orientation as {@link SliceDrawing}), each with
 * the landmark marked by a dot and crosshair in its colour and labelled with its id and voxel.
 *
 * <pre>
 *   title strip (image name, dims)
 *   +-- axial z=.. --+-- coronal y=.. --+-- sagittal x=.. --+   per landmark: CELL_HEADER_PX text,
 *   |  x across,     |  x across,       |  y across,        |   then the slice (k px per voxel)
 *   |  y up          |  z up            |  z up             |
 *   +----------------+------------------+-------------------+
 * </pre>
 */
public final class LandmarkMontage {
    public static final int TITLE_PX = 30;
    /** Two caption lines above each slice: "landmark 13 (90, 130, 67)" and "axial z=67". */
    public static final int CELL_HEADER_PX = 38;
    /**
     * Narrowest slice: the first caption line of a brain landmark ("landmark 13 (181, 217, 181)") is about 200 px
     * in the 13 pt bold font, so a small image (a 40^3 phantom is 80 px at 2 pixels per voxel) is scaled up.
     */
    public static final int MIN_CELL_PX = 210;
    public static final int GAP_PX = 6;
    private static final int[] VIEW_AXES = {2, 1, 0};
    private static final String[] VIEW_NAMES = {"axial", "coronal", "sagittal"};
    private static final String[] AXIS_NAMES = {"x", "y", "z"};

    private final int pixelsPerVoxel;

    public LandmarkMontage(int pixelsPerVoxel) {
        if (pixelsPerVoxel < 1 || pixelsPerVoxel > 16) {
            throw new IllegalArgumentException("pixelsPerVoxel " + pixelsPerVoxel + " must be 1..16");
        }
        this.pixelsPerVoxel = pixelsPerVoxel;
        Headless.ensure();
    }

    /** {@code title + suffix}, the title shortened in the middle with "..." until it fits {@code widthPx}. */
    static String fit(String title, String suffix, FontMetrics fm, int widthPx) {
        if (fm.stringWidth(title + suffix) <= widthPx) {
            return title + suffix;
        }
        int keep = title.length();
        while (keep > 2) {
            keep--;
            String s = title.substring(0, (keep + 1) / 2) + "..." + title.substring(title.length() - keep / 2);
            if (fm.stringWidth(s + suffix) <= widthPx) {
                return s + suffix;
            }
        }
        return suffix.strip();
    }

    /**
     * Pixels per voxel for this image: the requested scale, raised until the narrowest slice (x across in the axial
     * and coronal views, y in the sagittal) is at least {@link #MIN_CELL_PX} wide, at most 16.
     */
    public int pixelsPerVoxel(Volume image) {
        int narrowest = Math.min(image.nx(), image.ny());
        return Math.max(pixelsPerVoxel, Math.min(16, (MIN_CELL_PX + narrowest - 1) / narrowest));
    }

    /** Left edge of view column {@code view} (0 axial, 1 coronal, 2 sagittal). */
    public int columnLeftPx(Volume image, int view) {
        int left = 0;
        for (int v = 0; v < view; v++) {
            left += SliceDrawing.widthPx(image, VIEW_AXES[v], pixelsPerVoxel(image)) + GAP_PX;
        }
        return left;
    }

    /** Height of one landmark's row (header plus the tallest of the three slices). */
    public int rowHeightPx(Volume image) {
        int h = 0;
        for (int axis : VIEW_AXES) {
            h = Math.max(h, SliceDrawing.heightPx(image, axis, pixelsPerVoxel(image)));
        }
        return CELL_HEADER_PX + h;
    }

    /** Top edge of the slice (below its header) in row {@code row}. */
    public int sliceTopPx(Volume image, int row) {
        return TITLE_PX + row * (rowHeightPx(image) + GAP_PX) + CELL_HEADER_PX;
    }

    /** Pixel (column, row) of the centre of voxel {@code xyz} in view {@code view} of landmark row {@code row}. */
    public int[] voxelCentrePx(Volume image, int row, int view, int[] xyz) {
        int axis = VIEW_AXES[view];
        int ua = SliceDrawing.uAxis(axis);
        int va = SliceDrawing.vAxis(axis);
        int k = pixelsPerVoxel(image);
        return new int[]{columnLeftPx(image, view) + SliceDrawing.columnPx(xyz[ua], k) + k / 2,
                sliceTopPx(image, row) + SliceDrawing.rowPx(xyz[va], image.dim(va), k) + k / 2};
    }

    /**
     * Renders the montage of {@code image} with landmark {@code ids.get(i)} at voxel {@code voxels.get(i)}, drawn in
     * {@link Palette#agent(int) colour i}.
     */
    public BufferedImage render(Volume image, String title, List<Integer> ids, List<int[]> voxels) {
        if (ids.size() != voxels.size() || ids.isEmpty()) {
            throw new IllegalArgumentException(ids.size() + " landmark ids and " + voxels.size()
                    + " voxels: expected the same number, at least one");
        }
        final int k = pixelsPerVoxel(image);
        int width = columnLeftPx(image, 3) - GAP_PX;
        int height = TITLE_PX + ids.size() * (rowHeightPx(image) + GAP_PX) - GAP_PX;
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.BLACK);
            g.fillRect(0, 0, width, height);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
            g.setColor(Color.WHITE);
            String dims = String.format(Locale.ROOT, "   %d x %d x %d voxels", image.nx(), image.ny(), image.nz());
            g.drawString(fit(title, dims, g.getFontMetrics(), width - 12), 6, 20);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
            for (int row = 0; row < ids.size(); row++) {
                int[] p = voxels.get(row);
                Color colour = Palette.agent(row);
                for (int view = 0; view < 3; view++) {
                    int axis = VIEW_AXES[view];
                    int left = columnLeftPx(image, view);
                    int top = sliceTopPx(image, row);
                    int w = SliceDrawing.widthPx(image, axis, k);
                    int h = SliceDrawing.heightPx(image, axis, k);
                    SliceDrawing.draw(image, axis, p[axis], img, left, top, k);
                    g.setColor(Color.WHITE);
                    g.setClip(left, top - CELL_HEADER_PX, w, CELL_HEADER_PX);
                    g.drawString(fit(String.format(Locale.ROOT, "landmark %d (%d, %d, %d)", ids.get(row), p[0], p[1],
                            p[2]), "", g.getFontMetrics(), w - 8), left + 4, top - 22);
                    g.drawString(String.format(Locale.ROOT, "%s %s=%d", VIEW_NAMES[view], AXIS_NAMES[axis],
                            p[axis]), left + 4, top - 6);
                    g.setClip(left, top, w, h);
                    int[] c = voxelCentrePx(image, row, view, p);
                    // Crosshair with a gap around the mark so the anatomy under it stays visible.
                    g.setColor(colour);
                    g.setStroke(new BasicStroke(1f));
                    int gapPx = 10;
                    g.drawLine(left, c[1], c[0] - gapPx, c[1]);
                    g.drawLine(c[0] + gapPx, c[1], left + w, c[1]);
                    g.drawLine(c[0], top, c[0], c[1] - gapPx);
                    g.drawLine(c[0], c[1] + gapPx, c[0], top + h);
                    int r = k + 2;
                    g.fillOval(c[0] - r, c[1] - r, 2 * r + 1, 2 * r + 1);
                    g.drawString(Integer.toString(ids.get(row)), c[0] + 6, c[1] - 6);
                    g.setClip(null);
                }
            }
        } finally {
            g.dispose();
        }
        return img;
    }
}
