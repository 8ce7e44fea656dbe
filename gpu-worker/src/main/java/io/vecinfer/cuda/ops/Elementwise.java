package io.vecinfer.cuda.ops;

import io.vecinfer.cuda.CudaDevice;
import io.vecinfer.cuda.DeviceBuffer;
import io.vecinfer.tensor.WeightMatrix;

/**
 * The elementwise family (elementwise.cu): embedding gather, residual add, SiLU(gate) · up of separate gate and up or
 * of an interleaved gate|up product ({@link GateUp}); fp32, except that the interleaved SwiGLU may write 16 bits.
 */
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

    /**
     * gate = SiLU(gate) · up over n floats. The decoder no longer calls it: its gate|up weight is interleaved, and
     * {@link #siluMulInterleaved} (or the projection's epilogue) applies the same arithmetic to the pairs.
     */
    public void siluMul(DeviceBuffer.Slice gate, DeviceBuffer.Slice up, int n) {
        device.module("elementwise").kernel("silu_mul").launch(Matmul.ceilDiv(n, THREADS), 1, 1, THREADS, 0, gate, up, n);
    }

    /**
     * h[r][u] = SiLU(gate) · up of each hidden unit u < {@code hidden} of rows r < {@code rows}, from an interleaved gate|up
     * product ({@link GateUp}'s columns; rows × 2·hidden fp32) into h (rows × hidden, fp32 or rounded to bf16/fp16 as
     * Matmul's to_bf16 / to_f16 round). h must not overlap the product.
     */
    public void siluMulInterleaved(DeviceBuffer.Slice product, int rows, int hidden, Activation h) {
        if (rows <= 0) return;
        device.module("elementwise").kernel("silu_mul_interleaved_" + h.suffix())
                .launch(Matmul.ceilDiv(hidden, THREADS), rows, 1, THREADS, 0, product, h.data(), hidden);
    }

    /**
     * The silu_mul_interleaved kernel's arithmetic ({@link #siluMulReference}'s on each unit's pair), in fp32: rounded to
     * a 16-bit h's type by {@link Matmul#roundToWeightType}.
     */
    public static float[] siluMulInterleavedReference(float[] product, int rows, int hidden) {
        if (product.length != 2L * rows * hidden) throw new IllegalArgumentException(product.length + " products for " + rows + " × 2·" + hidden);
        float[] gate = new float[rows * hidden], up = new float[rows * hidden];
        for (int r = 0; r < rows; r++) {
            for (int u = 0; u < hidden; u++) {
                gate[r * hidden + u] = product[r * 2 * hidden + GateUp.gateColumn(u, hidden)];
                up[r * hidden + u] = product[r * 2 * hidden + GateUp.upColumn(u, hidden)];
            }
        }
        return siluMulReference(gate, up);
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

    /**
     * SiLU(g) · up as the CPU decoder computes it (FloatMath.siluMul): exp in double rounded to float, then g / (1 + e) · up
     * in fp32. The kernels take expf instead (numeric.cuh's silu_mul_value): within a few ulps of this (OpsKernelTest).
     */
    public static float[] siluMulReference(float[] gate, float[] up) {
        float[] out = new float[gate.length];
        for (int i = 0; i < out.length; i++) {
            float g = gate[i];
            out[i] = g / (1f + (float) Math.exp(-g)) * up[i];
        }
        return out;
    }
}
