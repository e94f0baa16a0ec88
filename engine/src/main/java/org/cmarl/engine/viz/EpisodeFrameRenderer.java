package org.cmarl.engine.viz;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.Locale;

import org.cmarl.engine.env.LandmarkEnv;
import org.cmarl.engine.env.Mode;
import org.cmarl.engine.env.RoiWindow;
import org.cmarl.engine.volume.Volume;

/**
 * Draws one state of an episode as the published viewer does (SPEC.md section 6, {@code --saveGif}), one panel per
 * agent, side by side: the axial slice (z) through the agent, its ROI box (the clamped x/y extent of its
 * {@link RoiWindow}), the target with a ring of radius |z_agent - z_target| voxels (the published "circle around
 * target point with variable radius based on the difference z-direction"), the agent, and a header strip with the
 * agent, step, scale and distance in mm.
 *
 * <pre>
 *   +-- panel agent 0 ---+ gap +-- panel agent 1 ---+
 *   | header (text)      |     | header             |   HEADER_PX rows, black
 *   | axial slice z=z0   |     | axial slice z=z1   |   ny * k rows, x across, y up
 *   +--------------------+     +--------------------+
 * </pre>
 *
 * The frame is an indexed image in {@link Palette}; it is reused while the image size stays the same, so drawing
 * an episode allocates one frame, not one per step.
 */
public final class EpisodeFrameRenderer {
    /** Height of the text strip above each slice. */
    public static final int HEADER_PX = 50;
    /** Black gap between two agents' panels. */
    public static final int GAP_PX = 4;
    /**
     * Narrowest panel: the widest caption ("Agent 0  step 200", "scale 3   z=181") is about 130 px in the 13 pt
     * bold font, so a small image (a 48^3 phantom is 96 px at 2 pixels per voxel) is scaled up until it fits.
     */
    public static final int MIN_PANEL_PX = 180;
    private static final int MAX_PIXELS_PER_VOXEL = 16;

    private final int pixelsPerVoxel;
    private final Font font = new Font(Font.SANS_SERIF, Font.BOLD, 13);
    private BufferedImage frame;

    /** @param pixelsPerVoxel pixels per voxel side (2 makes a 182 x 218 slice 364 x 436 pixels) */
    public EpisodeFrameRenderer(int pixelsPerVoxel) {
        if (pixelsPerVoxel < 1 || pixelsPerVoxel > 16) {
            throw new IllegalArgumentException("pixelsPerVoxel " + pixelsPerVoxel + " must be 1..16");
        }
        this.pixelsPerVoxel = pixelsPerVoxel;
        Headless.ensure();
    }

    public int pixelsPerVoxel() {
        return pixelsPerVoxel;
    }

    /**
     * Pixels per voxel for an image {@code nx} voxels across: the requested scale, raised until a panel is at least
     * {@link #MIN_PANEL_PX} wide (captions fit), at most 16.
     */
    public int pixelsPerVoxel(int nx) {
        int fit = (MIN_PANEL_PX + nx - 1) / nx;
        return Math.max(pixelsPerVoxel, Math.min(MAX_PIXELS_PER_VOXEL, fit));
    }

    /** Frame width for {@code agents} agents on an image of {@code nx} voxels across. */
    public int frameWidthPx(int agents, int nx) {
        return agents * nx * pixelsPerVoxel(nx) + (agents - 1) * GAP_PX;
    }

    /** Frame height for an image of {@code nx} x {@code ny} voxels. */
    public int frameHeightPx(int nx, int ny) {
        return HEADER_PX + ny * pixelsPerVoxel(nx);
    }

    /** Left edge of agent {@code agent}'s panel. */
    public int panelLeftPx(int agent, int nx) {
        return agent * (nx * pixelsPerVoxel(nx) + GAP_PX);
    }

    /** Pixel (column, row) of the centre of voxel (x, y) in agent {@code agent}'s panel. */
    public int[] voxelCentrePx(int agent, int x, int y, int nx, int ny) {
        int k = pixelsPerVoxel(nx);
        return new int[]{panelLeftPx(agent, nx) + SliceDrawing.columnPx(x, k) + k / 2,
                HEADER_PX + SliceDrawing.rowPx(y, ny, k) + k / 2};
    }

    /**
     * Renders the environment's current state. The returned image is reused by the next call with the same size:
     * write it out before rendering again.
     */
    public BufferedImage render(LandmarkEnv env) {
        final Volume image = env.image();
        final int agents = env.agents();
        final int nx = image.nx();
        final int ny = image.ny();
        final int k = pixelsPerVoxel(nx);
        final int width = frameWidthPx(agents, nx);
        final int height = frameHeightPx(nx, ny);
        if (frame == null || frame.getWidth() != width || frame.getHeight() != height) {
            frame = Palette.indexedImage(width, height);
        }
        final boolean targets = env.config().mode() != Mode.PLAY;
        Graphics2D g = frame.createGraphics();
        try {
            // Exact palette colours only: antialiasing would blend into colours the GIF palette does not have.
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_OFF);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_OFF);
            g.setColor(Palette.STRIP);
            g.fillRect(0, 0, width, height);
            g.setFont(font);
            for (int a = 0; a < agents; a++) {
                final int left = panelLeftPx(a, nx);
                final int x = env.location(a, 0);
                final int y = env.location(a, 1);
                final int z = env.location(a, 2);
                SliceDrawing.draw(image, 2, z, frame, left, HEADER_PX, k);
                g.setClip(left, HEADER_PX, nx * k, ny * k);
                // ROI box: voxels [lo, hi) on x and y, drawn around their pixels.
                RoiWindow w = env.window(a);
                int boxLeft = left + SliceDrawing.columnPx(w.lo(0), k);
                int boxRight = left + SliceDrawing.columnPx(w.hi(0), k) - 1;
                int boxTop = HEADER_PX + SliceDrawing.rowPx(w.hi(1) - 1, ny, k);
                int boxBottom = HEADER_PX + SliceDrawing.rowPx(w.lo(1), ny, k) + k - 1;
                g.setColor(Palette.ROI);
                g.setStroke(new BasicStroke(1f));
                g.drawRect(boxLeft, boxTop, boxRight - boxLeft, boxBottom - boxTop);
                if (targets) {
                    int[] t = voxelCentrePx(a, env.landmark(a, 0), env.landmark(a, 1), nx, ny);
                    int ringPx = Math.abs(z - env.landmark(a, 2)) * k;
                    g.setColor(Palette.TARGET);
                    if (ringPx > 0) {
                        g.drawOval(t[0] - ringPx, t[1] - ringPx, 2 * ringPx, 2 * ringPx);
                    }
                    fillDot(g, t[0], t[1], k + 1);
                }
                int[] p = voxelCentrePx(a, x, y, nx, ny);
                g.setColor(Palette.agent(a));
                fillDot(g, p[0], p[1], k + 2);
                g.setClip(null);
                // Header: who, where, how far; clipped to the panel so narrow images never overlap a neighbour.
                g.setClip(left, 0, nx * k, HEADER_PX);
                g.setColor(Palette.agent(a));
                g.drawString(String.format(Locale.ROOT, "Agent %d", a), left + 4, 14);
                g.setColor(Palette.TEXT);
                g.drawString(String.format(Locale.ROOT, "step %d", env.steps()), left + 70, 14);
                g.drawString(String.format(Locale.ROOT, "scale %d   z=%d", env.scale(), z), left + 4, 30);
                if (targets) {
                    g.setColor(env.reward(a) > 0 ? Palette.CLOSER : Palette.FARTHER);
                    g.drawString(String.format(Locale.ROOT, "%.2f mm", env.distanceMm(a)), left + 4, 46);
                } else {
                    g.drawString("play: no target", left + 4, 46);
                }
                g.setClip(null);
            }
        } finally {
            g.dispose();
        }
        return frame;
    }

    private static void fillDot(Graphics2D g, int cx, int cy, int radiusPx) {
        g.fillOval(cx - radiusPx, cy - radiusPx, 2 * radiusPx + 1, 2 * radiusPx + 1);
    }

    /** Colour of the pixel (column, row) of the last frame, for tests and checks. */
    public Color colourAt(int column, int row) {
        return new Color(frame.getRGB(column, row));
    }
}
