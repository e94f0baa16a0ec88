package org.cmarl.engine.eval;

import java.util.Arrays;

import org.cmarl.engine.env.LandmarkEnv;
import org.cmarl.engine.observation.ObservationGeometry;

/**
 * The Q-values of observations one evaluation run has already computed, keyed by what each observation shows: the
 * image and, per agent, its 4 frames' scale and centre voxel ({@link LandmarkEnv#frameKey}).
 *
 * <p>WHY: a greedy agent that oscillates sees the same 4 frames every other step until the oscillation test fires,
 * and episodes from different spawns on one image end in the same few places. Over the 54 episodes of SingleAgent.pt
 * on 2 sample scans (27 fixed spawns each), 1,880 of 2,734 forward passes were of an observation already seen. The
 * network is fixed during a run and its forward pass is deterministic, so a repeat's Q-values are taken from here,
 * bit for bit those the network gave the first time ({@code EvaluatorObservationReuseTest}).
 *
 * <p>Open addressing with linear probing over preallocated arrays; emptied when half full, so its memory is bounded
 * by the capacity: {@code capacity * (1 + 4 * agents)} longs and {@code capacity * 6 * agents} floats.
 */
final class ObservationMemo {
    /** Entries of a run's memo: 16,384 (655 KB for one agent, 7.5 MB for 8). */
    static final int DEFAULT_CAPACITY_ENTRIES = 1 << 14;

    private final int keyLongs;
    private final int qFloats;
    private final int mask;
    /** {@code [entry * keyLongs]}: image index + 1 (0 = empty entry), then agent-major frame keys, oldest first. */
    private final long[] keys;
    private final float[] values;
    private int size;

    ObservationMemo(int agents, int capacityEntries) {
        if (agents < 1 || capacityEntries < 2 || Integer.bitCount(capacityEntries) != 1) {
            throw new IllegalArgumentException("memo of " + agents + " agents, " + capacityEntries
                    + " entries; expected at least one agent and a power of two of at least 2 entries");
        }
        this.keyLongs = 1 + agents * ObservationGeometry.FRAMES;
        this.qFloats = agents * ObservationGeometry.ACTIONS;
        this.mask = capacityEntries - 1;
        this.keys = new long[capacityEntries * keyLongs];
        this.values = new float[capacityEntries * qFloats];
    }

    /** Longs in one key. */
    int keyLongs() {
        return keyLongs;
    }

    /** Writes the key of {@code env}'s current observation on image number {@code image} into {@code key[offset..]}. */
    void keyOf(LandmarkEnv env, int image, long[] key, int offset) {
        key[offset] = image + 1L;
        int k = offset + 1;
        for (int a = 0; a < env.agents(); a++) {
            for (int age = 0; age < ObservationGeometry.FRAMES; age++) {
                key[k++] = env.frameKey(a, age);
            }
        }
    }

    /** The entry holding {@code key[offset..]}, or -1. */
    int find(long[] key, int offset) {
        for (int e = slot(key, offset); ; e = (e + 1) & mask) {
            int base = e * keyLongs;
            if (keys[base] == 0) {
                return -1;
            }
            if (Arrays.equals(keys, base, base + keyLongs, key, offset, offset + keyLongs)) {
                return e;
            }
        }
    }

    /** Copies entry {@code entry}'s Q-values ({@code 6 * agents}, agent-major) into {@code dst[dstOffset..]}. */
    void copyQ(int entry, float[] dst, int dstOffset) {
        System.arraycopy(values, entry * qFloats, dst, dstOffset, qFloats);
    }

    /**
     * Remembers {@code q[qOffset..]} for {@code key[offset..]} (not already present). Empties the memo first when it
     * is half full: entry numbers from {@link #find} are void after a put.
     */
    void put(long[] key, int offset, float[] q, int qOffset) {
        if (size >= (mask + 1) / 2) {
            Arrays.fill(keys, 0L);
            size = 0;
        }
        int e = slot(key, offset);
        while (keys[e * keyLongs] != 0) {
            e = (e + 1) & mask;
        }
        System.arraycopy(key, offset, keys, e * keyLongs, keyLongs);
        System.arraycopy(q, qOffset, values, e * qFloats, qFloats);
        size++;
    }

    private int slot(long[] key, int offset) {
        long h = 0;
        for (int i = offset; i < offset + keyLongs; i++) {
            h = (h + key[i]) * 0x9E3779B97F4A7C15L;
        }
        return (int) (h ^ (h >>> 29) ^ (h >>> 47)) & mask;
    }
}
