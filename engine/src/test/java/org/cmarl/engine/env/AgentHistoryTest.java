package org.cmarl.engine.env;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

class AgentHistoryTest {
    private static final double[] NO_Q = null;

    private static void appendAll(AgentHistory h, int[][] locations) {
        for (int[] l : locations) {
            h.append(l[0], l[1], l[2], NO_Q, 0);
        }
    }

    /**
     * The published test, written the slow obvious way: Python {@code Counter(history).most_common()} (counts,
     * ties by first occurrence) over the 20 entries including the (0, 0, 0) filler.
     */
    private static boolean oracleOscillates(List<List<Integer>> history) {
        Map<List<Integer>, Integer> counts = new LinkedHashMap<>();
        for (List<Integer> l : history) {
            counts.merge(l, 1, Integer::sum);
        }
        List<Map.Entry<List<Integer>, Integer>> common = new ArrayList<>(counts.entrySet());
        common.sort((x, y) -> Integer.compare(y.getValue(), x.getValue())); // stable: first occurrence wins ties
        List<Integer> filler = List.of(0, 0, 0);
        if (common.get(0).getKey().equals(filler)) {
            return common.size() >= 4 && common.get(1).getValue() >= 4;
        }
        return common.get(0).getValue() >= 4;
    }

    @Test
    void shouldNotOscillateWhenFresh() {
        assertFalse(new AgentHistory().oscillates(), "20 fillers, one kind");
    }

    @Test
    void shouldOscillateWhenOneLocationComesBackFourTimes() {
        AgentHistory h = new AgentHistory();
        appendAll(h, new int[][]{{5, 5, 5}, {6, 5, 5}, {5, 5, 5}, {6, 5, 5}, {5, 5, 5}, {6, 5, 5}});
        assertFalse(h.oscillates(), "filler most common, only 3 kinds");
        appendAll(h, new int[][]{{7, 5, 5}, {5, 5, 5}});
        assertTrue(h.oscillates(), "filler most common, 4 kinds, the second counted 4 times");
        h.clear();
        assertFalse(h.oscillates());
    }

    @Test
    void shouldAgreeWithCounterMostCommonWhenHistoriesAreRandom() {
        SplittableRandom random = new SplittableRandom(16);
        for (int trial = 0; trial < 2000; trial++) {
            AgentHistory h = new AgentHistory();
            List<List<Integer>> model = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                model.add(List.of(0, 0, 0));
            }
            int appends = random.nextInt(1, 40);
            int spread = random.nextInt(1, 6);
            for (int i = 0; i < appends; i++) {
                int x = random.nextInt(spread);
                int y = random.nextInt(2);
                h.append(x, y, 0, NO_Q, 0);
                model.remove(0);
                model.add(List.of(x, y, 0));
            }
            assertEquals(oracleOscillates(model), h.oscillates(), "trial " + trial + ": " + model);
            for (int e = 0; e < 20; e++) {
                assertEquals(model.get(e).get(0), h.location(e, 0));
                assertEquals(model.get(e).get(1), h.location(e, 1));
            }
        }
    }

    @Test
    void shouldJumpToTheLowestMaxQOfTheLastFourWhenTiesKeepTheOldest() {
        AgentHistory h = new AgentHistory();
        double[] q = new double[12];
        // entries 15..19 hold x = 1..5 with max Q 9, 3, 5, 3, 7; the jump chooses among the last 4 (16..19)
        double[] maxima = {9, 3, 5, 3, 7};
        for (int i = 0; i < 5; i++) {
            q[6 + i % 6] = maxima[i];
            h.append(i + 1, 0, 0, q, 6);
            q[6 + i % 6] = 0;
        }
        assertEquals(16, h.jumpEntry(), "max Q 3 at entries 16 and 18: the oldest");
        assertEquals(2, h.location(h.jumpEntry(), 0));
        q[6 + 5] = -1; // a negative max is lower still (a random action's Q-values are zeros)
        h.append(9, 0, 0, q, 6);
        assertEquals(19, h.jumpEntry());
    }
}
