package io.vecinfer.tensor;

import java.nio.ByteBuffer;

/** Plain loops: the baseline of the CPU benchmark and the fallback without the Vector API. wIndex counts elements. */
public final class ScalarDotKernel implements DotKernel {
    public static final ScalarDotKernel INSTANCE = new ScalarDotKernel();

    private ScalarDotKernel() {
    }

    @Override
    public float dotF32(ByteBuffer w, int wIndex, float[] x, int xOffset, int n) {
        float sum = 0f;
        for (int i = 0; i < n; i++) sum += w.getFloat(4 * (wIndex + i)) * x[xOffset + i];
        return sum;
    }

    @Override
    public float dotBF16(ByteBuffer w, int wIndex, float[] x, int xOffset, int n) {
        float sum = 0f;
        for (int i = 0; i < n; i++) sum += Half.bf16ToFloat(w.getShort(2 * (wIndex + i))) * x[xOffset + i];
        return sum;
    }

    @Override
    public float dotF16(ByteBuffer w, int wIndex, float[] x, int xOffset, int n) {
        float sum = 0f;
        for (int i = 0; i < n; i++) sum += Half.toFloat(w.getShort(2 * (wIndex + i))) * x[xOffset + i];
        return sum;
    }
}
