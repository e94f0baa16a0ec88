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

    @Test
    void shouldTickWholeEpochsWhenTheAxisCountsEpochs() {
        assertArrayEquals(new double[]{0, 1, 2}, LineChart.ticks(0, 2, true), 1e-12);
        assertArrayEquals(new double[]{1, 2, 3}, LineChart.ticks(1, 3, true), 1e-12);
        assertArrayEquals(new double[]{0, 5, 10, 15}, LineChart.ticks(1, 12, true), 1e-12);
        assertEquals("2", LineChart.label(2, LineChart.ticks(1, 3, true)));
    }

    @Test
    void shouldLabelALonePointWithThreeDigitsWhenDrawingOneEpoch() {
        assertEquals("12.3", LineChart.valueLabel(12.3456));
        assertEquals("0.0421", LineChart.valueLabel(0.042149));
        assertEquals("154", LineChart.valueLabel(154.4));
    }
}
