package org.cmarl.engine.env;

import java.util.Arrays;

/**
 * Where agents start an episode (SPEC.md section 3, "Spawn"). Immutable.
 * <ul>
 *   <li>{@link #random()}: x, y, z drawn independently and uniformly from {@code [m, dim - m)} per agent, with
 *       {@code m = int(dim / 5)} in training and {@code int(dim / 4)} otherwise; draws are taken x for every agent,
 *       then y, then z (the published {@code randint(m, dim - m, agents)} per axis order);</li>
 *   <li>{@link #fixed(double[][])}: per agent fractions {@code (fx, fy, fz)} in [0, 1], start
 *       {@code int(f * (dim - 1))} computed in double and truncated (so 49/181 * 181 gives 48, not 49);</li>
 *   <li>{@link #onLandmark()}: every agent starts on its own landmark (not allowed in play mode).</li>
 * </ul>
 */
public final class Spawn {
    enum Kind { RANDOM, FIXED, ON_LANDMARK }

    private static final Spawn RANDOM = new Spawn(Kind.RANDOM, null);
    private static final Spawn ON_LANDMARK = new Spawn(Kind.ON_LANDMARK, null);

    private final Kind kind;
    private final double[][] fractions;

    private Spawn(Kind kind, double[][] fractions) {
        this.kind = kind;
        this.fractions = fractions;
    }

    public static Spawn random() { return RANDOM; }

    public static Spawn onLandmark() { return ON_LANDMARK; }

    /**
     * One {@code (fx, fy, fz)} row per agent, or a single row used for every agent.
     *
     * @throws IllegalArgumentException when a row does not have 3 values or a fraction is outside [0, 1] (or NaN)
     */
    public static Spawn fixed(double[][] fractionsPerAgent) {
        if (fractionsPerAgent == null || fractionsPerAgent.length == 0) {
            throw new IllegalArgumentException("fixed spawn needs at least one (fx, fy, fz) row, got none");
        }
        double[][] copy = new double[fractionsPerAgent.length][];
        for (int a = 0; a < copy.length; a++) {
            double[] row = fractionsPerAgent[a];
            if (row == null || row.length != 3) {
                throw new IllegalArgumentException("fixed spawn row " + a + " = " + Arrays.toString(row)
                        + ", expected 3 fractions (fx, fy, fz)");
            }
            for (int axis = 0; axis < 3; axis++) {
                if (!(row[axis] >= 0.0 && row[axis] <= 1.0)) {
                    throw new IllegalArgumentException("fixed spawn fraction " + row[axis] + " (row " + a + ", axis "
                            + "xyz".charAt(axis) + ") is outside [0, 1]");
                }
            }
            copy[a] = row.clone();
        }
        return new Spawn(Kind.FIXED, copy);
    }

    /** The same fractions for every agent. */
    public static Spawn fixed(double fx, double fy, double fz) {
        return fixed(new double[][]{{fx, fy, fz}});
    }

    Kind kind() { return kind; }

    /** Rows given, 1 meaning "the same for every agent". */
    int rows() { return fractions == null ? 0 : fractions.length; }

    /** {@code int(f * (dim - 1))} for the agent's fraction on the axis (double product, truncated). */
    int fixedCoordinate(int agent, int axis, int dim) {
        double f = fractions[fractions.length == 1 ? 0 : agent][axis];
        return (int) (f * (dim - 1));
    }

    @Override
    public String toString() {
        return kind == Kind.FIXED ? "fixed" + Arrays.deepToString(fractions) : kind.name().toLowerCase();
    }
}
