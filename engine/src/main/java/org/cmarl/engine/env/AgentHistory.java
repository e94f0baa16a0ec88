package org.cmarl.engine.env;

import java.util.Arrays;

import org.cmarl.engine.observation.ObservationGeometry;

/**
 * One agent's last 20 locations and the Q-values that chose each move (SPEC.md section 3, points 4 to 6), the
 * oscillation test over them and the jump target after an oscillation. Oldest entry first; a fresh or cleared
 * history is filled with location (0, 0, 0) and Q-values 0, as published. Preallocated, allocation-free, not
 * thread-safe.
 */
final class AgentHistory {
    /** Location / Q-value history length (SPEC.md section 3). */
    static final int LENGTH = 20;
    /** Oscillation threshold (SPEC.md section 3; the published {@code oscillations_allowed}). */
    static final int OSCILLATION_THRESHOLD = 4;
    /** Newest entries the jump chooses from. */
    static final int JUMP_CANDIDATES = 4;

    private static final int Q = ObservationGeometry.ACTIONS;

    /** [entry * 3 + axis] */
    private final int[] locations = new int[LENGTH * 3];
    /** [entry * 6 + action] */
    private final double[] qValues = new double[LENGTH * Q];
    // scratch of the oscillation test: distinct values in first-occurrence order and their counts
    private final int[] distinct = new int[LENGTH * 3];
    private final int[] counts = new int[LENGTH];

    /** Back to the published filler: 20 entries of location (0, 0, 0) and Q-values 0. */
    void clear() {
        Arrays.fill(locations, 0);
        Arrays.fill(qValues, 0.0);
    }

    /**
     * Drops the oldest entry and appends {@code (x, y, z)} with the 6 Q-values {@code q[qOffset .. qOffset + 5]}
     * ({@code q == null}: zeros, a random action).
     */
    void append(int x, int y, int z, double[] q, int qOffset) {
        final int[] lh = locations;
        System.arraycopy(lh, 3, lh, 0, (LENGTH - 1) * 3);
        lh[(LENGTH - 1) * 3] = x;
        lh[(LENGTH - 1) * 3 + 1] = y;
        lh[(LENGTH - 1) * 3 + 2] = z;
        final double[] qh = qValues;
        System.arraycopy(qh, Q, qh, 0, (LENGTH - 1) * Q);
        for (int k = 0; k < Q; k++) {
            qh[(LENGTH - 1) * Q + k] = q == null ? 0.0 : q[qOffset + k];
        }
    }

    /**
     * SPEC.md section 3 point 5: Python {@code Counter(history).most_common()} over the 20 entries, the filler
     * (0,0,0) counted like any value, ties broken by first occurrence (oldest first).
     */
    boolean oscillates() {
        final int[] history = locations;
        final int[] values = distinct;
        final int[] n = counts;
        int kinds = 0;
        for (int e = 0; e < LENGTH; e++) {
            final int x = history[e * 3];
            final int y = history[e * 3 + 1];
            final int z = history[e * 3 + 2];
            int k = 0;
            while (k < kinds && (values[k * 3] != x || values[k * 3 + 1] != y || values[k * 3 + 2] != z)) {
                k++;
            }
            if (k == kinds) {
                values[k * 3] = x;
                values[k * 3 + 1] = y;
                values[k * 3 + 2] = z;
                n[k] = 0;
                kinds++;
            }
            n[k]++;
        }
        int most = 0;
        for (int k = 1; k < kinds; k++) {
            if (n[k] > n[most]) {
                most = k; // strictly greater: ties keep the first occurrence, as Counter.most_common does
            }
        }
        boolean mostIsFiller = values[most * 3] == 0 && values[most * 3 + 1] == 0 && values[most * 3 + 2] == 0;
        if (mostIsFiller) {
            if (kinds < OSCILLATION_THRESHOLD) {
                return false;
            }
            int second = 0;
            for (int k = 0; k < kinds; k++) {
                if (k != most && n[k] > second) {
                    second = n[k];
                }
            }
            return second >= OSCILLATION_THRESHOLD;
        }
        return n[most] >= OSCILLATION_THRESHOLD;
    }

    /**
     * [quirk] SPEC.md section 3 point 6: the entry, among the last 4, whose max Q-value is the LOWEST; ties: the
     * oldest. Its location is {@link #location(int, int)}.
     */
    int jumpEntry() {
        final double[] qh = qValues;
        int best = LENGTH - JUMP_CANDIDATES;
        double bestMax = Double.POSITIVE_INFINITY;
        for (int e = LENGTH - JUMP_CANDIDATES; e < LENGTH; e++) {
            double max = qh[e * Q];
            for (int k = 1; k < Q; k++) {
                max = Math.max(max, qh[e * Q + k]);
            }
            if (max < bestMax) {
                bestMax = max;
                best = e;
            }
        }
        return best;
    }

    /** Location of entry {@code entry} (0 = oldest) on axis 0 = x, 1 = y, 2 = z. */
    int location(int entry, int axis) {
        return locations[entry * 3 + axis];
    }
}
