package io.vecinfer.cuda.ops;

import io.vecinfer.cuda.CudaDevice;
import io.vecinfer.cuda.DeviceBuffer;
import io.vecinfer.cuda.RandomInputs;
import io.vecinfer.tensor.WeightMatrix;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The checks the tensor-core projection tests share: one product on a named {@link Matmul.Path}, into one
 * NaN-poisoned output and into three poisoned segments, each compared with {@link Matmul#tensorCoreReference}; then the
 * same product accumulated ({@link Matmul.Store#ACCUMULATE}) into outputs holding random values, in both layouts,
 * which must be bit for bit the written product plus those values (one fp32 add after the whole sum, split-K
 * reduces included) and within the tolerance of the reference.
 *
 * <p>Tolerance: the reference sums the exact products in double; the kernels sum them in fp32 (MMA accumulation,
 * then partial sums across warps), which is within the standard bound n·u·Σ|w·x| for n fp32 additions. We allow
 * 2·(in + 32)·u·Σ|w·x| + one rounding of the result, the factor 2 because tensor-core accumulation may truncate
 * rather than round; accumulated, plus the final add's rounding on either side (2 ulps of the sum). Not rounding x to
 * the 16-bit type, a wrong k mapping, row or segment moves outputs far more; a NaN (an output never written) fails
 * every comparison, and an accumulated output never stored keeps its old value, which is not the written one plus it.
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

    /** Both output layouts and both stores of y = x · wᵀ (+ bias) on {@code path}; {@code what} names the case in failures. */
    void check(Matmul matmul, Matmul.Path path, WeightMatrix w, float[] x, int rows, float[] bias, String what) {
        check((dw, dx, r, db, y) -> matmul.launch(dw, dx, r, db, y, path), w, x, rows, bias, what);
    }

    /**
     * Both output layouts and both stores of y = x · wᵀ (+ bias) by {@code launch}; the written product is launched twice,
     * and the second must repeat the first bit for bit.
     */
    void check(Launch launch, WeightMatrix w, float[] x, int rows, float[] bias, String what) {
        float[] expected = Matmul.tensorCoreReference(w, x, rows, bias);
        double[] magnitudes = magnitudes(w, x, rows); // the bounds' Σ|w·x|, once for the three comparisons below
        float[] poison = new float[rows * w.rows()], before = random.floats(rows * w.rows(), 8);
        Arrays.fill(poison, Float.NaN);
        try (DeviceMatrix dw = DeviceMatrix.upload(device, w); DeviceBuffer dx = device.upload(x);
             DeviceBuffer db = bias == null ? null : device.upload(bias)) {
            System.out.println("checking " + what); // a launch that never returns then names its shape
            float[] first = unsplit(launch, dw, dx, db, rows, poison, Matmul.Store.OVERWRITE);
            compare(expected, Matmul.Store.OVERWRITE, poison, first, magnitudes, w, what + ", one output");
            assertArrayEquals(first, unsplit(launch, dw, dx, db, rows, poison, Matmul.Store.OVERWRITE), what + ": a second launch differs");
            compare(expected, Matmul.Store.OVERWRITE, poison, threeSegments(launch, dw, dx, db, rows, poison, Matmul.Store.OVERWRITE), magnitudes,
                    w, what + ", three segments");

            float[] productThenAdd = Matmul.Store.ACCUMULATE.apply(before, first);
            float[] accumulated = unsplit(launch, dw, dx, db, rows, before, Matmul.Store.ACCUMULATE);
            assertArrayEquals(productThenAdd, accumulated, what + ", accumulated: not the written product plus y, " + random);
            compare(expected, Matmul.Store.ACCUMULATE, before, accumulated, magnitudes, w, what + ", accumulated into one output");
            assertArrayEquals(productThenAdd, threeSegments(launch, dw, dx, db, rows, before, Matmul.Store.ACCUMULATE),
                    what + ", accumulated into three segments: not the written product plus y, " + random);
        }
    }

    /** The product stored as {@code store} into one buffer that held {@code before}; what it holds after. */
    private float[] unsplit(Launch launch, DeviceMatrix w, DeviceBuffer x, DeviceBuffer bias, int rows, float[] before, Matmul.Store store) {
        try (DeviceBuffer y = device.upload(before)) {
            launch.run(w, x.from(0), rows, bias, Matmul.Outputs.of(y.from(0), w.rows()).with(store));
            return y.readFloats();
        }
    }

    /** Columns split as 1/2, 1/4, the rest, into three buffers that held those columns of {@code before}, then put back side by side. */
    private float[] threeSegments(Launch launch, DeviceMatrix w, DeviceBuffer x, DeviceBuffer bias, int rows, float[] before, Matmul.Store store) {
        int out = w.rows(), a = out / 2, b = out / 4, c = out - a - b;
        try (DeviceBuffer ya = device.upload(columns(before, rows, out, 0, a)); DeviceBuffer yb = device.upload(columns(before, rows, out, a, b));
             DeviceBuffer yc = device.upload(columns(before, rows, out, a + b, c))) {
            launch.run(w, x.from(0), rows, bias, Matmul.Outputs.split(List.of(ya.from(0), yb.from(0), yc.from(0)), a, b, c).with(store));
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

    /** Columns [from, from + width) of a rows × out matrix. */
    private static float[] columns(float[] y, int rows, int out, int from, int width) {
        float[] part = new float[rows * width];
        for (int r = 0; r < rows; r++) System.arraycopy(y, r * out + from, part, r * width, width);
        return part;
    }

    /**
     * {@code actual} against the reference {@code product} stored as {@code store} into outputs that held {@code before}
     * (what {@link Matmul#tensorCoreReference(WeightMatrix, float[], int, float[], Matmul.Store, float[])} returns). The
     * product's error bound carries through an accumulating add unchanged; the add's own rounding, on the kernel's side
     * and the reference's, is 2 ulps of the sum at most.
     */
    /** Σ_k |w[o][k] · x16[r][k]| of every output (r, o), at r · out + o: x rounded to w's type, as the kernels read it. */
    private static double[] magnitudes(WeightMatrix w, float[] x, int rows) {
        int in = w.cols(), out = w.rows();
        float[] rounded = Matmul.roundToWeightType(w.dtype(), x), row = new float[in];
        double[] magnitudes = new double[rows * out];
        for (int o = 0; o < out; o++) {
            w.row(o, row, 0);
            for (int r = 0; r < rows; r++) {
                double magnitude = 0;
                for (int k = 0; k < in; k++) magnitude += Math.abs(row[k] * rounded[r * in + k]);
                magnitudes[r * out + o] = magnitude;
            }
        }
        return magnitudes;
    }

    private void compare(float[] product, Matmul.Store store, float[] before, float[] actual, double[] magnitudes, WeightMatrix w, String what) {
        float[] expected = store.apply(before, product);
        boolean accumulated = store == Matmul.Store.ACCUMULATE;
        int in = w.cols(), out = w.rows();
        for (int i = 0; i < expected.length; i++) {
            float e = expected[i], a = actual[i];
            double bound = 2 * (in + 32) * U * magnitudes[i] + Math.ulp(product[i]) + (accumulated ? 2 * Math.ulp(e) : 0);
            // The message only when it fails: built for every output, it cost more than the comparison.
            if (!(Math.abs(e - a) <= bound)) {
                fail(what + ": y[" + i / out + "][" + i % out + "] = " + a + ", reference " + e + " (bound " + bound + "), " + random);
            }
        }
    }
}
