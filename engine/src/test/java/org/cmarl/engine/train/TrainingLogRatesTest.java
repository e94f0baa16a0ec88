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

    @Test
    void shouldShowTheLatestEpisodesDistanceWhenEpisodesFinish() throws java.io.IOException {
        TrainConfig config = TrainConfig.builder().architecture(org.cmarl.engine.nn.Architecture.NETWORK3D).landmarks(0, 1)
                .batchSize(2).memorySize(200).initMemorySize(6).maxEpisodes(6).stepsPerEpisode(6)
                .targetUpdateFreq(2).epsilonDelta(0.2).trainFreq(3).seed(5).runDir(null).build();
        try (TrainingLog log = new TrainingLog(null, "test", config, System.out, false)) {
            log.warmUpDone(new TrainingState(0, 0, 0, 1.0, 1e-3, Double.POSITIVE_INFINITY));
            log.episodeDone(new TrainingState(1, 0, 6, 0.8, 1e-3, Double.POSITIVE_INFINITY),
                    new Trainer.EpisodeOutcome("a", new double[]{10, 20}, new double[]{0, 0}, 6, 2, 0.5));
            assertEquals(true, log.barMessage().endsWith(" eps 0.800 dist 15.00 mm"), log.barMessage());
            log.episodeDone(new TrainingState(2, 1, 12, 0.6, 1e-3, Double.POSITIVE_INFINITY),
                    new Trainer.EpisodeOutcome("b", new double[]{1, 2}, new double[]{0, 0}, 6, 2, 0.5));
            assertEquals(true, log.barMessage().endsWith(" eps 0.600 dist 1.50 mm"), log.barMessage());
        }
    }
}
