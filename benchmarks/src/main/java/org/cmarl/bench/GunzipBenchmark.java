package org.cmarl.bench;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The floor under {@link LoadNormaliseBenchmark}: only inflating the same sample scan (3.6 MB -> 28.9 MB) with
 * {@code java.util.zip} into a reused byte array, as the reader does, and nothing else.
 *
 * <p>Expected order of magnitude on a 2-core 2.45 GHz EPYC: about 50 ms (zlib inflate at roughly 0.5 GB/s of output).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@State(Scope.Thread)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class GunzipBenchmark {
    /** The reader's gzip input buffer size. */
    private static final int INPUT_BUFFER_BYTES = 1 << 18;

    private Path scan;
    private byte[] inflated;

    @Setup
    public void setUp() throws IOException {
        scan = LoadNormaliseBenchmark.firstSampleScan();
        inflated = new byte[64 << 20];
    }

    @Benchmark
    public int gunzip() throws IOException {
        try (InputStream in = new GZIPInputStream(Files.newInputStream(scan), INPUT_BUFFER_BYTES)) {
            return in.readNBytes(inflated, 0, inflated.length);
        }
    }
}
