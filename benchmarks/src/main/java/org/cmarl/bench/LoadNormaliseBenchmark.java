package org.cmarl.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.cmarl.engine.volume.NiftiReader;
import org.cmarl.engine.volume.Volume;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Load + normalise one sample brain scan (182 x 218 x 182 float32 {@code .nii.gz}, 3.6 MB compressed, 28.9 MB
 * inflated) with {@link NiftiReader}: gzip inflate, float conversion, raw statistics and radix-select percentiles,
 * clip / rescale, transpose into the volume's two native planes, then close.
 *
 * <p>{@code reuseReader=true}: one reader, scratch arrays kept (how a loop over images should load);
 * {@code false}: {@code new NiftiReader(...)} per call, i.e. what {@code NiftiReader.load(path)} does (fresh 58 MB
 * of heap scratch each time). {@code helperThreads=false} keeps everything on the calling thread.
 *
 * <p>Expected order of magnitude on an idle 2-core 2.45 GHz EPYC: about 0.1 s per image with helper threads, about
 * 0.14 s without, of which about 50 ms is gzip inflate (compare {@link GunzipBenchmark}, the floor, in the same run).
 * The published system takes about 0.32 s (reference/perf.json); the target is below 0.16 s.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@State(Scope.Thread)
@Fork(value = 1, jvmArgsAppend = {"--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED", "-Xmx1g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class LoadNormaliseBenchmark {
    @Param({"true", "false"})
    public boolean reuseReader;

    @Param({"true", "false"})
    public boolean helperThreads;

    private Path scan;
    private NiftiReader reader;

    @Setup
    public void setUp() throws IOException {
        scan = firstSampleScan();
        reader = new NiftiReader(helperThreads);
    }

    /** The first sample scan (sorted by name) under {@code -Drlm.shared.dir} (default {@code ../shared}). */
    static Path firstSampleScan() throws IOException {
        Path images = Path.of(System.getProperty("rlm.shared.dir", "../shared"), "sample-data", "brain", "images");
        try (Stream<Path> files = Files.list(images)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".nii.gz")).sorted().findFirst()
                    .orElseThrow(() -> new IOException("no .nii.gz in " + images + " (set -Drlm.shared.dir)"));
        }
    }

    @Benchmark
    public double loadNormalise() {
        try (Volume v = (reuseReader ? reader : new NiftiReader(helperThreads)).read(scan)) {
            return v.stats().normalisedMean();
        }
    }
}
