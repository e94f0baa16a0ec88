package org.cmarl.engine.train;

/**
 * The counters of a training run that a checkpoint carries besides the weights: episodes done, epochs done, agent
 * steps ({@code acc_steps}), epsilon, learning rate, best mean validation distance. Immutable.
 */
public record TrainingState(int episode, int epoch, long agentSteps, double epsilon, double learningRate,
                            double bestValidationMm) {
    public static TrainingState start(double learningRate) {
        return new TrainingState(0, 0, 0, 1.0, learningRate, Double.POSITIVE_INFINITY);
    }
}
