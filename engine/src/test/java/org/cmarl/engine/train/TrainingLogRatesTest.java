package org.cmarl.engine.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The progress bar's rates stay readable from GPU speeds down to one CPU update every half minute. */
class TrainingLogRatesTest {
    @Test
    void shouldShowSecondsPerUpdateWhenUpdatesAreSlowerThanOneASecond() {
        // the published example on the CPU: 200 steps and 4 updates in 131 s
        assertEquals("1.5 steps/s 33 s/update", TrainingLog.rates(200, 4, 131.0));
    }

    @Test
    void shouldShowUpdatesPerSecondWhenUpdatesAreFast() {
        assertEquals("550 steps/s 11.0 updates/s", TrainingLog.rates(1100, 22, 2.0));
    }

    @Test
    void shouldSayZeroUpdatesWhenNoneHappened() {
        assertEquals("0.50 steps/s 0 updates/s", TrainingLog.rates(1, 0, 2.0));
    }
}
