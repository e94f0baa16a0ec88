package org.cmarl.bench;

import java.util.concurrent.TimeUnit;

import org.agrona.UnsafeApi;
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
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Where the time of a uint8 45^3 ROI (scale 1, interior, the sample scan) goes, against the floors a Java 17 row copy
 * cannot go below: {@code roi} is the engine's extraction; {@code bulkCopy} one {@code copyMemory} of the same 91,125
 * bytes (vector stores, the target's yardstick); {@code storesOnly} the engine's 12,150 8-byte stores (six a row)
 * with no loads; {@code loadsOnly} its 12,150 8-byte loads from the ROI's 2,025 source rows with no stores;
 * {@code copyMemoryPerRow} one {@code copyMemory} call per row instead of the 8-byte moves. If {@code storesOnly} alone
 * is near or above {@code 2 x bulkCopy}, no scalar row copy can meet a 2x target: 8 bytes is the widest scalar store
 * and Java 17's only wider moves are {@code copyMemory} calls (measured here) and the incubating Vector API, which on
 * off-heap memory (direct buffers) is not intrinsified in 17 and measured 15x slower than the scalar loop.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 2, jvmArgsAppend = {"--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED"})
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 4, time = 1)
public class RoiRowFloorBenchmark {
    private static final int N = ObservationGeometry.ROI_VOXELS;

    private Volume volume;
    private NativeBlock frame;
    private RoiWindow window;
    private long firstRow;
    private long rowStrideBytes;
    private long planeStrideBytes;
    private long bulkSource;
    private long frameBytes;

    @Setup(Level.Trial)
    public void setUp() {
        volume = BenchVolumes.sampleOrSynthetic();
        frameBytes = ObservationGeometry.frameBytes(FrameType.UINT8);
        frame = NativeBlock.allocate(frameBytes, 64);
        window = new RoiWindow();
        window.set(1, volume.nx() / 2, volume.ny() / 2, volume.nz() / 2, volume.nx(), volume.ny(), volume.nz());
        firstRow = volume.byteAddress() + volume.index(window.lo(0), window.lo(1), window.lo(2));
        rowStrideBytes = volume.nz();
        planeStrideBytes = (long) volume.ny() * volume.nz();
        bulkSource = volume.byteAddress() + volume.index(window.lo(0), window.lo(1), 0);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        frame.close();
        volume.close();
    }

    @Benchmark
    public long roi() {
        RoiExtractor.extract(volume, window, FrameType.UINT8, frame.address());
        return frame.address();
    }

    @Benchmark
    public long bulkCopy() {
        UnsafeApi.copyMemory(bulkSource, frame.address(), frameBytes);
        return frame.address();
    }

    @Benchmark
    public long storesOnly() {
        final long base = frame.address();
        for (int row = 0; row < N * N; row++) {
            final long d = base + (long) row * N;
            UnsafeApi.putLong(d, d);
            UnsafeApi.putLong(d + 8, d);
            UnsafeApi.putLong(d + 16, d);
            UnsafeApi.putLong(d + 24, d);
            UnsafeApi.putLong(d + 32, d);
            UnsafeApi.putLong(d + 37, d);
        }
        return base;
    }

    @Benchmark
    public long loadsOnly() {
        long acc = 0;
        for (int x = 0; x < N; x++) {
            long s = firstRow + x * planeStrideBytes;
            for (int y = 0; y < N; y++, s += rowStrideBytes) {
                acc += UnsafeApi.getLong(s) ^ UnsafeApi.getLong(s + 8) ^ UnsafeApi.getLong(s + 16)
                        ^ UnsafeApi.getLong(s + 24) ^ UnsafeApi.getLong(s + 32) ^ UnsafeApi.getLong(s + 37);
            }
        }
        return acc;
    }

    @Benchmark
    public long copyMemoryPerRow() {
        long d = frame.address();
        for (int x = 0; x < N; x++) {
            long s = firstRow + x * planeStrideBytes;
            for (int y = 0; y < N; y++, s += rowStrideBytes, d += N) {
                UnsafeApi.copyMemory(s, d, N);
            }
        }
        return frame.address();
    }
}
