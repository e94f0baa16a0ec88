package org.cmarl.engine.eval;

import org.cmarl.engine.observation.FrameRing;

/**
 * Q-values for a batch of observations written into the network's input rows: the evaluator's view of a network.
 * Row {@code b} holds one episode's observation {@code (agents, 4, 45, 45, 45)} float32, with the frame order its
 * ring carries (the evaluator copies frames in oldest first).
 */
public interface BatchQFunction {
    int agents();

    /** Rows the input can hold. */
    int capacityBatch();

    /** Input row {@code b}, {@code 0 <= b < capacityBatch()}: memory the network owns, bounds checked by the ring. */
    FrameRing inputRow(int b);

    /** Q-values of rows {@code 0..batch-1}: {@code qOut[(b * agents + a) * 6 + action]}. */
    void forward(int batch, float[] qOut);
}
