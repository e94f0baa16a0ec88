package org.cmarl.engine.env;

import org.cmarl.engine.observation.ObservationGeometry;

/**
 * The six discrete moves ({@link ObservationGeometry#ACTIONS}, SPEC.md section 3): index -> axis and sign. A move
 * goes {@code step} voxels.
 * <pre>
 *   0: z+   1: y+   2: x+   3: x-   4: y-   5: z-
 * </pre>
 */
public final class Actions {
    public static final int Z_PLUS = 0;
    public static final int Y_PLUS = 1;
    public static final int X_PLUS = 2;
    public static final int X_MINUS = 3;
    public static final int Y_MINUS = 4;
    public static final int Z_MINUS = 5;

    private static final int[] AXIS = {2, 1, 0, 0, 1, 2};
    private static final int[] SIGN = {+1, +1, +1, -1, -1, -1};

    private Actions() {
    }

    /** Axis moved by an action: 0 = x, 1 = y, 2 = z. */
    public static int axis(int action) { return AXIS[action]; }

    /** +1 or -1. */
    public static int sign(int action) { return SIGN[action]; }

    /** The published name, e.g. {@code "z+"}. */
    public static String name(int action) {
        return (AXIS[action] == 0 ? "x" : AXIS[action] == 1 ? "y" : "z") + (SIGN[action] > 0 ? "+" : "-");
    }

    /** @throws IllegalArgumentException naming the agent and value when the action is not in 0..5 */
    static void check(int agent, int action) {
        if (action < 0 || action >= ObservationGeometry.ACTIONS) {
            throw new IllegalArgumentException("action of agent " + agent + " = " + action + ", expected 0..5");
        }
    }
}
