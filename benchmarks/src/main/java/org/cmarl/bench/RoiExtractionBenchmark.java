package org.cmarl.bench;

import java.util.concurrent.TimeUnit;

import org.agrona.UnsafeApi;
import org.cmarl.engine.env.DecimatedPlane;
import org.cmarl.engine.env.RoiExtractor;
import org.cmarl.engine.env.RoiWindow;
import org.cmarl.engine.memory.NativeBlock;
import org.cmarl.engine.observation.FrameType;
import org.cmarl.engine.observation.ObservationGeometry;
import org.cmarl.engine.volume.Volume;
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
 * One 45^3 ROI written from the volume's plane into a frame slot ({@code roi}), against one straight
 * {@code copyMemory} of the same number of bytes from the same plane ({@code bulkCopy}) measured in the same run:
 * the floor any ROI copy could reach. Report {@code roi / bulkCopy} (and {@code roiDecimated / bulkCopy}) time per
 * parameter set. Sample-time mode: on a shared machine the median and the minimum of single operations are steadier
 * than a mean.
 *
 * <p>Interior: an unclamped window at the image centre. Border: the window clamped on the low x side, the high y
 * side and not on z (location (5, ny - 3, nz / 2)), so part of the frame is zero fill. {@code roiDecimated} reads
 * from a {@link DecimatedPlane} with every phase built in setup (the steady state of the lazily built planes).
 *
 * <p>Figures, and why uint8 frames stop at about 2.3x the bulk copy ({@link RoiRowFloorBenchmark}):
 * {@code benchmarks/README.md}, "Environment step and ROI extraction".
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class RoiExtractionBenchmark {
    @Param({"1", "2", "3"})
    int scale;

    @Param({"INTERIOR", "BORDER"})
    String position;

    @Param({"FLOAT32", "UINT8"})
    FrameType frameType;

    private Volume volume;
    private DecimatedPlane decimated;
    private NativeBlock frame;
    private RoiWindow window;
    private long srcAddress;
    private long frameBytes;

    @Setup(Level.Trial)
    public void setUp() {
        volume = BenchVolumes.sampleOrSynthetic();
        frameBytes = ObservationGeometry.frameBytes(frameType);
        frame = NativeBlock.allocate(frameBytes, 64);
        window = new RoiWindow();
        int x = position.equals("INTERIOR") ? volume.nx() / 2 : 5;
        int y = position.equals("INTERIOR") ? volume.ny() / 2 : volume.ny() - 3;
        int z = volume.nz() / 2;
        window.set(scale, x, y, z, volume.nx(), volume.ny(), volume.nz());
        if (scale > 1) {
            decimated = new DecimatedPlane(scale, frameType);
            decimated.rebuild(volume);
        }
        // the bulk copy reads the same amount from where the window starts
        srcAddress = (frameType == FrameType.FLOAT32 ? volume.floatAddress() : volume.byteAddress())
                + (long) volume.index(window.lo(0), window.lo(1), 0) * frameType.bytes();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        frame.close();
        if (decimated != null) {
            decimated.close();
        }
        volume.close();
    }

    @Benchmark
    public long roi() {
        RoiExtractor.extract(volume, window, frameType, frame.address());
        return frame.address();
    }

    /** The same ROI from a {@link DecimatedPlane} (scale 1 has none: the direct copy, identical to {@code roi}). */
    @Benchmark
    public long roiDecimated() {
        if (decimated == null) {
            RoiExtractor.extract(volume, window, frameType, frame.address());
        } else {
            decimated.extract(window, frame.address());
        }
        return frame.address();
    }

    @Benchmark
    public long bulkCopy() {
        UnsafeApi.copyMemory(srcAddress, frame.address(), frameBytes);
        return frame.address();
    }
}
