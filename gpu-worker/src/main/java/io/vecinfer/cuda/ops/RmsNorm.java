package io.vecinfer.cuda.ops;

import io.vecinfer.cuda.CudaDevice;
import io.vecinfer.cuda.DeviceBuffer;

/** The rmsnorm family (rmsnorm.cu): RMSNorm of {@code vectors} independent vectors of n floats, in place or not. */
public final class RmsNorm {
    private final CudaDevice device;

    public RmsNorm(CudaDevice device) {
        this.device = device;
    }

    /** out[v] = weight ⊙ x[v] / sqrt(mean(x[v]²) + eps) for v < vectors; out may be x. */
    public void launch(DeviceBuffer.Slice x, DeviceBuffer weight, float eps, int vectors, int n, DeviceBuffer.Slice out) {
        int threads = Math.min(1024, Matmul.ceilDiv(Matmul.ceilDiv(n, 4), 32) * 32); // ~4 elements a thread: 1024 for 4096, 32 for a head
        device.module("rmsnorm").kernel("rmsnorm").launch(vectors, 1, 1, threads, 0, x, weight, out, n, eps);
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
}
