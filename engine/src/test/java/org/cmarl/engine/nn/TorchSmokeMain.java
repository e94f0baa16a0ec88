package org.cmarl.engine.nn;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/** Child-JVM entry point of {@link TorchLoadingTest}: one tiny torch computation, its result on stdout. */
public final class TorchSmokeMain {
    private TorchSmokeMain() {
    }

    public static void main(String[] args) {
        Torch.ensureLoaded();
        Tensor x = torch.arange(new Scalar(6)).to(torch.ScalarType.Float).view(2, 3);
        // sum of 0..5 times 2.5 = 37.5
        System.out.println("result=" + x.mul(new Scalar(2.5)).sum().item_float());
    }
}
