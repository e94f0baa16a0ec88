package org.cmarl.engine.io;

/**
 * Element types of stored tensors, with PyTorch's storage names (legacy format) and byte sizes.
 */
public enum DType {
    FLOAT32("FloatStorage", "float32", 4),
    FLOAT64("DoubleStorage", "float64", 8),
    FLOAT16("HalfStorage", "float16", 2),
    BFLOAT16("BFloat16Storage", "bfloat16", 2),
    INT64("LongStorage", "int64", 8),
    INT32("IntStorage", "int32", 4),
    INT16("ShortStorage", "int16", 2),
    INT8("CharStorage", "int8", 1),
    UINT8("ByteStorage", "uint8", 1),
    BOOL("BoolStorage", "bool", 1);

    private final String storageName;
    private final String displayName;
    private final int bytes;

    DType(String storageName, String displayName, int bytes) {
        this.storageName = storageName;
        this.displayName = displayName;
        this.bytes = bytes;
    }

    /** PyTorch's storage class name, e.g. {@code FloatStorage}. */
    public String storageName() { return storageName; }

    /** numpy-style name, e.g. {@code float32}; what {@code ./rlm checkpoint} prints. */
    public String displayName() { return displayName; }

    public int bytes() { return bytes; }

    /** The dtype of a PyTorch storage class name, or null if unknown. */
    public static DType ofStorageName(String name) {
        for (DType d : values()) {
            if (d.storageName.equals(name)) {
                return d;
            }
        }
        return null;
    }
}
