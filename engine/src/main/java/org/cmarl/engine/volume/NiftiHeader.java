package org.cmarl.engine.volume;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The fields of a NIfTI-1 header that the engine uses, parsed and checked.
 *
 * <h2>On-disk layout (348 bytes, byte order given by {@code sizeof_hdr == 348})</h2>
 * <pre>
 *   offset  field          type        offset  field          type
 *        0  sizeof_hdr     int32          252  qform_code     int16
 *       40  dim[8]         int16          254  sform_code     int16
 *       70  datatype       int16          256  quatern_b,c,d  float32 x3
 *       72  bitpix         int16          268  qoffset_x,y,z  float32 x3
 *       76  pixdim[8]      float32        280  srow_x[4]      float32
 *      108  vox_offset     float32        296  srow_y[4]      float32
 *      112  scl_slope      float32        312  srow_z[4]      float32
 *      116  scl_inter      float32        344  magic          "n+1\0" (one file) or "ni1\0" (.hdr + .img)
 * </pre>
 *
 * @param byteOrder  byte order of the file (the one in which {@code sizeof_hdr} reads 348)
 * @param magic      {@code "n+1"} or {@code "ni1"}
 * @param dims       {@code dim[0..7]}: rank then the sizes
 * @param dataType   voxel type
 * @param pixdim     {@code pixdim[0..7]}; {@code pixdim[0]} is the qform's qfac, {@code pixdim[1..3]} the spacing
 * @param voxOffset  byte offset of the voxels in the data file
 * @param sclSlope   stored {@code scl_slope} (may be 0 or NaN: "no scaling")
 * @param sclInter   stored {@code scl_inter}
 * @param qformCode  {@code qform_code}
 * @param sformCode  {@code sform_code}
 * @param quatern    {@code quatern_b, quatern_c, quatern_d}
 * @param qoffset    {@code qoffset_x, y, z} in mm
 * @param srow       {@code srow_x, srow_y, srow_z}, each 4 values
 */
public record NiftiHeader(ByteOrder byteOrder, String magic, int[] dims, NiftiDataType dataType, float[] pixdim,
                          float voxOffset, float sclSlope, float sclInter, int qformCode, int sformCode,
                          float[] quatern, float[] qoffset, float[][] srow) {

    /** Size of a NIfTI-1 header in bytes. */
    public static final int HEADER_BYTES = 348;
    /** Voxel offset a single-file NIfTI-1 writer uses: header plus the 4-byte extension flag. */
    public static final int SINGLE_FILE_VOX_OFFSET = 352;
    /**
     * Largest voxel count accepted, checked on the header before anything is read or allocated: 2^28 (e.g. 645^3;
     * 1 GiB as float32, plus the file's own bytes while reading). The scans this engine is built for have under
     * 50 M voxels; a header declaring more is far more often damaged or hostile (a gzip bomb) than real. The float
     * plane of a {@link Volume} could index up to {@code (2^31 - 1) / 4}.
     */
    public static final long MAX_VOXELS = 1L << 28;

    public NiftiHeader {
        dims = dims.clone();
        pixdim = pixdim.clone();
        quatern = quatern.clone();
        qoffset = qoffset.clone();
        srow = new float[][]{srow[0].clone(), srow[1].clone(), srow[2].clone()};
    }

    @Override public int[] dims() { return dims.clone(); }
    @Override public float[] pixdim() { return pixdim.clone(); }
    @Override public float[] quatern() { return quatern.clone(); }
    @Override public float[] qoffset() { return qoffset.clone(); }
    @Override public float[][] srow() { return new float[][]{srow[0].clone(), srow[1].clone(), srow[2].clone()}; }

    public int nx() { return dims[1]; }
    public int ny() { return dims[2]; }
    public int nz() { return dims[3]; }
    public int voxelCount() { return dims[1] * dims[2] * dims[3]; }
    /** Bytes of voxel data that follow {@code vox_offset}. */
    public long dataBytes() { return (long) voxelCount() * dataType.bytesPerVoxel(); }
    /** True for {@code "n+1"} (header and voxels in one file), false for {@code "ni1"} (.hdr + .img). */
    public boolean singleFile() { return "n+1".equals(magic); }

    /** Spacing in mm per axis, {@code |pixdim[1..3]|} (SPEC.md section 1). */
    public double[] spacingMm() {
        return new double[]{Math.abs(pixdim[1]), Math.abs(pixdim[2]), Math.abs(pixdim[3])};
    }

    /**
     * The slope actually applied: {@code scl_slope} when finite and non-zero, else 1 (no scaling), as the NIfTI-1
     * standard says (SPEC.md section 1).
     */
    public double effectiveSlope() {
        return Float.isFinite(sclSlope) && sclSlope != 0f ? sclSlope : 1.0;
    }

    /** The intercept applied together with {@link #effectiveSlope()}: 0 when there is no scaling or it is not finite. */
    public double effectiveIntercept() {
        boolean scaled = Float.isFinite(sclSlope) && sclSlope != 0f;
        return scaled && Float.isFinite(sclInter) ? sclInter : 0.0;
    }

    /** True when voxels are changed by slope/intercept (so integer data does not stay integer). */
    public boolean scaled() {
        return effectiveSlope() != 1.0 || effectiveIntercept() != 0.0;
    }

    /**
     * Voxel index to physical mm: the sform when {@code sform_code > 0}, else the qform (quaternion, {@code qfac =
     * pixdim[0]}, 0 read as 1) when {@code qform_code > 0}, else scaling by the spacing.
     */
    public Affine voxelToPhysical() {
        if (sformCode > 0) {
            double[][] m = new double[4][4];
            for (int r = 0; r < 3; r++) {
                for (int c = 0; c < 4; c++) {
                    m[r][c] = srow[r][c];
                }
            }
            m[3][3] = 1;
            return new Affine(m);
        }
        if (qformCode > 0) {
            return new Affine(quaternionToMatrix());
        }
        double[] s = spacingMm();
        return Affine.scaling(s[0], s[1], s[2]);
    }

    /** nifti1_io's {@code quatern_to_mat44}, in double precision. */
    private double[][] quaternionToMatrix() {
        double b = quatern[0];
        double c = quatern[1];
        double d = quatern[2];
        double a = 1.0 - (b * b + c * c + d * d);
        if (a < 1.e-7) {
            // nifti1_io: a numerically zero real part means a 180 degree rotation; renormalise (b, c, d)
            a = 1.0 / Math.sqrt(b * b + c * c + d * d);
            b *= a;
            c *= a;
            d *= a;
            a = 0.0;
        } else {
            a = Math.sqrt(a);
        }
        double xd = pixdim[1] > 0 ? pixdim[1] : 1.0;
        double yd = pixdim[2] > 0 ? pixdim[2] : 1.0;
        double zd = pixdim[3] > 0 ? pixdim[3] : 1.0;
        double qfac = pixdim[0] == 0f ? 1.0 : pixdim[0];
        if (qfac < 0) {
            zd = -zd;
        }
        return new double[][]{
                {(a * a + b * b - c * c - d * d) * xd, 2.0 * (b * c - a * d) * yd, 2.0 * (b * d + a * c) * zd, qoffset[0]},
                {2.0 * (b * c + a * d) * xd, (a * a + c * c - b * b - d * d) * yd, 2.0 * (c * d - a * b) * zd, qoffset[1]},
                {2.0 * (b * d - a * c) * xd, 2.0 * (c * d + a * b) * yd, (a * a + d * d - c * c - b * b) * zd, qoffset[2]},
                {0, 0, 0, 1}};
    }

    /**
     * Parses and checks the 348 header bytes. Everything that can be decided from the header alone is checked here,
     * before any voxel memory is allocated: sizeof_hdr, magic, rank, sizes, singleton extra axes, datatype, voxel
     * count limit, vox_offset, spacing, affine invertibility.
     *
     * @param bytes  at least {@link #HEADER_BYTES} bytes
     * @param source the file, for error messages
     */
    public static NiftiHeader parse(byte[] bytes, String source) {
        if (bytes.length < HEADER_BYTES) {
            throw new ImageFormatException(source + ": file has " + bytes.length + " bytes, a NIfTI-1 header needs "
                    + HEADER_BYTES);
        }
        ByteBuffer buf = ByteBuffer.wrap(bytes, 0, HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        if (buf.getInt(0) != HEADER_BYTES) {
            buf.order(ByteOrder.BIG_ENDIAN);
            if (buf.getInt(0) != HEADER_BYTES) {
                throw new ImageFormatException(source + ": not a NIfTI-1 file: sizeof_hdr is "
                        + buf.order(ByteOrder.LITTLE_ENDIAN).getInt(0) + " (little endian) / "
                        + buf.order(ByteOrder.BIG_ENDIAN).getInt(0) + " (big endian), expected 348");
            }
        }
        String magic = new String(bytes, 344, 3, StandardCharsets.US_ASCII);
        if (!(("n+1".equals(magic) || "ni1".equals(magic)) && bytes[347] == 0)) {
            throw new ImageFormatException(source + ": not a NIfTI-1 file: magic is \""
                    + new String(bytes, 344, 4, StandardCharsets.ISO_8859_1).replace("\0", "\\0")
                    + "\", expected \"n+1\\0\" or \"ni1\\0\"");
        }
        int[] dims = new int[8];
        for (int i = 0; i < 8; i++) {
            dims[i] = buf.getShort(40 + 2 * i);
        }
        int rank = dims[0];
        if (rank < 3 || rank > 7) {
            throw new ImageFormatException(source + ": dim[0] (rank) is " + rank + ", expected 3, or 4 with a "
                    + "singleton 4th axis");
        }
        for (int i = 1; i <= 3; i++) {
            if (dims[i] < 1) {
                throw new ImageFormatException(source + ": dim[" + i + "] is " + dims[i] + ", expected >= 1");
            }
        }
        for (int i = 4; i <= rank; i++) {
            if (dims[i] != 1) {
                throw new ImageFormatException(source + ": dim[" + i + "] is " + dims[i] + ", only 3D images (or "
                        + "4D with a singleton 4th axis) are supported, dims " + Arrays.toString(dims));
            }
        }
        long voxels = (long) dims[1] * dims[2] * dims[3];
        if (voxels > MAX_VOXELS) {
            throw new ImageFormatException(source + ": " + dims[1] + "x" + dims[2] + "x" + dims[3] + " = " + voxels
                    + " voxels, more than the " + MAX_VOXELS + " (2^28, 1 GiB as float32) this engine loads; "
                    + "refused before reading the voxels");
        }
        int code = buf.getShort(70);
        NiftiDataType type = NiftiDataType.fromCode(code);
        if (type == null) {
            throw new ImageFormatException(source + ": unsupported datatype code " + code + ", expected one of "
                    + "uint8(2) int8(256) int16(4) uint16(512) int32(8) uint32(768) float32(16) float64(64)");
        }
        float[] pixdim = new float[8];
        for (int i = 0; i < 8; i++) {
            pixdim[i] = buf.getFloat(76 + 4 * i);
        }
        for (int i = 1; i <= 3; i++) {
            if (!Float.isFinite(pixdim[i]) || pixdim[i] == 0f) {
                throw new ImageFormatException(source + ": pixdim[" + i + "] (spacing) is " + pixdim[i]
                        + ", expected a finite non-zero value");
            }
        }
        float voxOffset = buf.getFloat(108);
        boolean single = "n+1".equals(magic);
        float minOffset = single ? HEADER_BYTES : 0;
        if (!Float.isFinite(voxOffset) || voxOffset < minOffset || voxOffset != Math.rint(voxOffset)) {
            throw new ImageFormatException(source + ": vox_offset is " + voxOffset + ", expected a whole number >= "
                    + (int) minOffset);
        }
        float[] quatern = {buf.getFloat(256), buf.getFloat(260), buf.getFloat(264)};
        float[] qoffset = {buf.getFloat(268), buf.getFloat(272), buf.getFloat(276)};
        float[][] srow = new float[3][4];
        for (int r = 0; r < 3; r++) {
            for (int c = 0; c < 4; c++) {
                srow[r][c] = buf.getFloat(280 + 16 * r + 4 * c);
            }
        }
        NiftiHeader h = new NiftiHeader(buf.order(), magic, dims, type, pixdim, voxOffset, buf.getFloat(112),
                buf.getFloat(116), buf.getShort(252), buf.getShort(254), quatern, qoffset, srow);
        try {
            h.voxelToPhysical();
        } catch (IllegalArgumentException e) {
            throw new ImageFormatException(source + ": unusable voxel-to-physical transform (sform_code "
                    + h.sformCode + ", qform_code " + h.qformCode + "): " + e.getMessage(), e);
        }
        return h;
    }

    @Override
    public String toString() {
        return "NiftiHeader[" + magic + " " + byteOrder + " dims " + Arrays.toString(dims) + " " + dataType.displayName()
                + " pixdim " + Arrays.toString(pixdim) + " vox_offset " + voxOffset + " scl " + sclSlope + "/" + sclInter
                + " qform " + qformCode + " sform " + sformCode + "]";
    }
}
