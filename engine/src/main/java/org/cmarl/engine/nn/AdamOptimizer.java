package org.cmarl.engine.nn;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Adam written with libtorch tensor ops, step for step as {@code torch.optim.Adam} (no AMSGrad, no weight
 * decay): {@code m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
 * p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)}. Hand-written (rather than the presets'
 * {@code torch::optim::Adam}) so that its state lives in tensors this class owns and can be checkpointed.
 *
 * <p>Owns its moment tensors; {@link #close()} frees them once. The parameters belong to the network.
 */
final class AdamOptimizer implements AutoCloseable {
    static final double DEFAULT_BETA1 = 0.9;
    static final double DEFAULT_BETA2 = 0.999;
    static final double DEFAULT_EPS = 1e-8;

    private final List<Tensor> params;
    private final List<Tensor> expAvg = new ArrayList<>();
    private final List<Tensor> expAvgSq = new ArrayList<>();
    private final double beta1;
    private final double beta2;
    private final double eps;
    private double learningRate;
    private long steps;
    private boolean closed;

    AdamOptimizer(List<Tensor> params, double learningRate) {
        this.params = List.copyOf(params);
        this.learningRate = learningRate;
        this.beta1 = DEFAULT_BETA1;
        this.beta2 = DEFAULT_BETA2;
        this.eps = DEFAULT_EPS;
        try (PointerScope scope = new PointerScope()) {
            for (Tensor p : this.params) {
                Tensor m = torch.zeros_like(p).set_requires_grad(false);
                Tensor v = torch.zeros_like(p).set_requires_grad(false);
                Torch.keep(scope, m);
                Torch.keep(scope, v);
                expAvg.add(m);
                expAvgSq.add(v);
            }
        }
    }

    double learningRate() { return learningRate; }

    void setLearningRate(double learningRate) {
        if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
            throw new IllegalArgumentException("learning rate=" + learningRate + ", required finite > 0");
        }
        this.learningRate = learningRate;
    }

    long steps() { return steps; }

    /** First moments, one per parameter in the optimiser's order (owned here). */
    List<Tensor> expAvg() { return Collections.unmodifiableList(expAvg); }

    /** Second moments, idem. */
    List<Tensor> expAvgSq() { return Collections.unmodifiableList(expAvgSq); }

    /** Restores the step count of a checkpoint (the bias corrections depend on it). */
    void setSteps(long steps) {
        if (steps < 0) {
            throw new IllegalArgumentException("Adam step count " + steps + ", required >= 0");
        }
        this.steps = steps;
    }

    /** Clears the parameters' gradients (set to zero, as {@code zero_grad} did before PyTorch 2.0). */
    void zeroGrad() {
        checkOpen();
        try (PointerScope scope = new PointerScope(); NoGradGuard noGrad = new NoGradGuard()) {
            for (Tensor p : params) {
                Tensor g = p.grad();
                if (g.defined()) {
                    g.zero_();
                }
            }
        }
    }

    /** One Adam step over every parameter that has a gradient. */
    void step() {
        checkOpen();
        steps++;
        double bias1 = 1 - Math.pow(beta1, steps);
        double bias2Sqrt = Math.sqrt(1 - Math.pow(beta2, steps));
        try (PointerScope scope = new PointerScope(); NoGradGuard noGrad = new NoGradGuard()) {
            Scalar oneMinusB1 = new Scalar(1 - beta1);
            Scalar b1 = new Scalar(beta1);
            Scalar b2 = new Scalar(beta2);
            Scalar oneMinusB2 = new Scalar(1 - beta2);
            Scalar bias2 = new Scalar(bias2Sqrt);
            Scalar epsilon = new Scalar(eps);
            Scalar stepSize = new Scalar(-learningRate / bias1);
            for (int i = 0; i < params.size(); i++) {
                Tensor g = params.get(i).grad();
                if (!g.defined()) {
                    continue;
                }
                Tensor m = expAvg.get(i);
                Tensor v = expAvgSq.get(i);
                m.mul_(b1).add_(g, oneMinusB1);
                v.mul_(b2).addcmul_(g, g, oneMinusB2);
                Tensor denom = v.sqrt().div_(bias2).add_(epsilon);
                params.get(i).addcdiv_(m, denom, stepSize);
            }
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("Adam optimiser is closed");
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Tensor t : expAvg) {
            t.close();
        }
        for (Tensor t : expAvgSq) {
            t.close();
        }
    }
}
