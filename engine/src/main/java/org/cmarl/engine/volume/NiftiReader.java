package org.cmarl.engine.volume;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.concurrent.locks.LockSupport;
import java.util.zip.ZipException;

/**
 * Reads NIfTI-1 images ({@code .nii}, {@code .nii.gz}, and {@code .hdr}/{@code .img} pairs, each optionally
 * gzipped; gzip is recognised by its magic bytes, not by the name) into an intensity-normalised {@link Volume}.
 *
 * <p>Pipeline: header (checked before any voxel memory is allocated) -> inflate straight into a reusable byte array
 * -> float32 with slope/intercept -> raw statistics and percentiles ({@link IntensityNormaliser}) -> clip, rescale
 * and transpose into the volume's native float plane -> uint8 plane.
 *
 * <p>An instance keeps its scratch arrays (about 8 bytes per voxel of the largest image read so far) so that an
 * environment that reloads images allocates no new heap per image. Not thread-safe; the static methods use a fresh
 * instance.
 *
 * <h2>Threads</h2>
 * A read of a large gzipped image briefly uses one short-lived helper thread at a time: first to inflate while the
 * caller converts and counts the inflated chunks, then to rescale and transpose the upper x half while the caller
 * does the lower one. Both are joined before {@code read} returns or throws; nothing is shared between reads.
 * Results are bit-identical to the single-threaded path (each voxel is computed by the same arithmetic; only the
 * summation order of the means differs, at the 1e-12 level).
 */
public final class NiftiReader {
    /** Input buffer of the gzip stream: large enough that inflate runs in long bursts. */
    private static final int GZIP_INPUT_BUFFER_BYTES = 1 << 18;
    /**
     * Deflate cannot expand data by more than about 1032:1 (258-byte matches in ~2 bits). A header that claims more
     * voxel bytes than that times the compressed size is rejected before allocating.
     */
    private static final long MAX_DEFLATE_RATIO = 1032;
    /** First scratch size when the data size is not yet proven by the stream: 32 MiB, one 182x218x182 float32 scan. */
    private static final int INITIAL_SCRATCH_BYTES = 32 << 20;
    /**
     * Scratch (bytes + floats) the pipelined gzip path may allocate before the stream has proven its size: 64 MiB,
     * one 182x218x182 float32 scan (29 MB + 29 MB). Larger images use the growing sequential path the first time.
     */
    private static final long PIPELINE_SCRATCH_BUDGET_BYTES = 64L << 20;
    /** Inflate step of the helper thread: small enough to overlap, large enough that hand-offs are rare (28 per scan). */
    private static final int CHUNK_BYTES = 1 << 20;
    /** Below this many voxels (2 M, about 128^3) one thread rescales and fills: a helper would not pay off. */
    private static final int PARALLEL_MIN_VOXELS = 1 << 21;
    /**
     * Inflated bytes a gzip stream may hold after the voxel data the header declares. They are inflated (and
     * discarded) only to reach the member's CRC-32 and length trailer; NIfTI puts nothing after the voxels, so more
     * than this is refused rather than inflated.
     */
    static final int MAX_TRAILING_BYTES = 1 << 20;
    /** Longest wait for the helper between chunks; it unparks the consumer after each chunk anyway. */
    private static final long PARK_NANOS = 1_000_000;

    /**
     * System property read by {@link #NiftiReader()}: {@code false} keeps every read on the calling thread (for a
     * machine whose cores are all busy, or to measure the single-threaded cost). Default {@code true}.
     */
    public static final String HELPER_THREADS_PROPERTY = "rlm.nifti.helperThreads";

    private final boolean helperThreads;
    private final IntensityNormaliser normaliser = new IntensityNormaliser();
    private byte[] scratchBytes = new byte[0];
    private float[] scratchValues = new float[0];

    /** A reader that uses helper threads unless {@value #HELPER_THREADS_PROPERTY} is {@code false}. */
    public NiftiReader() {
        this(Boolean.parseBoolean(System.getProperty(HELPER_THREADS_PROPERTY, "true")));
    }

    /** @param helperThreads whether large gzipped images may use one helper thread (see class Javadoc) */
    public NiftiReader(boolean helperThreads) {
        this.helperThreads = helperThreads;
    }

    /** Loads and normalises one image (SPEC.md section 1). The caller owns (and closes) the volume. */
    public static Volume load(Path file) {
        return new NiftiReader().read(file);
    }

    /** Reads only the header of {@code file}. */
    public static NiftiHeader readHeader(Path file) {
        checkExists(file);
        try (InputStream in = openMaybeGzip(file)) {
            return NiftiHeader.parse(readHeaderBytes(in, file), file.toString());
        } catch (IOException e) {
            throw ioError(file, e);
        }
    }

    /** Reads the voxels (after slope/intercept, before normalisation) into a new array, file order. */
    public static RawImage readRaw(Path file) {
        NiftiReader reader = new NiftiReader();
        NiftiHeader header = reader.readValues(file);
        return new RawImage(file, header, Arrays.copyOf(reader.scratchValues, header.voxelCount()));
    }

    /**
     * Loads and normalises one image, reusing this reader's scratch arrays. The caller owns (and closes) the volume;
     * on any error nothing stays allocated.
     */
    public Volume read(Path file) {
        NiftiHeader header = readValues(file);
        String source = file.toString();
        int n = header.voxelCount();
        IntensityNormaliser.RawStats raw = normaliser.finish(scratchValues, n, source);
        // decided from the statistics alone, so a constant image fails before any native memory exists
        IntensityNormaliser.Rescale rescale = IntensityNormaliser.rescaleFor(raw, source);
        Volume volume = Volume.allocate(volumeName(file), header.nx(), header.ny(), header.nz(), header.spacingMm(),
                header.voxelToPhysical(), null);
        try {
            double normalisedSum = rescaleAndFill(header, rescale, volume);
            IntensityStats stats = new IntensityStats(raw.min(), raw.max(), raw.mean(), raw.p10(), raw.p99(),
                    normalisedSum / n);
            return volume.withStats(stats);
        } catch (RuntimeException | Error e) {
            volume.close();
            throw e;
        }
    }

    /**
     * Rescales the scratch voxels in place and transposes them into the volume; returns the sum of the normalised
     * voxels. Large images are split into two x halves done by the caller and one helper thread: each half's
     * rescale and fill touch only its own voxels (see {@link IntensityNormaliser#rescaleXRange} and
     * {@link Volume#fillFromFileOrder(float[], int, int)}), so the halves need no coordination but the final join.
     */
    private double rescaleAndFill(NiftiHeader header, IntensityNormaliser.Rescale rescale, Volume volume) {
        final int nx = header.nx();
        final int ny = header.ny();
        final int nz = header.nz();
        final float[] values = scratchValues;
        if (!helperThreads || header.voxelCount() < PARALLEL_MIN_VOXELS || nx < 2
                || Runtime.getRuntime().availableProcessors() < 2) {
            double sum = IntensityNormaliser.rescaleXRange(values, nx, ny, nz, 0, nx, rescale);
            volume.fillFromFileOrder(values, 0, nx);
            return sum;
        }
        final int half = nx / 2;
        final double[] helperSum = new double[1];
        Runnable upperHalf = () -> {
            helperSum[0] = IntensityNormaliser.rescaleXRange(values, nx, ny, nz, half, nx, rescale);
            volume.fillFromFileOrder(values, half, nx);
        };
        Throwable[] helperError = new Throwable[1];
        Thread helper = new Thread(() -> {
            try {
                upperHalf.run();
            } catch (Throwable t) {
                helperError[0] = t;
            }
        }, "nifti-fill");
        helper.setDaemon(true);
        helper.start();
        double sum;
        try {
            sum = IntensityNormaliser.rescaleXRange(values, nx, ny, nz, 0, half, rescale);
            volume.fillFromFileOrder(values, 0, half);
        } finally {
            // join also publishes the helper's writes (sum, voxels) to this thread
            joinUninterruptibly(helper);
        }
        if (helperError[0] instanceof RuntimeException e) {
            throw e;
        }
        if (helperError[0] instanceof Error e) {
            throw e;
        }
        return sum + helperSum[0];
    }

    /**
     * The intensity statistics {@link #read(Path)} would attach, without allocating a volume (for {@code rlm info}).
     */
    public IntensityStats readStats(Path file) {
        NiftiHeader header = readValues(file);
        String source = file.toString();
        int n = header.voxelCount();
        IntensityNormaliser.RawStats raw = normaliser.finish(scratchValues, n, source);
        double normalisedMean = IntensityNormaliser.normaliseInPlace(scratchValues, n, raw, source);
        return new IntensityStats(raw.min(), raw.max(), raw.mean(), raw.p10(), raw.p99(), normalisedMean);
    }

    /** File name without the NIfTI extensions, used as the volume's name. */
    static String volumeName(Path file) {
        String name = file.getFileName().toString();
        for (String ext : new String[]{".nii.gz", ".nii", ".hdr.gz", ".hdr", ".img.gz", ".img"}) {
            if (name.endsWith(ext) && name.length() > ext.length()) {
                return name.substring(0, name.length() - ext.length());
            }
        }
        return name;
    }

    /** Reads header and voxels of {@code file} into {@link #scratchValues}; returns the header. */
    private NiftiHeader readValues(Path file) {
        checkExists(file);
        String source = file.toString();
        NiftiHeader header;
        long compressedBytes;
        try (InputStream in = openMaybeGzip(file)) {
            header = NiftiHeader.parse(readHeaderBytes(in, file), source);
            compressedBytes = Files.size(file);
            if (header.singleFile()) {
                checkPlausibleSize(file, header, compressedBytes, isGzip(file));
                skipTo(in, (long) header.voxOffset() - NiftiHeader.HEADER_BYTES, file);
                readData(in, header, file, isGzip(file));
                return header;
            }
        } catch (IOException e) {
            throw ioError(file, e);
        }
        Path dataFile = pairedImageFile(file);
        try (InputStream in = openMaybeGzip(dataFile)) {
            checkPlausibleSize(dataFile, header, Files.size(dataFile), isGzip(dataFile));
            skipTo(in, (long) header.voxOffset(), dataFile);
            readData(in, header, dataFile, isGzip(dataFile));
            return header;
        } catch (IOException e) {
            throw ioError(dataFile, e);
        }
    }

    /** For a two-file ("ni1") image: the .img beside the .hdr, gzipped or not. */
    private static Path pairedImageFile(Path headerFile) {
        String name = headerFile.getFileName().toString();
        String stem;
        if (name.endsWith(".hdr.gz")) {
            stem = name.substring(0, name.length() - 7);
        } else if (name.endsWith(".hdr")) {
            stem = name.substring(0, name.length() - 4);
        } else {
            throw new ImageFormatException(headerFile + ": header magic is \"ni1\" (voxels in a separate .img file), "
                    + "so the file name must end in .hdr or .hdr.gz to find the .img");
        }
        for (String ext : new String[]{".img", ".img.gz"}) {
            Path candidate = headerFile.resolveSibling(stem + ext);
            if (Files.isRegularFile(candidate)) {
                return candidate;
            }
        }
        throw new ImageFormatException(headerFile + ": header magic is \"ni1\" but neither " + stem + ".img nor "
                + stem + ".img.gz exists beside it");
    }

    private static void checkExists(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new ImageFormatException(file + ": no such image file");
        }
    }

    private static void checkPlausibleSize(Path file, NiftiHeader header, long fileBytes, boolean gzip) {
        long needed = header.dataBytes() + (header.singleFile() || !gzip ? (long) header.voxOffset() : 0);
        long available = gzip ? fileBytes * MAX_DEFLATE_RATIO : fileBytes;
        if (needed > available) {
            throw new ImageFormatException(file + ": header dims " + header.nx() + "x" + header.ny() + "x" + header.nz()
                    + " of " + header.dataType().displayName() + " need " + needed + " bytes from vox_offset "
                    + (long) header.voxOffset() + ", but the " + (gzip ? "gzip " : "") + "file has " + fileBytes
                    + " bytes" + (gzip ? " (at most " + available + " when inflated)" : ""));
        }
    }

    private static boolean isGzip(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer magic = ByteBuffer.allocate(2);
            while (magic.hasRemaining() && ch.read(magic) >= 0) {
                // read until two bytes or end of file
            }
            return magic.position() == 2 && (magic.get(0) & 0xFF) == 0x1f && (magic.get(1) & 0xFF) == 0x8b;
        }
    }

    private static InputStream openMaybeGzip(Path file) throws IOException {
        boolean gzip = isGzip(file);
        InputStream raw = Files.newInputStream(file);
        try {
            return gzip ? new GzipStream(raw, GZIP_INPUT_BUFFER_BYTES)
                    : new BufferedInputStream(raw, GZIP_INPUT_BUFFER_BYTES);
        } catch (IOException | RuntimeException e) {
            raw.close();
            throw e;
        }
    }

    private static byte[] readHeaderBytes(InputStream in, Path file) throws IOException {
        byte[] header = in.readNBytes(NiftiHeader.HEADER_BYTES);
        if (header.length < NiftiHeader.HEADER_BYTES) {
            throw new ImageFormatException(file + ": truncated: " + header.length + " bytes, a NIfTI-1 header needs "
                    + NiftiHeader.HEADER_BYTES);
        }
        return header;
    }

    private static void skipTo(InputStream in, long bytes, Path file) throws IOException {
        long left = bytes;
        while (left > 0) {
            long skipped = in.skip(left);
            if (skipped <= 0) {
                if (in.read() < 0) {
                    throw new ImageFormatException(file + ": truncated: ends before vox_offset");
                }
                skipped = 1;
            }
            left -= skipped;
        }
    }

    /**
     * Reads the voxel bytes, converts them to float32 in {@link #scratchValues} and runs pass 1 of the raw statistics
     * ({@link IntensityNormaliser#accumulate}) over them. A gzip stream whose size is already covered by the scratch
     * budget is inflated on a helper thread while this thread converts and counts the chunks already inflated
     * (inflate is about half of a load; see {@link Inflation}).
     */
    private void readData(InputStream in, NiftiHeader header, Path file, boolean gzip) throws IOException {
        int n = header.voxelCount();
        long bytes = header.dataBytes();
        if (bytes > Integer.MAX_VALUE - 8) {
            throw new ImageFormatException(file + ": " + bytes + " bytes of voxel data, at most "
                    + (Integer.MAX_VALUE - 8) + " supported");
        }
        normaliser.begin();
        long scratchNeeded = bytes + (long) n * Float.BYTES;
        checkHeap(file, header, scratchNeeded);
        long scratchBudget = Math.max(PIPELINE_SCRATCH_BUDGET_BYTES,
                (long) scratchBytes.length + (long) scratchValues.length * Float.BYTES);
        int got;
        if (helperThreads && gzip && scratchNeeded <= scratchBudget) {
            got = inflateAndConvert(in, header, (int) bytes);
        } else {
            got = readGrowing(in, (int) bytes);
            if (got == bytes) {
                ensureValues(n);
                toFloat(scratchBytes, header, scratchValues, 0, n);
                normaliser.accumulate(scratchValues, 0, n);
            }
        }
        if (got < bytes) {
            throw new ImageFormatException(file + ": truncated: header needs " + bytes + " bytes of "
                    + header.dataType().displayName() + " voxels, the file holds " + got);
        }
        if (gzip) {
            readToEndOfGzip(in, file, bytes);
        }
    }

    /**
     * Reads on past the voxel data to the end of the gzip stream, so that every member's CRC-32 and length are
     * checked (a flipped byte in the voxels is otherwise accepted); at most {@link #MAX_TRAILING_BYTES} more bytes
     * are inflated.
     */
    private static void readToEndOfGzip(InputStream in, Path file, long dataBytes) throws IOException {
        byte[] sink = new byte[8192];
        long trailing = 0;
        int r;
        while ((r = in.read(sink, 0, sink.length)) >= 0) {
            trailing += r;
            if (trailing > MAX_TRAILING_BYTES) {
                throw new ImageFormatException(file + ": gzip stream holds more than " + MAX_TRAILING_BYTES
                        + " bytes after the " + dataBytes + " bytes of voxels its header declares; refused "
                        + "without inflating the rest");
            }
        }
    }

    /**
     * Refuses, before allocating, an image whose voxels need more heap than this JVM has: the message says how much
     * is needed instead of an OutOfMemoryError later. Scratch arrays already allocated count as available.
     */
    private void checkHeap(Path file, NiftiHeader header, long scratchNeeded) {
        long have = (long) scratchBytes.length + (long) scratchValues.length * Float.BYTES;
        long more = scratchNeeded - have;
        if (more <= 0) {
            return;
        }
        Runtime rt = Runtime.getRuntime();
        long available = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
        if (more > available) {
            System.gc(); // only on this rare path: garbage counts as used above
            available = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
        }
        if (more > available) {
            throw new ImageFormatException(file + ": " + header.nx() + "x" + header.ny() + "x" + header.nz() + " "
                    + header.dataType().displayName() + " voxels need " + (more >> 20) + " MiB of heap to load, "
                    + "only " + (available >> 20) + " MiB are free (maximum heap " + (rt.maxMemory() >> 20)
                    + " MiB, set with -Xmx)");
        }
    }

    private void ensureValues(int n) {
        if (scratchValues.length < n) {
            scratchValues = new float[n];
        }
    }

    /** Pipelined gzip read: a helper thread inflates, this one converts and counts behind it. Returns bytes read. */
    private int inflateAndConvert(InputStream in, NiftiHeader header, int bytes) throws IOException {
        if (scratchBytes.length < bytes) {
            scratchBytes = new byte[bytes];
        }
        ensureValues(header.voxelCount());
        final int bytesPerVoxel = header.dataType().bytesPerVoxel();
        Inflation job = new Inflation(in, scratchBytes, bytes, Thread.currentThread());
        Thread helper = new Thread(job, "nifti-inflate");
        helper.setDaemon(true);
        helper.start();
        int converted = 0;
        try {
            while (true) {
                // finished before available: once finished is seen true, available is final (both volatile)
                boolean finished = job.finished;
                int ready = job.available / bytesPerVoxel;
                if (ready > converted) {
                    toFloat(scratchBytes, header, scratchValues, converted, ready);
                    normaliser.accumulate(scratchValues, converted, ready);
                    converted = ready;
                } else if (finished) {
                    break;
                } else {
                    LockSupport.parkNanos(job, PARK_NANOS);
                }
            }
        } finally {
            joinUninterruptibly(helper);
        }
        if (job.error instanceof IOException e) {
            throw e;
        }
        if (job.error instanceof RuntimeException e) {
            throw e;
        }
        if (job.error != null) {
            throw new IllegalStateException("inflate thread failed", job.error);
        }
        return job.available;
    }

    private static void joinUninterruptibly(Thread t) {
        boolean interrupted = false;
        while (true) {
            try {
                t.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The helper side of the pipelined read: inflates into {@code target} in {@link #CHUNK_BYTES} steps, publishing
     * the byte count after each ({@code available}, volatile: the bytes before it are visible to the consumer) and
     * waking the consumer. The stream is used by this thread only until it ends; the consumer joins it before
     * touching the stream again.
     */
    private static final class Inflation implements Runnable {
        private final InputStream in;
        private final byte[] target;
        private final int bytes;
        private final Thread consumer;
        volatile int available;
        volatile boolean finished;
        volatile Throwable error;

        Inflation(InputStream in, byte[] target, int bytes, Thread consumer) {
            this.in = in;
            this.target = target;
            this.bytes = bytes;
            this.consumer = consumer;
        }

        @Override
        public void run() {
            int got = 0;
            try {
                while (got < bytes) {
                    int r = in.read(target, got, Math.min(CHUNK_BYTES, bytes - got));
                    if (r < 0) {
                        break;
                    }
                    got += r;
                    available = got;
                    LockSupport.unpark(consumer);
                }
            } catch (Throwable t) {
                error = t;
            } finally {
                finished = true;
                LockSupport.unpark(consumer);
            }
        }
    }

    /**
     * Reads up to {@code bytes} bytes into {@link #scratchBytes}, growing it at most geometrically with the data that
     * actually arrives: a gzip header that lies about its dims cannot make the reader allocate more than about twice
     * what the stream really inflates to (a plain file's size was already checked exactly).
     */
    private int readGrowing(InputStream in, int bytes) throws IOException {
        int got = 0;
        while (got < bytes) {
            if (scratchBytes.length <= got) {
                int capacity = (int) Math.min(bytes, Math.max(INITIAL_SCRATCH_BYTES, 2L * got));
                scratchBytes = Arrays.copyOf(scratchBytes, capacity);
            }
            int want = Math.min(bytes, scratchBytes.length) - got;
            int r = in.readNBytes(scratchBytes, got, want);
            got += r;
            if (r < want) {
                break;
            }
        }
        return got;
    }

    /**
     * Decodes voxels {@code [from, to)} of the header's type and byte order to float32, applying slope and intercept
     * in double with one rounding to float32 (SPEC.md section 1).
     */
    private static void toFloat(byte[] src, NiftiHeader header, float[] dst, int from, int to) {
        final ByteBuffer buf = ByteBuffer.wrap(src).order(header.byteOrder());
        final boolean scaled = header.scaled();
        final double slope = header.effectiveSlope();
        final double inter = header.effectiveIntercept();
        switch (header.dataType()) {
            case FLOAT32 -> {
                buf.asFloatBuffer().get(from, dst, from, to - from);
                if (scaled) {
                    for (int i = from; i < to; i++) {
                        dst[i] = (float) (dst[i] * slope + inter);
                    }
                }
            }
            // the wide types are scaled from their exact stored value, not from its float32 rounding
            case FLOAT64 -> {
                for (int i = from; i < to; i++) {
                    dst[i] = (float) (buf.getDouble(i << 3) * slope + inter);
                }
            }
            case INT32 -> {
                for (int i = from; i < to; i++) {
                    dst[i] = (float) (buf.getInt(i << 2) * slope + inter);
                }
            }
            case UINT32 -> {
                for (int i = from; i < to; i++) {
                    dst[i] = (float) ((buf.getInt(i << 2) & 0xFFFFFFFFL) * slope + inter);
                }
            }
            // 8 and 16-bit values are exact in float32, so unscaled images skip the double arithmetic
            case UINT8 -> {
                for (int i = from; i < to; i++) {
                    dst[i] = scaled ? (float) ((src[i] & 0xFF) * slope + inter) : src[i] & 0xFF;
                }
            }
            case INT8 -> {
                for (int i = from; i < to; i++) {
                    dst[i] = scaled ? (float) (src[i] * slope + inter) : src[i];
                }
            }
            case INT16 -> {
                for (int i = from; i < to; i++) {
                    dst[i] = scaled ? (float) (buf.getShort(i << 1) * slope + inter) : buf.getShort(i << 1);
                }
            }
            case UINT16 -> {
                for (int i = from; i < to; i++) {
                    int v = buf.getShort(i << 1) & 0xFFFF;
                    dst[i] = scaled ? (float) (v * slope + inter) : v;
                }
            }
        }
    }

    private static ImageFormatException ioError(Path file, IOException e) {
        if (e instanceof NoSuchFileException) {
            return new ImageFormatException(file + ": no such file", e);
        }
        if (e instanceof EOFException) {
            return new ImageFormatException(file + ": truncated gzip stream (" + e.getMessage() + ")", e);
        }
        if (e instanceof ZipException) {
            return new ImageFormatException(file + ": corrupt gzip stream (" + e.getMessage() + ")", e);
        }
        return new ImageFormatException(file + ": read failed: " + e, e);
    }
}
