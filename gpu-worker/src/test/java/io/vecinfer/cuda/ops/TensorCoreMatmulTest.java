package io.vecinfer.cuda.ops;

import io.vecinfer.cuda.DeviceBuffer;
import io.vecinfer.cuda.GpuDevice;
import io.vecinfer.cuda.RandomInputs;
import io.vecinfer.safetensors.DType;
import io.vecinfer.tensor.WeightMatrix;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * GPU: the tensor-core projections (skinny and gemm of matmul_tc.cu) against {@link Matmul#tensorCoreReference} on
 * fresh random inputs, outputs poisoned with NaN first.
 *
 * <p>Shapes cover both kernels and their edges: 1, 3, 8, 9, 17 and 32 rows (the skinny kernel's 8-row B tiles,
 * full and partial), 33, 130 and 257 rows (gemm, rows not a multiple of its 128-row tile); outputs not a multiple
 * of 16 (skinny's weight rows per CTA) or 128 (gemm's columns per CTA); in = 136 (not a multiple of the 32-k chunk
 * and tile: a partial last step) and a Llama-sized 4096. Every shape runs unsplit and with three output segments.
 *
 * <p>Tolerance: the reference sums the exact products in double; the kernel sums them in fp32 (MMA accumulation,
 * then partial sums across warps), which is within the standard bound n·u·Σ|w·x| for n fp32 additions. We allow
 * 2·(in + 32)·u·Σ|w·x| + one rounding of the result, the factor 2 because tensor-core accumulation may truncate
 * rather than round. Not rounding x to the 16-bit type, a wrong k mapping, row or segment moves outputs far more.
 */
class TensorCoreMatmulTest {
    private static final double U = 0x1p-24;

    private final RandomInputs random = new RandomInputs();

    @RegisterExtension
    final GpuDevice gpu = new GpuDevice();

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"BF16", "F16"})
    void matchesTheReferenceOnEveryPath(DType dtype) {
        int[][] shapes = {{1, 4096, 200}, {3, 136, 40}, {8, 256, 33}, {9, 4096, 64}, {17, 136, 300}, {32, 512, 48},
                {33, 136, 40}, {130, 256, 300}, {257, 4096, 136}};
        try (Matmul matmul = new Matmul(gpu.device(), Matmul.Precision.TENSOR_CORES)) {
            for (int[] shape : shapes) {
                int rows = shape[0], in = shape[1], out = shape[2];
                WeightMatrix w = random.matrix(dtype, out, in, 0.5);
                float[] x = random.floats(rows * in, 1);
                float[] bias = random.floats(out, 1);
                for (boolean withBias : new boolean[]{false, true}) {
                    float[] b = withBias ? bias : null;
                    float[] expected = Matmul.tensorCoreReference(w, x, rows, b);
                    try (DeviceMatrix dw = DeviceMatrix.upload(gpu.device(), w); DeviceBuffer dx = gpu.device().upload(x);
                         DeviceBuffer db = b == null ? null : gpu.device().upload(b)) {
                        Matmul.Path path = matmul.path(dw, dx.from(0), rows);
                        assertEquals(rows <= Matmul.SKINNY_MAX_ROWS ? Matmul.Path.SKINNY : Matmul.Path.GEMM, path, rows + " rows");
                        String what = dtype + " " + path + " " + rows + "×" + in + "→" + out + (withBias ? " +bias" : "");
                        System.out.println("checking " + what); // a launch that never returns then names its shape
                        check(expected, unsplit(matmul, dw, dx, db, rows), w, x, b, rows, what + ", one output");
                        check(expected, threeSegments(matmul, dw, dx, db, rows), w, x, b, rows, what + ", three segments");
                    }
                }
            }
        }
    }

    private float[] unsplit(Matmul matmul, DeviceMatrix w, DeviceBuffer x, DeviceBuffer bias, int rows) {
        try (DeviceBuffer y = poisoned(rows * w.rows())) {
            matmul.launch(w, x.from(0), rows, bias, y.from(0));
            return y.readFloats();
        }
    }

    /** Columns split as 1/2, 1/4, the rest, written to three buffers, then put back side by side. */
    private float[] threeSegments(Matmul matmul, DeviceMatrix w, DeviceBuffer x, DeviceBuffer bias, int rows) {
        int out = w.rows(), a = out / 2, b = out / 4, c = out - a - b;
        try (DeviceBuffer ya = poisoned(rows * a); DeviceBuffer yb = poisoned(rows * b); DeviceBuffer yc = poisoned(rows * c)) {
            matmul.launch(w, x.from(0), rows, bias, Matmul.Outputs.split(List.of(ya.from(0), yb.from(0), yc.from(0)), a, b, c));
            float[] pa = ya.readFloats(), pb = yb.readFloats(), pc = yc.readFloats();
            float[] y = new float[rows * out];
            for (int r = 0; r < rows; r++) {
                System.arraycopy(pa, r * a, y, r * out, a);
                System.arraycopy(pb, r * b, y, r * out + a, b);
                System.arraycopy(pc, r * c, y, r * out + a + b, c);
            }
            return y;
        }
    }

    private DeviceBuffer poisoned(int floats) {
        float[] nan = new float[floats];
        Arrays.fill(nan, Float.NaN);
        return gpu.device().upload(nan);
    }

    private void check(float[] expected, float[] actual, WeightMatrix w, float[] x, float[] bias, int rows, String what) {
        int in = w.cols(), out = w.rows();
        float[] rounded = Matmul.roundToWeightType(w.dtype(), x), row = new float[in];
        for (int o = 0; o < out; o++) {
            w.row(o, row, 0);
            for (int r = 0; r < rows; r++) {
                double magnitude = 0;
                for (int k = 0; k < in; k++) magnitude += Math.abs(row[k] * rounded[r * in + k]);
                float e = expected[r * out + o], a = actual[r * out + o];
                double bound = 2 * (in + 32) * U * magnitude + Math.ulp(e);
                assertTrue(Math.abs(e - a) <= bound, what + ": y[" + r + "][" + o + "] = " + a + ", reference " + e + " (bound " + bound
                        + "), " + random);
            }
        }
    }
}
