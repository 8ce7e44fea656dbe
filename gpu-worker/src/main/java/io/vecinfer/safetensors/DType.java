package io.vecinfer.safetensors;

/** Element types of the safetensors format, by the names its header uses. */
public enum DType {
    F64(8), F32(4), F16(2), BF16(2), I64(8), I32(4), I16(2), I8(1), U8(1), U16(2), U32(4), U64(8), BOOL(1);

    public final int bytes;

    DType(int bytes) {
        this.bytes = bytes;
    }

    /** Parses a header dtype; {@code where} names the file and tensor for the error. */
    public static DType parse(String name, String where) {
        try {
            return valueOf(name);
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new SafeTensorsException(where + ": unknown dtype '" + name + "'");
        }
    }
}
