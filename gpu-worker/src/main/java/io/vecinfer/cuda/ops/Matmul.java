package io.vecinfer.cuda.ops;

import io.vecinfer.cuda.CudaDevice;
import io.vecinfer.cuda.DeviceBuffer;
import io.vecinfer.tensor.WeightMatrix;

/** The matmul family (matmul.cu): y[rows][out] = x[rows][in] · Wᵀ (+ bias), weights in their stored type, fp32 sums. */
public final class Matmul {
    private static final int WARPS = 8, ROW_TILE = 8; // as in matmul.cu

    private final CudaDevice device;

    public Matmul(CudaDevice device) {
        this.device = device;
    }

    /** y = x · wᵀ + bias over {@code rows} rows; bias may be null. x holds rows × w.cols(), y rows × w.rows() floats. */
    public void launch(DeviceMatrix w, DeviceBuffer.Slice x, int rows, DeviceBuffer bias, DeviceBuffer.Slice y) {
        device.module("matmul").kernel("matmul_" + w.suffix()).launch(
                ceilDiv(w.rows(), WARPS), ceilDiv(rows, ROW_TILE), 1, WARPS * 32, 0,
                x, w.data(), bias, y, rows, w.cols(), w.rows());
    }

    /**
     * The kernel's arithmetic: every weight widened exactly to fp32, products summed in fp32, bias added last.
     * Only the order of the sums differs (the kernel splits k over 32 lanes and adds them in a butterfly).
     */
    public static float[] reference(WeightMatrix w, float[] x, int rows, float[] bias) {
        int in = w.cols(), out = w.rows();
        float[] row = new float[in];
        float[] y = new float[rows * out];
        for (int o = 0; o < out; o++) {
            w.row(o, row, 0);
            for (int r = 0; r < rows; r++) {
                float sum = 0f;
                for (int k = 0; k < in; k++) sum += row[k] * x[r * in + k];
                y[r * out + o] = bias == null ? sum : sum + bias[o];
            }
        }
        return y;
    }

    static int ceilDiv(long n, int d) {
        return (int) ((n + d - 1) / d);
    }
}
