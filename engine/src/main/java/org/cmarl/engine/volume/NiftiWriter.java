package org.cmarl.engine.volume;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.IntToDoubleFunction;
import java.util.zip.GZIPOutputStream;

/**
 * Writes NIfTI-1 images: for the synthetic data generator, and for test fixtures of every datatype, byte order,
 * orientation and scaling the reader accepts. Configure with the fluent setters, then {@link #write(Path, float[])}
 * ({@code .gz} name -> gzip) or {@link #encode(float[])} (the uncompressed bytes, for tests that corrupt them).
 *
 * <p>Values are given in file order ({@code index = x + nx * (y + ny * z)}, x fastest) as the values to STORE: the
 * header's slope/intercept are written as configured and applied by readers, not by this writer. Integer types
 * require whole values in the type's range. Output is deterministic (gzip header time stamp 0).
 *
 * <p>Defaults: float32, little endian, spacing 1 mm, {@code scl_slope = 1}, {@code scl_inter = 0}, qform and
 * sform codes 0 (so readers use the spacing as the affine), 3D.
 */
public final class NiftiWriter {
    /** {@code xyzt_units}: millimetres (2) and seconds (8). */
    private static final byte UNITS_MM_SEC = 10;

    private final int nx;
    private final int ny;
    private final int nz;
    private NiftiDataType dataType = NiftiDataType.FLOAT32;
    private ByteOrder byteOrder = ByteOrder.LITTLE_ENDIAN;
    private final float[] spacingMm = {1f, 1f, 1f};
    private float sclSlope = 1f;
    private float sclInter = 0f;
    private short qformCode;
    private final float[] quatern = new float[3];
    private final float[] qoffset = new float[3];
    private float qfac = 1f;
    private short sformCode;
    private final float[][] srow = {{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}};
    private int rank = 3;
    private int fourthAxis = 1;

    private NiftiWriter(int nx, int ny, int nz) {
        if (nx < 1 || ny < 1 || nz < 1 || nx > Short.MAX_VALUE || ny > Short.MAX_VALUE || nz > Short.MAX_VALUE) {
            throw new IllegalArgumentException("dims " + nx + "x" + ny + "x" + nz + ", each must be 1..32767");
        }
        this.nx = nx;
        this.ny = ny;
        this.nz = nz;
    }

    /** A writer for an {@code nx x ny x nz} image with the defaults above. */
    public static NiftiWriter of(int nx, int ny, int nz) {
        return new NiftiWriter(nx, ny, nz);
    }

    public NiftiWriter dataType(NiftiDataType type) {
        this.dataType = type;
        return this;
    }

    public NiftiWriter byteOrder(ByteOrder order) {
        this.byteOrder = order;
        return this;
    }

    public NiftiWriter spacingMm(double x, double y, double z) {
        spacingMm[0] = (float) x;
        spacingMm[1] = (float) y;
        spacingMm[2] = (float) z;
        return this;
    }

    /** {@code scl_slope} and {@code scl_inter} as stored (0 or NaN slope: "no scaling"). */
    public NiftiWriter scaling(float slope, float inter) {
        this.sclSlope = slope;
        this.sclInter = inter;
        return this;
    }

    /** A qform: quaternion (b, c, d), qfac (+1 or -1, stored in pixdim[0]) and offset in mm. */
    public NiftiWriter qform(int code, double b, double c, double d, double qfac, double ox, double oy, double oz) {
        this.qformCode = (short) code;
        quatern[0] = (float) b;
        quatern[1] = (float) c;
        quatern[2] = (float) d;
        this.qfac = (float) qfac;
        qoffset[0] = (float) ox;
        qoffset[1] = (float) oy;
        qoffset[2] = (float) oz;
        return this;
    }

    /** An sform: the first three rows of the 4x4 voxel-to-mm matrix. */
    public NiftiWriter sform(int code, double[][] rows) {
        if (rows.length != 3 || rows[0].length != 4 || rows[1].length != 4 || rows[2].length != 4) {
            throw new IllegalArgumentException("sform needs 3 rows of 4 values");
        }
        this.sformCode = (short) code;
        for (int r = 0; r < 3; r++) {
            for (int c = 0; c < 4; c++) {
                srow[r][c] = (float) rows[r][c];
            }
        }
        return this;
    }

    /** Writes a 4D header {@code dim = [4, nx, ny, nz, t]} (the reader accepts only {@code t = 1}). */
    public NiftiWriter fourthAxis(int t) {
        this.rank = 4;
        this.fourthAxis = t;
        return this;
    }

    private int voxelCount() {
        return nx * ny * nz * fourthAxis;
    }

    /** Single-file ({@code n+1}) bytes, uncompressed: header, 4 zero extension bytes, voxels. */
    public byte[] encode(float[] values) {
        return encode(values.length, i -> values[i], true);
    }

    public byte[] encode(double[] values) {
        return encode(values.length, i -> values[i], true);
    }

    /** Writes {@code file} (gzipped when its name ends in {@code .gz}), creating parent folders. */
    public void write(Path file, float[] values) throws IOException {
        writeBytes(file, encode(values));
    }

    public void write(Path file, double[] values) throws IOException {
        writeBytes(file, encode(values));
    }

    /**
     * Writes a two-file ({@code ni1}) image: {@code headerFile} (name ending in {@code .hdr}) holds the 348 header
     * bytes, the sibling {@code .img} the voxels from offset 0.
     */
    public void writePair(Path headerFile, float[] values) throws IOException {
        String name = headerFile.getFileName().toString();
        if (!name.endsWith(".hdr")) {
            throw new IllegalArgumentException(headerFile + ": a two-file NIfTI header name must end in .hdr");
        }
        byte[] all = encode(values.length, i -> values[i], false);
        byte[] header = Arrays.copyOf(all, NiftiHeader.HEADER_BYTES);
        byte[] voxels = Arrays.copyOfRange(all, NiftiHeader.HEADER_BYTES, all.length);
        writeBytes(headerFile, header);
        writeBytes(headerFile.resolveSibling(name.substring(0, name.length() - 4) + ".img"), voxels);
    }

    private static void writeBytes(Path file, byte[] bytes) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        if (file.getFileName().toString().endsWith(".gz")) {
            try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file), 1 << 16)) {
                out.write(bytes);
            }
        } else {
            Files.write(file, bytes);
        }
    }

    private byte[] encode(int n, IntToDoubleFunction value, boolean singleFile) {
        if (n != voxelCount()) {
            throw new IllegalArgumentException(n + " values for " + nx + "x" + ny + "x" + nz + "x" + fourthAxis
                    + " = " + voxelCount() + " voxels");
        }
        int offset = singleFile ? NiftiHeader.SINGLE_FILE_VOX_OFFSET : NiftiHeader.HEADER_BYTES;
        ByteBuffer buf = ByteBuffer.allocate(offset + n * dataType.bytesPerVoxel()).order(byteOrder);
        buf.putInt(0, NiftiHeader.HEADER_BYTES);
        buf.put(38, (byte) 'r'); // "regular", analyze 7.5 legacy field
        short[] dim = {(short) rank, (short) nx, (short) ny, (short) nz, (short) fourthAxis, 1, 1, 1};
        for (int i = 0; i < 8; i++) {
            buf.putShort(40 + 2 * i, dim[i]);
        }
        buf.putShort(70, (short) dataType.code());
        buf.putShort(72, (short) (8 * dataType.bytesPerVoxel()));
        float[] pixdim = {qfac, spacingMm[0], spacingMm[1], spacingMm[2], 1, 1, 1, 1};
        for (int i = 0; i < 8; i++) {
            buf.putFloat(76 + 4 * i, pixdim[i]);
        }
        buf.putFloat(108, singleFile ? offset : 0);
        buf.putFloat(112, sclSlope);
        buf.putFloat(116, sclInter);
        buf.put(123, UNITS_MM_SEC);
        buf.putShort(252, qformCode);
        buf.putShort(254, sformCode);
        for (int i = 0; i < 3; i++) {
            buf.putFloat(256 + 4 * i, quatern[i]);
            buf.putFloat(268 + 4 * i, qoffset[i]);
        }
        for (int r = 0; r < 3; r++) {
            for (int c = 0; c < 4; c++) {
                buf.putFloat(280 + 16 * r + 4 * c, srow[r][c]);
            }
        }
        byte[] magic = (singleFile ? "n+1\0" : "ni1\0").getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < 4; i++) {
            buf.put(344 + i, magic[i]);
        }
        buf.position(offset);
        for (int i = 0; i < n; i++) {
            putValue(buf, value.applyAsDouble(i), i);
        }
        return buf.array();
    }

    private void putValue(ByteBuffer buf, double v, int index) {
        switch (dataType) {
            case FLOAT32 -> buf.putFloat((float) v);
            case FLOAT64 -> buf.putDouble(v);
            case UINT8 -> buf.put((byte) whole(v, 0, 255, index));
            case INT8 -> buf.put((byte) whole(v, Byte.MIN_VALUE, Byte.MAX_VALUE, index));
            case INT16 -> buf.putShort((short) whole(v, Short.MIN_VALUE, Short.MAX_VALUE, index));
            case UINT16 -> buf.putShort((short) whole(v, 0, 65535, index));
            case INT32 -> buf.putInt((int) whole(v, Integer.MIN_VALUE, Integer.MAX_VALUE, index));
            case UINT32 -> buf.putInt((int) whole(v, 0, 0xFFFFFFFFL, index));
        }
    }

    private long whole(double v, long min, long max, int index) {
        if (v != Math.rint(v) || v < min || v > max) {
            throw new IllegalArgumentException("value " + v + " at index " + index + " is not a whole number in "
                    + dataType.displayName() + " range [" + min + ", " + max + "]");
        }
        return (long) v;
    }
}
