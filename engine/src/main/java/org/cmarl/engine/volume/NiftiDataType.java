package org.cmarl.engine.volume;

/** The NIfTI-1 voxel datatypes the reader accepts ({@code datatype} header field codes). */
public enum NiftiDataType {
    UINT8(2, 1, "uint8"),
    INT16(4, 2, "int16"),
    INT32(8, 4, "int32"),
    FLOAT32(16, 4, "float32"),
    FLOAT64(64, 8, "float64"),
    INT8(256, 1, "int8"),
    UINT16(512, 2, "uint16"),
    UINT32(768, 4, "uint32");

    private final int code;
    private final int bytesPerVoxel;
    private final String displayName;

    NiftiDataType(int code, int bytesPerVoxel, String displayName) {
        this.code = code;
        this.bytesPerVoxel = bytesPerVoxel;
        this.displayName = displayName;
    }

    /** The NIfTI-1 {@code datatype} code. */
    public int code() { return code; }

    public int bytesPerVoxel() { return bytesPerVoxel; }

    /** numpy-style lower-case name: {@code uint8}, {@code float32}, ... */
    public String displayName() { return displayName; }

    /** The type with this code, or {@code null} when it is not one of the supported ones. */
    public static NiftiDataType fromCode(int code) {
        for (NiftiDataType t : values()) {
            if (t.code == code) {
                return t;
            }
        }
        return null;
    }
}
