package org.cmarl.engine.viz;

/** Makes java.awt render without a display; called before the first image is created. */
public final class Headless {
    private Headless() {
    }

    /** Sets {@code java.awt.headless=true} unless the user chose otherwise on the command line. */
    public static void ensure() {
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
    }
}
