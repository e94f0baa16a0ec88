package org.cmarl.bench;

import java.util.concurrent.TimeUnit;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.cmarl.engine.nn.Torch;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One {@code n x n} float32 matrix product through libtorch (2 n^3 FLOP): the machine's attainable GFLOP/s, the
 * yardstick for the network benchmarks run beside it. Expected on the 2-core AVX2 reference machine: about 60-100
 * GFLOP/s with 2 threads for n = 2048 (about 0.2-0.3 s per product), half that with 1 thread.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED"})
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 3, time = 5)
public class MatmulBenchmark {
    @Param({"2048"})
    int n;

    /** libtorch intra-op threads; 0 = all cores. Set once per fork (changing it in-process slows libtorch). */
    @Param({"0"})
    int threads;

    /** The two random operands, owned by this state from setUp to tearDown. */
    private Tensor a;
    private Tensor b;

    @Setup(Level.Trial)
    public void setUp() {
        Torch.setThreads(threads);
        // Created outside any PointerScope: owned here, freed once in tearDown.
        a = torch.randn(n, n);
        b = torch.randn(n, n);
    }

    /** One product; returns one element so the work cannot be skipped. */
    @Benchmark
    public float matmul(GflopCounter counter) {
        counter.gflop += 2.0 * n * n * n / 1e9;
        try (PointerScope scope = new PointerScope()) {
            return torch.mm(a, b).get(0).get(0).item_float();
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        a.close();
        b.close();
    }
}
