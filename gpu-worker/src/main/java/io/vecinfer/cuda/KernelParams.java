package io.vecinfer.cuda;

import jcuda.Pointer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A kernel's launch parameters as one C struct passed by value, laid out as nvcc lays out a struct of the same
 * fields in the same order: each field at its natural alignment (pointers and 64-bit integers 8, int and float 4),
 * the whole padded to 8 bytes. A kernel family declares the struct once in its .cu file, and its Java wrapper
 * builds the mirror with these calls in the same order; pass the result to {@link CudaKernel#launch} as one argument.
 *
 * <p>The bytes live in a small Java array, not a direct buffer: cuLaunchKernel copies them at launch, so nothing
 * native is allocated per launch (a direct buffer per launch cost a native allocation and a cleaner each), and a
 * wrapper that launches the same struct every step may keep one and launch it again, or {@link #reset} and refill it.
 */
public final class KernelParams {
    /** Bytes a struct may take: CUDA allows 4 KiB of parameters, our structs take ≤ 120. */
    static final int CAPACITY = 256;

    private final byte[] bytes = new byte[CAPACITY];
    private final ByteBuffer writer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    private final Pointer argument = Pointer.to(bytes);

    /** Empties the struct, to fill it again from the first field. */
    public KernelParams reset() {
        writer.clear();
        return this;
    }

    /** A device pointer field: a buffer's, a slice's, or null (the kernel reads 0 as absent). */
    public KernelParams pointer(Object bufferOrSlice) {
        align(8);
        long address;
        if (bufferOrSlice == null) address = 0;
        else if (bufferOrSlice instanceof DeviceBuffer b) address = b.address();
        else if (bufferOrSlice instanceof DeviceBuffer.Slice s) address = s.buffer().address() + s.byteOffset();
        else throw new IllegalArgumentException("a pointer field takes a DeviceBuffer or a Slice, not " + bufferOrSlice.getClass().getName());
        writer.putLong(address);
        return this;
    }

    public KernelParams i32(int v) {
        align(4);
        writer.putInt(v);
        return this;
    }

    public KernelParams i64(long v) {
        align(8);
        writer.putLong(v);
        return this;
    }

    public KernelParams f32(float v) {
        align(4);
        writer.putFloat(v);
        return this;
    }

    /** The struct's bytes so far, padded to 8 (the alignment of a struct holding a pointer). */
    ByteBuffer finish() {
        align(8);
        return writer.duplicate().flip().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** The argument cuLaunchKernel copies the struct from (the kernel's metadata gives the size). */
    Pointer argument() {
        align(8);
        return argument;
    }

    /** Size in bytes after padding, for tests that check the layout against the C struct. */
    public int size() {
        return finish().remaining();
    }

    private void align(int a) {
        while (writer.position() % a != 0) writer.put((byte) 0);
    }
}
