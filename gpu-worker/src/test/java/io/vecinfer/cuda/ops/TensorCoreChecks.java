package io.vecinfer.cuda.ops;

import io.vecinfer.cuda.CudaDevice;
import io.vecinfer.cuda.DeviceBuffer;
import io.vecinfer.cuda.RandomInputs;
import io.vecinfer.tensor.WeightMatrix;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The checks the tensor-core projection tests share: one product on a named {@link Matmul.Path}, into one
 * NaN-poisoned output and into three poisoned segments, each compared with {@link Matmul#tensorCoreReference}.
 *
 * <p>Tolerance: the reference sums the exact products in double; the kernels sum them in fp32 (MMA accumulation,
 * then partial sums across warps), which is within the standard bound n·u·Σ|w·x| for n fp32 additions. We allow
 * 2·(in + 32)·u·Σ|w·x| + one rounding of the result, the factor 2 because tensor-core accumulation may truncate
 * rather than round. Not rounding x to the 16-bit type, a wrong k mapping, row or segment moves outputs far more;
 * a NaN (an output never written) fails every comparison.
 */
final class TensorCoreChecks {
    private static final double U = 0x1p-24;

    private final CudaDevice device;
    private final RandomInputs random;

    TensorCoreChecks(CudaDevice device, RandomInputs random) {
        this.device = device;
        this.random = random;
    }

    /** One launch of a product: a {@link Matmul.Path} by name, or the skinny kernel with forced k splits. */
    interface Launch {
        void run(DeviceMatrix w, DeviceBuffer.Slice x, int rows, DeviceBuffer bias, Matmul.Outputs y);
    }

    /** Both output layouts of y = x · wᵀ (+ bias) on {@code path}; {@code what} names the case in failures. */
    void check(Matmul matmul, Matmul.Path path, WeightMatrix w, float[] x, int rows, float[] bias, String what) {
        check((dw, dx, r, db, y) -> matmul.launch(dw, dx, r, db, y, path), w, x, rows, bias, what);
    }

    /** Both output layouts of y = x · wᵀ (+ bias) by {@code launch}, each launched twice: the second must repeat the first bit for bit. */
    void check(Launch launch, WeightMatrix w, float[] x, int rows, float[] bias, String what) {
        float[] expected = Matmul.tensorCoreReference(w, x, rows, bias);
        try (DeviceMatrix dw = DeviceMatrix.upload(device, w); DeviceBuffer dx = device.upload(x);
             DeviceBuffer db = bias == null ? null : device.upload(bias)) {
            System.out.println("checking " + what); // a launch that never returns then names its shape
            float[] first = unsplit(launch, dw, dx, db, rows);
            compare(expected, first, w, x, rows, what + ", one output");
            assertArrayEquals(first, unsplit(launch, dw, dx, db, rows), what + ": a second launch differs");
            compare(expected, threeSegments(launch, dw, dx, db, rows), w, x, rows, what + ", three segments");
        }
    }

    private float[] unsplit(Launch launch, DeviceMatrix w, DeviceBuffer x, DeviceBuffer bias, int rows) {
        try (DeviceBuffer y = poisoned(rows * w.rows())) {
            launch.run(w, x.from(0), rows, bias, Matmul.Outputs.of(y.from(0), w.rows()));
            return y.readFloats();
        }
    }

    /** Columns split as 1/2, 1/4, the rest, written to three buffers, then put back side by side. */
    private float[] threeSegments(Launch launch, DeviceMatrix w, DeviceBuffer x, DeviceBuffer bias, int rows) {
        int out = w.rows(), a = out / 2, b = out / 4, c = out - a - b;
        try (DeviceBuffer ya = poisoned(rows * a); DeviceBuffer yb = poisoned(rows * b); DeviceBuffer yc = poisoned(rows * c)) {
            launch.run(w, x.from(0), rows, bias, Matmul.Outputs.split(List.of(ya.from(0), yb.from(0), yc.from(0)), a, b, c));
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
        return device.upload(nan);
    }

    private void compare(float[] expected, float[] actual, WeightMatrix w, float[] x, int rows, String what) {
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
