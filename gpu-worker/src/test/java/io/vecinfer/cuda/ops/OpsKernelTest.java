package io.vecinfer.cuda.ops;

import io.vecinfer.cuda.GpuDevice;
import io.vecinfer.cuda.DeviceBuffer;
import io.vecinfer.cuda.RandomInputs;
import io.vecinfer.model.ModelConfig;
import io.vecinfer.model.Rope;
import io.vecinfer.safetensors.DType;
import io.vecinfer.tensor.WeightMatrix;
import io.vecinfer.testing.RepoPaths;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** GPU: each kernel of matmul, rmsnorm, rope and elementwise against its Java reference on fresh random inputs. */
class OpsKernelTest {
    /** fp32 unit roundoff. */
    private static final double U = 0x1p-24;

    private final RandomInputs random = new RandomInputs();

    @RegisterExtension
    final GpuDevice gpu = new GpuDevice();

    /**
     * Shapes cover: one row (decode), rows not a multiple of the 8-row tile, in not a multiple of 8 (the scalar
     * path), outputs not a multiple of the 8 warps, and a Llama-sized reduction. Tolerance: the standard bound for
     * a sum of n fp32 products, |error| ≤ n·u·Σ|w·x|, for each side (the reference sums all `in` terms in a row,
     * the kernel in/32 per lane and then 5 butterfly steps), plus one rounding for the bias. A wrong index,
     * row, dtype or bias moves an output by about its own size, orders of magnitude above this bound.
     *
     * <p>Each product is also accumulated ({@link Matmul.Store#ACCUMULATE}) into an output holding random values: bit
     * for bit the written product plus them, and within the bound of {@link Matmul#reference} accumulated, plus the
     * final add's rounding on either side (2 ulps of the sum).
     */
    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "BF16", "F16"})
    void matmulMatchesReference(DType dtype) {
        int[][] shapes = {{1, 256, 96}, {13, 512, 40}, {8, 37, 19}, {70, 1024, 33}, {3, 4096, 17}};
        for (int[] shape : shapes) {
            int rows = shape[0], in = shape[1], out = shape[2];
            WeightMatrix w = random.matrix(dtype, out, in, 0.5);
            float[] x = random.floats(rows * in, 1), before = random.floats(rows * out, 8);
            for (float[] bias : new float[][]{null, random.floats(out, 1)}) {
                String what = dtype + " " + rows + "×" + in + "→" + out + (bias == null ? "" : " +bias");
                float[] expected = Matmul.reference(w, x, rows, bias);
                float[] expectedAccumulated = Matmul.reference(w, x, rows, bias, Matmul.Store.ACCUMULATE, before);
                float[] actual, accumulated;
                try (DeviceMatrix dw = DeviceMatrix.upload(gpu.device(), w); DeviceBuffer dx = gpu.device().upload(x);
                     DeviceBuffer db = bias == null ? null : gpu.device().upload(bias); DeviceBuffer dy = gpu.device().allocate(4L * rows * out);
                     DeviceBuffer dsum = gpu.device().upload(before); Matmul matmul = new Matmul(gpu.device(), Matmul.Precision.EXACT)) {
                    matmul.launch(dw, dx.from(0), rows, db, dy.from(0));
                    actual = dy.readFloats();
                    matmul.launch(dw, dx.from(0), rows, db, Matmul.Outputs.accumulate(dsum.from(0), out));
                    accumulated = dsum.readFloats();
                }
                assertArrayEquals(Matmul.Store.ACCUMULATE.apply(before, actual), accumulated, what + " accumulated: not the written product plus y, " + random);
                float[] row = new float[in];
                for (int o = 0; o < out; o++) {
                    w.row(o, row, 0);
                    for (int r = 0; r < rows; r++) {
                        double magnitude = bias == null ? 0 : Math.abs(bias[o]);
                        for (int k = 0; k < in; k++) magnitude += Math.abs(row[k] * x[r * in + k]);
                        double bound = (in + in / 32.0 + 8) * U * magnitude;
                        int i = r * out + o;
                        assertTrue(Math.abs(expected[i] - actual[i]) <= bound, what + " y[" + r + "][" + o + "] = " + actual[i] + ", reference "
                                + expected[i] + " (bound " + bound + "), " + random);
                        double accumulatedBound = bound + 2 * Math.ulp(expectedAccumulated[i]);
                        assertTrue(Math.abs(expectedAccumulated[i] - accumulated[i]) <= accumulatedBound, what + " accumulated y[" + r + "][" + o
                                + "] = " + accumulated[i] + ", reference " + expectedAccumulated[i] + " (bound " + accumulatedBound + "), " + random);
                    }
                }
            }
        }
    }

    /**
     * Hidden rows (n = 256, 4096: 1024 threads) and Qwen3-style heads (n = 16 and 128, in place); n = 100 (not a multiple
     * of the 32-thread step) and n = 9000 (past the 8 elements a thread keeps at 1024 threads: the rest read twice).
     * Tolerance: the sum of squares has relative error ≤ n·u on each side, the inverse square root half of that, then
     * three roundings.
     */
    @Test
    void rmsNormMatchesReference() {
        int[][] shapes = {{5, 256}, {24, 16}, {9, 128}, {2, 4096}, {3, 100}, {2, 9000}};
        for (int[] shape : shapes) {
            int vectors = shape[0], n = shape[1];
            float[] x = random.floats(vectors * n, 3), weight = random.floats(n, 2);
            float[] expected = RmsNorm.reference(x, weight, 1e-6f, vectors, n);
            for (boolean inPlace : new boolean[]{false, true}) {
                float[] actual;
                try (DeviceBuffer dx = gpu.device().upload(x); DeviceBuffer dw = gpu.device().upload(weight);
                     DeviceBuffer dout = gpu.device().allocate(4L * vectors * n)) {
                    DeviceBuffer target = inPlace ? dx : dout;
                    new RmsNorm(gpu.device()).launch(dx.from(0), dw, 1e-6f, vectors, n, target.from(0));
                    actual = target.readFloats();
                }
                for (int i = 0; i < actual.length; i++) {
                    double bound = (n + 8) * U * Math.abs(expected[i]);
                    assertTrue(Math.abs(expected[i] - actual[i]) <= bound, "rmsnorm " + vectors + "×" + n + (inPlace ? " in place" : "")
                            + " [" + i + "] = " + actual[i] + ", reference " + expected[i] + ", " + random);
                }
            }
        }
    }

    /**
     * The kernel rounds each product and sum as Java does (no FMA): bit-identical, for queries and keys of different
     * head counts rotated by one launch, and for one tensor alone.
     */
    @Test
    void ropeMatchesReferenceExactly() {
        ModelConfig config = ModelConfig.load(RepoPaths.fixtures().resolve("tiny/llama3/config.json"));
        Rope rope = new Rope(config);
        int headDim = config.headDim(), heads = 7, kvHeads = 1 + random.ints(1, 3)[0], rows = 1 + random.ints(1, 12)[0];
        int[] positions = random.ints(rows, 100_000);
        RotaryEmbedding.Tables tables = RotaryEmbedding.Tables.at(rope, headDim, positions);
        float[] q = random.floats(rows * heads * headDim, 4), k = random.floats(rows * kvHeads * headDim, 4);
        float[] actualQ, actualK, alone;
        try (DeviceBuffer dq = gpu.device().upload(q); DeviceBuffer dk = gpu.device().upload(k); DeviceBuffer again = gpu.device().upload(k);
             DeviceBuffer cos = gpu.device().upload(tables.cos()); DeviceBuffer sin = gpu.device().upload(tables.sin())) {
            RotaryEmbedding rotary = new RotaryEmbedding(gpu.device());
            rotary.launch(dq.from(0), heads, dk.from(0), kvHeads, cos.from(0), sin.from(0), rows, headDim);
            rotary.launch(again.from(0), cos.from(0), sin.from(0), rows, kvHeads, headDim);
            actualQ = dq.readFloats();
            actualK = dk.readFloats();
            alone = again.readFloats();
        }
        RotaryEmbedding.reference(q, tables.cos(), tables.sin(), rows, heads, headDim);
        RotaryEmbedding.reference(k, tables.cos(), tables.sin(), rows, kvHeads, headDim);
        assertArrayEquals(q, actualQ, "queries, " + random);
        assertArrayEquals(k, actualK, "keys, " + random);
        assertArrayEquals(k, alone, "keys alone, " + random);
    }

    /** Widening is exact, so the gathered rows are bit-identical. */
    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "BF16", "F16"})
    void embedMatchesReferenceExactly(DType dtype) {
        WeightMatrix table = random.matrix(dtype, 300, 72, 1);
        int[] tokens = random.ints(9, 300);
        float[] actual;
        try (DeviceMatrix dt = DeviceMatrix.upload(gpu.device(), table); DeviceBuffer dtokens = gpu.device().upload(tokens);
             DeviceBuffer dx = gpu.device().allocate(4L * tokens.length * table.cols())) {
            new Elementwise(gpu.device()).embed(dt, dtokens.from(0), tokens.length, dx.from(0));
            actual = dx.readFloats();
        }
        assertArrayEquals(Elementwise.embedReference(table, tokens), actual, dtype + ", " + random);
    }

    @Test
    void addMatchesReferenceExactly() {
        float[] x = random.floats(1000, 5), y = random.floats(1000, 5);
        float[] actual;
        try (DeviceBuffer dx = gpu.device().upload(x); DeviceBuffer dy = gpu.device().upload(y)) {
            new Elementwise(gpu.device()).add(dx.from(0), dy.from(0), x.length);
            actual = dx.readFloats();
        }
        assertArrayEquals(Elementwise.addReference(x, y), actual, random.toString());
    }

    /**
     * The kernel takes CUDA's expf (within 2 ulps), the reference a double exp rounded to float (within half an ulp and a
     * double's ulp): e^-g differs by at most 3 ulps between them. 1 + e carries at most that relative difference (e / (1 +
     * e) ≤ 1) and each side rounds the sum, the quotient and the product once (half an ulp each, so one ulp apart per
     * step): at most 3 + 3 = 6 ulps of the result apart. A wrong formula or operand is off by far more.
     */
    @Test
    void siluMulMatchesReference() {
        float[] gate = random.floats(5000, 15), up = random.floats(5000, 3);
        float[] actual;
        try (DeviceBuffer dg = gpu.device().upload(gate); DeviceBuffer du = gpu.device().upload(up)) {
            new Elementwise(gpu.device()).siluMul(dg.from(0), du.from(0), gate.length);
            actual = dg.readFloats();
        }
        float[] expected = Elementwise.siluMulReference(gate, up);
        for (int i = 0; i < expected.length; i++) {
            assertTrue(Math.abs(expected[i] - actual[i]) <= 6 * Math.ulp(expected[i]),
                    "silu_mul[" + i + "] of gate " + gate[i] + " = " + actual[i] + ", reference " + expected[i] + ", " + random);
        }
    }
}
