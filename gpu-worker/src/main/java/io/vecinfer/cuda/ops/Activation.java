package io.vecinfer.cuda.ops;

import io.vecinfer.cuda.DeviceBuffer;
import io.vecinfer.safetensors.DType;

import java.util.Objects;

/**
 * Activation rows on the device with their element type: fp32, or a projection's 16-bit input (bf16 or fp16) written
 * by the kernel before it ({@link RmsNorm}, SwiGLU in {@link Matmul#swiGlu}) so that {@link Matmul} needs no
 * conversion pass. {@code data} is where element 0 lies.
 */
public record Activation(DeviceBuffer.Slice data, DType type) {
    public Activation {
        Objects.requireNonNull(data, "data");
        if (type != DType.F32 && type != DType.BF16 && type != DType.F16) {
            throw new IllegalArgumentException("activations are F32, BF16 or F16, not " + type);
        }
    }

    /** fp32 rows at {@code data}. */
    public static Activation f32(DeviceBuffer.Slice data) {
        return new Activation(data, DType.F32);
    }

    /** {@code buffer} from its start, holding elements of {@code type}. */
    public static Activation of(DeviceBuffer buffer, DType type) {
        return new Activation(new DeviceBuffer.Slice(buffer, 0), type);
    }

    /** The same rows from element {@code index} (of this type) on, e.g. one row of a gathered batch. */
    public Activation at(long index) {
        return new Activation(new DeviceBuffer.Slice(data.buffer(), data.byteOffset() + index * type.bytes), type);
    }

    /** Whether this is bf16 or fp16: what the tensor-core GEMM paths read as it is. */
    public boolean sixteenBit() {
        return type != DType.F32;
    }

    /** Bytes of {@code elements} of this type. */
    public long bytes(long elements) {
        return elements * type.bytes;
    }

    /** Whether {@code aBytes} from {@code a} and {@code bBytes} from {@code b} share a byte (both in one buffer). */
    static boolean overlap(DeviceBuffer.Slice a, long aBytes, DeviceBuffer.Slice b, long bBytes) {
        if (a.buffer() != b.buffer() || aBytes <= 0 || bBytes <= 0) return false;
        return a.byteOffset() < b.byteOffset() + bBytes && b.byteOffset() < a.byteOffset() + aBytes;
    }

    /** The kernel-name suffix of this type: f32, bf16 or f16. */
    String suffix() {
        return type.name().toLowerCase(java.util.Locale.ROOT);
    }
}
