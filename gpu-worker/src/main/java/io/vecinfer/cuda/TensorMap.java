package io.vecinfer.cuda;

import jcuda.Pointer;

/**
 * A TMA tensor map (the driver's 128-byte CUtensorMap): where a tiled 2-D tensor lives in global memory, its shape,
 * row stride, box and shared-memory swizzle, as cuTensorMapEncodeTiled wrote it ({@link TensorMaps#encode2d}). A kernel
 * takes it by value as a {@code const __grid_constant__ CUtensorMap} parameter, whose address its
 * cp.async.bulk.tensor copies name; pass it to {@link CudaKernel#launch} as one argument.
 */
public final class TensorMap {
    /** sizeof(CUtensorMap). */
    public static final int BYTES = 128;

    private final byte[] bytes;
    private final Pointer argument;

    TensorMap(byte[] bytes) {
        if (bytes.length != BYTES) throw new IllegalArgumentException("a tensor map has " + BYTES + " bytes, not " + bytes.length);
        this.bytes = bytes;
        this.argument = Pointer.to(bytes);
    }

    /** The argument cuLaunchKernel copies the map from (the driver places it at the parameter's 64-byte-aligned offset). */
    Pointer argument() {
        return argument;
    }

    /** A copy of the encoded bytes (tests). */
    public byte[] bytes() {
        return bytes.clone();
    }
}
