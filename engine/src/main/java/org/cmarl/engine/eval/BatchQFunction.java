package org.cmarl.engine.eval;

/**
 * Q-values for a batch of observations written into native input rows: the evaluator's view of a network.
 * Row {@code b} holds one episode's observation {@code (agents, 4, 45, 45, 45)} float32, frames oldest first.
 */
public interface BatchQFunction {
    int agents();

    /** Rows the input can hold. */
    int capacityBatch();

    /** Native address of input row {@code b}. */
    long inputRowAddress(int b);

    /** Bytes of one input row. */
    long inputRowBytes();

    /** Q-values of rows {@code 0..batch-1}: {@code qOut[(b * agents + a) * 6 + action]}. */
    void forward(int batch, float[] qOut);
}
