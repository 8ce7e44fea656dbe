package io.vecinfer.cuda.ops;

import io.vecinfer.cuda.CudaDevice;
import io.vecinfer.cuda.DeviceBuffer;
import io.vecinfer.safetensors.DType;

/**
 * The rmsnorm family (rmsnorm.cu): RMSNorm of {@code vectors} independent vectors of n floats, in place or not, written
 * in fp32 or rounded to a projection's 16-bit input type (bf16 or fp16), which that projection then reads as it is.
 */
public final class RmsNorm {
    private final CudaDevice device;

    public RmsNorm(CudaDevice device) {
        this.device = device;
    }

    /** out[v] = weight ⊙ x[v] / sqrt(mean(x[v]²) + eps) for v < vectors, in fp32; out may be x. */
    public void launch(DeviceBuffer.Slice x, DeviceBuffer weight, float eps, int vectors, int n, DeviceBuffer.Slice out) {
        launch(x, weight, eps, vectors, n, Activation.f32(out));
    }

    /**
     * As {@link #launch(DeviceBuffer.Slice, DeviceBuffer, float, int, int, DeviceBuffer.Slice)} into out's type: each fp32
     * value rounded to nearest even in 16 bits, bit for bit what Matmul's to_bf16 / to_f16 make of the fp32 output. A
     * 16-bit out must not overlap x (its rows would land on rows other CTAs still read); an fp32 one may be x.
     */
    public void launch(DeviceBuffer.Slice x, DeviceBuffer weight, float eps, int vectors, int n, Activation out) {
        long elements = (long) vectors * n;
        if (out.sixteenBit() && Activation.overlap(x, elements * Float.BYTES, out.data(), out.bytes(elements))) {
            throw new IllegalArgumentException("a 16-bit rmsnorm output cannot overlap its input");
        }
        int threads = Math.min(1024, Matmul.ceilDiv(Matmul.ceilDiv(n, 4), 32) * 32); // ~4 elements a thread: 1024 for 4096, 32 for a head
        String kernel = out.sixteenBit() ? "rmsnorm_" + out.suffix() : "rmsnorm";
        device.module("rmsnorm").kernel(kernel).launch(vectors, 1, 1, threads, 0, x, weight, out.data(), n, eps);
    }

    /** The kernel's arithmetic (io.vecinfer.tensor.FloatMath.rmsNorm's formula): only the order of the sum of squares differs. */
    public static float[] reference(float[] x, float[] weight, float eps, int vectors, int n) {
        float[] out = new float[vectors * n];
        for (int v = 0; v < vectors; v++) {
            float ss = 0f;
            for (int i = 0; i < n; i++) ss += x[v * n + i] * x[v * n + i];
            float inv = (float) (1.0 / Math.sqrt(ss / n + eps));
            for (int i = 0; i < n; i++) out[v * n + i] = weight[i] * (x[v * n + i] * inv);
        }
        return out;
    }

    /** {@link #reference} written as {@code out}: fp32, or each value rounded to bf16/fp16 ({@link Matmul#roundToWeightType}). */
    public static float[] reference(float[] x, float[] weight, float eps, int vectors, int n, DType out) {
        float[] y = reference(x, weight, eps, vectors, n);
        return out == DType.F32 ? y : Matmul.roundToWeightType(out, y);
    }
}
