package org.cmarl.engine.viz;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;

/**
 * The fixed 256-entry palette of the episode GIFs: {@link #GREY_LEVELS} grey levels for the image, then the overlay
 * colours. A GIF frame holds at most 256 colours; drawing into a {@link BufferedImage#TYPE_BYTE_INDEXED} image with
 * this palette (antialiasing off) keeps every overlay pixel exactly its colour and needs no per-frame quantisation.
 */
public final class Palette {
    /** Grey levels for intensities 0..255 (the rest of the 256 entries are overlay colours). */
    public static final int GREY_LEVELS = 232;

    /** The target point and its z-distance ring (the published viewer's red). */
    public static final Color TARGET = new Color(255, 32, 32);
    /** The ROI box and agent labels (the published viewer's yellow, 204, 204, 0). */
    public static final Color ROI = new Color(204, 204, 0);
    /** Text on the black header strip. */
    public static final Color TEXT = new Color(255, 255, 255);
    /** Distance text after a step that brought the agent closer (published: green when reward > 0). */
    public static final Color CLOSER = new Color(0, 204, 0);
    /** Distance text otherwise (published: red). */
    public static final Color FARTHER = new Color(255, 96, 96);
    /** Header strip behind the text. */
    public static final Color STRIP = new Color(0, 0, 0);
    /** One colour per agent (cycled beyond eight agents); none is red, green or yellow, which mean something else. */
    private static final Color[] AGENTS = {
            new Color(32, 128, 255), new Color(0, 224, 224), new Color(232, 0, 232), new Color(255, 144, 0),
            new Color(160, 96, 255), new Color(255, 128, 192), new Color(0, 160, 128), new Color(176, 112, 48)};

    private static final IndexColorModel MODEL = build();

    private Palette() {
    }

    /** Colour of agent {@code agent} (its marker, in GIFs and montages). */
    public static Color agent(int agent) {
        return AGENTS[agent % AGENTS.length];
    }

    /** The 256-entry colour model: greys first, then the overlay colours. */
    public static IndexColorModel colorModel() {
        return MODEL;
    }

    /** Palette index of an intensity in [0, 255] (clamped). */
    public static int greyIndex(float intensity) {
        float v = intensity < 0 ? 0 : Math.min(intensity, 255f);
        return (int) (v * (GREY_LEVELS - 1) / 255f + 0.5f);
    }

    /** A new indexed image with this palette. */
    public static BufferedImage indexedImage(int widthPx, int heightPx) {
        return new BufferedImage(widthPx, heightPx, BufferedImage.TYPE_BYTE_INDEXED, MODEL);
    }

    private static IndexColorModel build() {
        byte[] r = new byte[256];
        byte[] g = new byte[256];
        byte[] b = new byte[256];
        for (int i = 0; i < GREY_LEVELS; i++) {
            int v = Math.round(i * 255f / (GREY_LEVELS - 1));
            r[i] = (byte) v;
            g[i] = (byte) v;
            b[i] = (byte) v;
        }
        int i = GREY_LEVELS;
        for (Color c : new Color[]{TARGET, ROI, CLOSER, FARTHER}) {
            r[i] = (byte) c.getRed();
            g[i] = (byte) c.getGreen();
            b[i] = (byte) c.getBlue();
            i++;
        }
        for (Color c : AGENTS) {
            r[i] = (byte) c.getRed();
            g[i] = (byte) c.getGreen();
            b[i] = (byte) c.getBlue();
            i++;
        }
        // The remaining entries repeat black: never chosen by nearest-colour matching ahead of index 0.
        return new IndexColorModel(8, 256, r, g, b);
    }
}
