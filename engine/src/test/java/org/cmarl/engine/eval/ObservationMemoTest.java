package org.cmarl.engine.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ObservationMemoTest {
    /** A key of 2 agents: image + 1, then 8 frame keys. */
    private static long[] key(long image, long... frames) {
        long[] k = new long[9];
        k[0] = image + 1;
        System.arraycopy(frames, 0, k, 1, frames.length);
        return k;
    }

    private static float[] q(float base) {
        float[] q = new float[12];
        for (int i = 0; i < q.length; i++) {
            q[i] = base + i;
        }
        return q;
    }

    @Test
    void shouldReturnTheStoredQValuesWhenTheKeyIsSeenAgain() {
        ObservationMemo memo = new ObservationMemo(2, 64);
        assertEquals(9, memo.keyLongs());
        long[] a = key(0, 0, 0, 0, 11, 0, 0, 0, 12);
        assertEquals(-1, memo.find(a, 0));
        memo.put(a, 0, q(1), 0);
        int e = memo.find(key(0, 0, 0, 0, 11, 0, 0, 0, 12), 0);
        assertTrue(e >= 0);
        float[] out = new float[14];
        memo.copyQ(e, out, 2);
        float[] expected = new float[14];
        System.arraycopy(q(1), 0, expected, 2, 12);
        assertArrayEquals(expected, out);
    }

    @Test
    void shouldMissWhenOneFrameOrTheImageDiffers() {
        ObservationMemo memo = new ObservationMemo(2, 64);
        memo.put(key(0, 1, 2, 3, 4, 5, 6, 7, 8), 0, q(1), 0);
        assertEquals(-1, memo.find(key(0, 1, 2, 3, 4, 5, 6, 7, 9), 0), "last frame of agent 1");
        assertEquals(-1, memo.find(key(0, 2, 1, 3, 4, 5, 6, 7, 8), 0), "frame order");
        assertEquals(-1, memo.find(key(1, 1, 2, 3, 4, 5, 6, 7, 8), 0), "other image");
        long[] shifted = new long[20];
        System.arraycopy(key(0, 1, 2, 3, 4, 5, 6, 7, 8), 0, shifted, 11, 9);
        assertTrue(memo.find(shifted, 11) >= 0, "a key read at an offset");
    }

    @Test
    void shouldKeepEveryEntryFindableWhenManyCollideUntilHalfFull() {
        ObservationMemo memo = new ObservationMemo(2, 64);
        for (int i = 0; i < 32; i++) {
            memo.put(key(0, i), 0, q(i), 0);
        }
        for (int i = 0; i < 32; i++) {
            int e = memo.find(key(0, i), 0);
            assertTrue(e >= 0, "entry " + i);
            float[] out = new float[12];
            memo.copyQ(e, out, 0);
            assertArrayEquals(q(i), out, "entry " + i);
        }
    }

    @Test
    void shouldEmptyItselfWhenHalfFullSoMemoryStaysBounded() {
        ObservationMemo memo = new ObservationMemo(2, 64);
        for (int i = 0; i < 32; i++) {
            memo.put(key(0, i), 0, q(i), 0);
        }
        memo.put(key(0, 99), 0, q(99), 0); // the 33rd entry empties the table first
        assertEquals(-1, memo.find(key(0, 0), 0));
        assertEquals(-1, memo.find(key(0, 31), 0));
        assertTrue(memo.find(key(0, 99), 0) >= 0);
    }

    @Test
    void shouldRefuseCapacityWhenNotAPowerOfTwo() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ObservationMemo(2, 48));
        assertEquals("memo of 2 agents, 48 entries; expected at least one agent and a power of two of at least 2 "
                + "entries", e.getMessage());
    }
}
