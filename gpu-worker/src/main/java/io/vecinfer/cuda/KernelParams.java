package io.vecinfer.cuda;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A kernel's launch parameters as one C struct passed by value, laid out as nvcc lays out a struct of the same
 * fields in the same order: each field at its natural alignment (pointers and 64-bit integers 8, int and float 4),
 * the whole padded to 8 bytes. A kernel family declares the struct once in its .cu file, and its Java wrapper
 * builds the mirror with these calls in the same order; pass the result to {@link CudaKernel#launch} as one argument.
 */
public final class KernelParams {
    private final ByteBuffer bytes = ByteBuffer.allocateDirect(512).order(ByteOrder.LITTLE_ENDIAN);

    /** A device pointer field: a buffer's, a slice's, or null (the kernel reads 0 as absent). */
    public KernelParams pointer(Object bufferOrSlice) {
        align(8);
        long address;
        if (bufferOrSlice == null) address = 0;
        else if (bufferOrSlice instanceof DeviceBuffer b) address = b.address();
        else if (bufferOrSlice instanceof DeviceBuffer.Slice s) address = s.buffer().address() + s.byteOffset();
        else throw new IllegalArgumentException("a pointer field takes a DeviceBuffer or a Slice, not " + bufferOrSlice.getClass().getName());
        bytes.putLong(address);
        return this;
    }

    public KernelParams i32(int v) {
        align(4);
        bytes.putInt(v);
        return this;
    }

    public KernelParams i64(long v) {
        align(8);
        bytes.putLong(v);
        return this;
    }

    public KernelParams f32(float v) {
        align(4);
        bytes.putFloat(v);
        return this;
    }

    /** The struct's bytes so far, padded to 8 (the alignment of a struct holding a pointer). */
    ByteBuffer finish() {
        align(8);
        return bytes.duplicate().flip();
    }

    /** Size in bytes after padding, for tests that check the layout against the C struct. */
    public int size() {
        return finish().remaining();
    }

    private void align(int a) {
        while (bytes.position() % a != 0) bytes.put((byte) 0);
    }
}
