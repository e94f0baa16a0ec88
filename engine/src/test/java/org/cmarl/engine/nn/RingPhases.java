package org.cmarl.engine.nn;

/** Test helper: declares the frame order of the first entries of a buffer whose frames a test laid out itself. */
final class RingPhases {
    private RingPhases() {
    }

    /** Entries {@code 0..batch-1} get oldest slot {@code phase}; returns {@code observations}. */
    static ObservationBuffer atPhase(ObservationBuffer observations, int batch, int phase) {
        for (int b = 0; b < batch; b++) {
            observations.ring(b).setOldestSlot(phase);
        }
        return observations;
    }
}
