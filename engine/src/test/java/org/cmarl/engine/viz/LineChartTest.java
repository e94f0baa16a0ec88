package org.cmarl.engine.viz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class LineChartTest {
    @Test
    void shouldChooseStepsOfOneTwoOrFiveTimesAPowerOfTenWhenRangeIsArbitrary() {
        assertArrayEquals(new double[]{0, 2, 4, 6, 8, 10}, LineChart.ticks(0.3, 9.7), 1e-12);
        assertArrayEquals(new double[]{1.5, 1.55, 1.6, 1.65, 1.7, 1.75}, LineChart.ticks(1.51, 1.74), 1e-12);
        assertArrayEquals(new double[]{0, 50, 100, 150, 200}, LineChart.ticks(0, 200), 1e-12);
    }

    @Test
    void shouldPrintAsManyDecimalsAsTheStepNeedsWhenLabellingTicks() {
        double[] t = LineChart.ticks(1.51, 1.74);
        assertEquals("1.55", LineChart.label(t[1], t));
        double[] whole = LineChart.ticks(0, 200);
        assertEquals("150", LineChart.label(whole[3], whole));
    }
}
