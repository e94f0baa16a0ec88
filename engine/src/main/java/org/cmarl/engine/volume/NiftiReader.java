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
import java.util.zip.GZIPInputStream;
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

    private final IntensityNormaliser normaliser = new IntensityNormaliser();
    private byte[] scratchBytes = new byte[0];
    private float[] scratchValues = new float[0];

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
        return new RawImage(file, header, java.util.Arrays.copyOf(reader.scratchValues, header.voxelCount()));
    }

    /**
     * Loads and normalises one image, reusing this reader's scratch arrays. The caller owns (and closes) the volume;
     * on any error nothing stays allocated.
     */
    public Volume read(Path file) {
        NiftiHeader header = readValues(file);
        String source = file.toString();
        int n = header.voxelCount();
        IntensityNormaliser.RawStats raw = normaliser.rawStats(scratchValues, n, source);
        // normalised in the scratch array first, so a constant image fails before any native memory exists
        double normalisedMean = IntensityNormaliser.normaliseInPlace(scratchValues, n, raw, source);
        IntensityStats stats = new IntensityStats(raw.min(), raw.max(), raw.mean(), raw.p10(), raw.p99(),
                normalisedMean);
        Volume volume = Volume.allocate(volumeName(file), header.nx(), header.ny(), header.nz(), header.spacingMm(),
                header.voxelToPhysical(), stats);
        volume.fillFromFileOrder(scratchValues);
        return volume;
    }

    /**
     * The intensity statistics {@link #read(Path)} would attach, without allocating a volume (for {@code rlm info}).
     */
    public IntensityStats readStats(Path file) {
        NiftiHeader header = readValues(file);
        String source = file.toString();
        int n = header.voxelCount();
        IntensityNormaliser.RawStats raw = normaliser.rawStats(scratchValues, n, source);
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
                readData(in, header, file);
                return header;
            }
        } catch (IOException e) {
            throw ioError(file, e);
        }
        Path dataFile = pairedImageFile(file);
        try (InputStream in = openMaybeGzip(dataFile)) {
            checkPlausibleSize(dataFile, header, Files.size(dataFile), isGzip(dataFile));
            skipTo(in, (long) header.voxOffset(), dataFile);
            readData(in, header, dataFile);
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
            return gzip ? new GZIPInputStream(raw, GZIP_INPUT_BUFFER_BYTES)
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

    private void readData(InputStream in, NiftiHeader header, Path file) throws IOException {
        int n = header.voxelCount();
        long bytes = header.dataBytes();
        if (bytes > Integer.MAX_VALUE - 8) {
            throw new ImageFormatException(file + ": " + bytes + " bytes of voxel data, at most "
                    + (Integer.MAX_VALUE - 8) + " supported");
        }
        int got = readGrowing(in, (int) bytes);
        if (got < bytes) {
            throw new ImageFormatException(file + ": truncated: header needs " + bytes + " bytes of "
                    + header.dataType().displayName() + " voxels, the file holds " + got);
        }
        if (scratchValues.length < n) {
            scratchValues = new float[n];
        }
        toFloat(scratchBytes, header, scratchValues);
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
                scratchBytes = java.util.Arrays.copyOf(scratchBytes, capacity);
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

    /** Decodes {@code n} voxels of the header's type and byte order to float32, applying slope and intercept. */
    private static void toFloat(byte[] src, NiftiHeader header, float[] dst) {
        final int n = header.voxelCount();
        final ByteBuffer buf = ByteBuffer.wrap(src).order(header.byteOrder());
        switch (header.dataType()) {
            case FLOAT32 -> buf.asFloatBuffer().get(dst, 0, n);
            case FLOAT64 -> {
                for (int i = 0; i < n; i++) {
                    dst[i] = (float) buf.getDouble(i << 3);
                }
            }
            case UINT8 -> {
                for (int i = 0; i < n; i++) {
                    dst[i] = src[i] & 0xFF;
                }
            }
            case INT8 -> {
                for (int i = 0; i < n; i++) {
                    dst[i] = src[i];
                }
            }
            case INT16 -> {
                for (int i = 0; i < n; i++) {
                    dst[i] = buf.getShort(i << 1);
                }
            }
            case UINT16 -> {
                for (int i = 0; i < n; i++) {
                    dst[i] = buf.getShort(i << 1) & 0xFFFF;
                }
            }
            case INT32 -> {
                for (int i = 0; i < n; i++) {
                    dst[i] = buf.getInt(i << 2);
                }
            }
            case UINT32 -> {
                for (int i = 0; i < n; i++) {
                    dst[i] = buf.getInt(i << 2) & 0xFFFFFFFFL;
                }
            }
        }
        if (header.scaled()) {
            // slope/intercept in double, one rounding to float32 (SPEC.md section 1)
            final double slope = header.effectiveSlope();
            final double inter = header.effectiveIntercept();
            if (header.dataType() == NiftiDataType.FLOAT64 || header.dataType() == NiftiDataType.INT32
                    || header.dataType() == NiftiDataType.UINT32) {
                // wide types: scale the exact stored value, not its float32 rounding
                rescaleWide(buf, header, dst, slope, inter);
            } else {
                for (int i = 0; i < n; i++) {
                    dst[i] = (float) (dst[i] * slope + inter);
                }
            }
        }
    }

    private static void rescaleWide(ByteBuffer buf, NiftiHeader header, float[] dst, double slope, double inter) {
        final int n = header.voxelCount();
        switch (header.dataType()) {
            case FLOAT64 -> {
                for (int i = 0; i < n; i++) {
                    dst[i] = (float) (buf.getDouble(i << 3) * slope + inter);
                }
            }
            case INT32 -> {
                for (int i = 0; i < n; i++) {
                    dst[i] = (float) (buf.getInt(i << 2) * slope + inter);
                }
            }
            case UINT32 -> {
                for (int i = 0; i < n; i++) {
                    dst[i] = (float) ((buf.getInt(i << 2) & 0xFFFFFFFFL) * slope + inter);
                }
            }
            default -> throw new IllegalStateException(header.dataType().toString());
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
