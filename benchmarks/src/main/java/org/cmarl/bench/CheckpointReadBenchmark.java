package org.cmarl.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.cmarl.engine.io.Checkpoint;
import org.cmarl.engine.io.CheckpointException;
import org.cmarl.engine.io.PtReader;
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
 * Parsing one {@code .pt} checkpoint already in memory with {@link PtReader#read(Path, byte[])}: unpickling,
 * storage location, validation, CRC-32 (zip) and the copy of every tensor into a contiguous {@code TensorData}.
 * Disk reads are excluded (the bytes are loaded once in setup).
 *
 * <p>Files (from {@code ../shared}): the published {@code SingleAgent.pt} (legacy, 2.2 MB, Network3d 1 agent), the
 * same-size zip parity file, and CommNet with 3 agents (zip, 5.5 MB). Expected order of magnitude: about a
 * millisecond per MB (memory copy plus CRC), i.e. 1-3 ms for the 2.2 MB files and 3-8 ms for CommNet.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class CheckpointReadBenchmark {

    @Param({"models/BrainMRI/SingleAgent.pt",
            "reference/network_parity/network3d_1agent_seed0_zip.pt",
            "reference/network_parity/commnet_3agents_seed0_zip.pt"})
    public String file;

    private Path path;
    private byte[] bytes;

    @Setup
    public void load() throws IOException {
        path = Path.of(System.getProperty("rlm.shared.dir", "../shared")).resolve(file);
        bytes = Files.readAllBytes(path);
    }

    @Benchmark
    public Checkpoint read() throws CheckpointException {
        return PtReader.read(path, bytes);
    }
}
