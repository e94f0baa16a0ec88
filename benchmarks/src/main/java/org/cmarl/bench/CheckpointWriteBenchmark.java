package org.cmarl.bench;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.cmarl.engine.io.CheckpointException;
import org.cmarl.engine.io.PtReader;
import org.cmarl.engine.io.PtWriter;
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
 * Serialising a state_dict to the zip {@code .pt} format in memory with {@link PtWriter#toBytes}: pickling, CRC-32
 * of every entry, 64-byte aligned stored entries. No disk (the file write adds an fsync, dominated by the disk).
 *
 * <p>State dicts: the published {@code SingleAgent.pt} (2.2 MB of float32) and CommNet 3 agents (5.5 MB).
 * Expected order of magnitude: about a millisecond per MB (CRC plus copies).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class CheckpointWriteBenchmark {

    @Param({"models/BrainMRI/SingleAgent.pt", "reference/network_parity/commnet_3agents_seed0_zip.pt"})
    public String file;

    private Object stateDict;

    @Setup
    public void load() throws CheckpointException {
        Path path = Path.of(System.getProperty("rlm.shared.dir", "../shared")).resolve(file);
        stateDict = PtReader.read(path).root();
    }

    @Benchmark
    public byte[] write() {
        return PtWriter.toBytes("archive", stateDict);
    }
}
