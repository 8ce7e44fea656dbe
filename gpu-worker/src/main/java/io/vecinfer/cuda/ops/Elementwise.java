package io.vecinfer.cuda.ops;

import io.vecinfer.cuda.CudaDevice;
import io.vecinfer.cuda.DeviceBuffer;
import io.vecinfer.tensor.WeightMatrix;

/** The elementwise family (elementwise.cu): embedding gather, residual add, SiLU(gate) · up; all fp32. */
public final class Elementwise {
    private static final int THREADS = 256;

    private final CudaDevice device;

    public Elementwise(CudaDevice device) {
        this.device = device;
    }

    /** x[r] = table row tokens[r], widened to fp32, for r < rows. tokens holds rows ints. */
    public void embed(DeviceMatrix table, DeviceBuffer.Slice tokens, int rows, DeviceBuffer.Slice x) {
        device.module("elementwise").kernel("embed_" + table.suffix())
                .launch(Matmul.ceilDiv(table.cols(), THREADS), rows, 1, THREADS, 0, table.data(), tokens, x, table.cols());
    }

    /**
     * x += y over n floats. The decoder's residual adds no longer call it (its o and down projections add into x
     * themselves, {@link Matmul.Store#ACCUMULATE}, with the same rounding); benchmarks time it beside them.
     */
    public void add(DeviceBuffer.Slice x, DeviceBuffer.Slice y, int n) {
        device.module("elementwise").kernel("add").launch(Matmul.ceilDiv(n, THREADS), 1, 1, THREADS, 0, x, y, n);
    }

    /** gate = SiLU(gate) · up over n floats. */
    public void siluMul(DeviceBuffer.Slice gate, DeviceBuffer.Slice up, int n) {
        device.module("elementwise").kernel("silu_mul").launch(Matmul.ceilDiv(n, THREADS), 1, 1, THREADS, 0, gate, up, n);
    }

    /** The embed kernel's arithmetic: exact widening of each stored element. */
    public static float[] embedReference(WeightMatrix table, int[] tokens) {
        float[] x = new float[tokens.length * table.cols()];
        for (int r = 0; r < tokens.length; r++) table.row(tokens[r], x, r * table.cols());
        return x;
    }

    public static float[] addReference(float[] x, float[] y) {
        float[] out = x.clone();
        for (int i = 0; i < out.length; i++) out[i] += y[i];
        return out;
    }

    /** The silu_mul kernel's arithmetic: exp in double rounded to float, then g / (1 + e) · up in fp32. */
    public static float[] siluMulReference(float[] gate, float[] up) {
        float[] out = new float[gate.length];
        for (int i = 0; i < out.length; i++) {
            float g = gate[i];
            out[i] = g / (1f + (float) Math.exp(-g)) * up[i];
        }
        return out;
    }
}
