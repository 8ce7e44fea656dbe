package io.vecinfer.tensor;

/** Small float32 vector operations used on activations and caches; SIMD where the Vector API is present. */
public final class FloatMath {
    private static final boolean VECTOR = DotKernel.best() != ScalarDotKernel.INSTANCE;

    private FloatMath() {
    }

    /** Whether the Vector API paths are in use (the jdk.incubator.vector module is present and not disabled). */
    public static boolean vectorized() {
        return VECTOR;
    }

    public static float dot(float[] a, int aOffset, float[] b, int bOffset, int n) {
        if (VECTOR) return VectorFloatMath.dot(a, aOffset, b, bOffset, n);
        float sum = 0f;
        for (int i = 0; i < n; i++) sum += a[aOffset + i] * b[bOffset + i];
        return sum;
    }

    /** y += w · x */
    public static void axpy(float w, float[] x, int xOffset, float[] y, int yOffset, int n) {
        if (VECTOR) {
            VectorFloatMath.axpy(w, x, xOffset, y, yOffset, n);
            return;
        }
        for (int i = 0; i < n; i++) y[yOffset + i] += w * x[xOffset + i];
    }

    /** RMSNorm of x[offset, offset + n) into out, times weight (computed as Hugging Face does, in fp32). */
    public static void rmsNorm(float[] x, int offset, float[] weight, float eps, float[] out, int outOffset, int n) {
        float ss = 0f;
        for (int i = 0; i < n; i++) ss += x[offset + i] * x[offset + i];
        float inv = (float) (1.0 / Math.sqrt(ss / n + eps));
        for (int i = 0; i < n; i++) out[outOffset + i] = weight[i] * (x[offset + i] * inv);
    }

    /** gate[i] = SiLU(gate[i]) · up[i] for i < n: the SwiGLU activation, in place. */
    public static void siluMul(float[] gate, float[] up, int n) {
        for (int i = 0; i < n; i++) {
            float g = gate[i];
            gate[i] = g / (1f + (float) Math.exp(-g)) * up[i];
        }
    }
}
