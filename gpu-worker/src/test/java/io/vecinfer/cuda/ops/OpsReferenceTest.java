package io.vecinfer.cuda.ops;

import io.vecinfer.cuda.DeviceBuffer;
import io.vecinfer.cuda.RandomInputs;
import io.vecinfer.model.ModelConfig;
import io.vecinfer.model.Rope;
import io.vecinfer.safetensors.DType;
import io.vecinfer.tensor.FloatMath;
import io.vecinfer.tensor.ScalarDotKernel;
import io.vecinfer.tensor.WeightMatrix;
import io.vecinfer.testing.RepoPaths;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * CPU: each kernel's Java reference against the CPU decoder's own code. The references sum in the same order as
 * the scalar CPU paths, so they must agree bit for bit; the GPU tests then compare the kernels to these references.
 */
class OpsReferenceTest {
    private final RandomInputs random = new RandomInputs();

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "BF16", "F16"})
    void matmulReferenceIsTheDecodersProjection(DType dtype) {
        int rows = 5, in = 72, out = 19;
        WeightMatrix w = random.matrix(dtype, out, in, 0.5);
        float[] x = random.floats(rows * in, 1), bias = random.floats(out, 1);
        float[] expected = new float[rows * out];
        w.matmul(ScalarDotKernel.INSTANCE, x, rows, expected);
        for (int r = 0; r < rows; r++) for (int o = 0; o < out; o++) expected[r * out + o] += bias[o]; // as Decoder.project
        assertArrayEquals(expected, Matmul.reference(w, x, rows, bias), random.toString());

        float[] noBias = new float[rows * out];
        w.matmul(ScalarDotKernel.INSTANCE, x, rows, noBias);
        assertArrayEquals(noBias, Matmul.reference(w, x, rows, null), random.toString());
    }

    /**
     * The tensor-core reference is the exact one applied to activations rounded to the weight type: on activations
     * that are already bf16/fp16 values the two agree to fp32 summation error (the exact reference sums in float,
     * this one in double), and on others the rounding shows.
     */
    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"BF16", "F16"})
    void tensorCoreReferenceRoundsTheActivationsOnly(DType dtype) {
        int rows = 3, in = 64, out = 11;
        WeightMatrix w = random.matrix(dtype, out, in, 0.5);
        float[] x = Matmul.roundToWeightType(dtype, random.floats(rows * in, 1));
        float[] exact = Matmul.reference(w, x, rows, null), tensor = Matmul.tensorCoreReference(w, x, rows, null);
        for (int i = 0; i < exact.length; i++) {
            org.junit.jupiter.api.Assertions.assertEquals(exact[i], tensor[i], in * 0x1p-24 * 32, random.toString());
        }
        float[] unrounded = random.floats(rows * in, 1);
        float[] a = Matmul.reference(w, unrounded, rows, null), b = Matmul.tensorCoreReference(w, unrounded, rows, null);
        double moved = 0;
        for (int i = 0; i < a.length; i++) moved = Math.max(moved, Math.abs(a[i] - b[i]));
        org.junit.jupiter.api.Assertions.assertTrue(moved > 1e-5, "rounding x to " + dtype + " must move some output, " + random);
    }

    /**
     * An accumulating store is the written product followed by the residual add, as the CPU decoder does it (x += projected):
     * one fp32 add per output after the whole sum, for both references, with and without a bias; the prior outputs are
     * not changed in place.
     */
    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"BF16", "F16"})
    void accumulatingReferencesAddTheWholeProductOnce(DType dtype) {
        int rows = 4, in = 40, out = 13;
        WeightMatrix w = random.matrix(dtype, out, in, 0.5);
        float[] x = random.floats(rows * in, 1), before = random.floats(rows * out, 8), kept = before.clone();
        for (float[] bias : new float[][]{null, random.floats(out, 1)}) {
            float[] projected = Matmul.reference(w, x, rows, bias), residual = before.clone();
            for (int i = 0; i < residual.length; i++) residual[i] += projected[i]; // Decoder.run's residual add
            assertArrayEquals(residual, Matmul.reference(w, x, rows, bias, Matmul.Store.ACCUMULATE, before), random.toString());
            assertArrayEquals(Elementwise.addReference(before, Matmul.tensorCoreReference(w, x, rows, bias)),
                    Matmul.tensorCoreReference(w, x, rows, bias, Matmul.Store.ACCUMULATE, before), random.toString());
            assertArrayEquals(projected, Matmul.reference(w, x, rows, bias, Matmul.Store.OVERWRITE, before), random.toString());
        }
        assertArrayEquals(kept, before, "the prior outputs are read, not written");
    }

    @Test
    void outputsChooseTheirStore() {
        DeviceBuffer.Slice y = new DeviceBuffer.Slice(null, 0), z = new DeviceBuffer.Slice(null, 64);
        assertEquals(Matmul.Store.OVERWRITE, Matmul.Outputs.of(y, 8).store());
        assertEquals(Matmul.Store.OVERWRITE, Matmul.Outputs.split(List.of(y, z), 8, 8).store());
        Matmul.Outputs residual = Matmul.Outputs.accumulate(y, 8);
        assertEquals(Matmul.Store.ACCUMULATE, residual.store());
        assertArrayEquals(new int[]{8}, residual.ends());
        Matmul.Outputs segments = Matmul.Outputs.split(List.of(y, z), 8, 16).with(Matmul.Store.ACCUMULATE);
        assertEquals(Matmul.Store.ACCUMULATE, segments.store());
        assertEquals(List.of(y, z), segments.buffers());
        assertArrayEquals(new int[]{8, 24}, segments.ends());
        assertThrows(NullPointerException.class, () -> Matmul.Outputs.of(y, 8).with(null));
        assertThrows(IllegalArgumentException.class, () -> Matmul.Store.ACCUMULATE.apply(new float[3], new float[4]));
    }

    @Test
    void rmsNormReferenceIsFloatMath() {
        int vectors = 6, n = 48;
        float[] x = random.floats(vectors * n, 3), weight = random.floats(n, 2);
        float[] expected = new float[vectors * n];
        for (int v = 0; v < vectors; v++) FloatMath.rmsNorm(x, v * n, weight, 1e-6f, expected, v * n, n);
        assertArrayEquals(expected, RmsNorm.reference(x, weight, 1e-6f, vectors, n), random.toString());
    }

    @Test
    void ropeReferenceIsRopeApplyWithLlama3Scaling() {
        ModelConfig config = ModelConfig.load(RepoPaths.fixtures().resolve("tiny/llama3/config.json"));
        Rope rope = new Rope(config);
        int headDim = config.headDim(), heads = 3;
        int[] positions = random.ints(7, config.maxPositions());
        float[] x = random.floats(positions.length * heads * headDim, 2);
        float[] expected = x.clone();
        float[] cos = new float[headDim / 2], sin = new float[headDim / 2];
        for (int r = 0; r < positions.length; r++) {
            rope.angles(positions[r], cos, sin);
            for (int h = 0; h < heads; h++) rope.apply(expected, (r * heads + h) * headDim, cos, sin);
        }
        RotaryEmbedding.Tables tables = RotaryEmbedding.Tables.at(rope, headDim, positions);
        RotaryEmbedding.reference(x, tables.cos(), tables.sin(), positions.length, heads, headDim);
        assertArrayEquals(expected, x, random.toString());
    }

    /**
     * Kept from an earlier call, prefetched or computed on the spot, the rows are Rope.angles' bit for bit, in the order
     * asked (scattered decode positions, a prefill's run of positions, repeats); a table handed out is a copy.
     */
    @Test
    void rotaryRowsAreTheAnglesWhetherKeptPrefetchedOrNew() {
        ModelConfig config = ModelConfig.load(RepoPaths.fixtures().resolve("tiny/llama3/config.json"));
        Rope rope = new Rope(config);
        int headDim = config.headDim(), half = headDim / 2;
        int[] positions = random.ints(9, 200_000), next = new int[positions.length];
        for (int i = 0; i < positions.length; i++) next[i] = positions[i] + 1;
        int[] span = random.ints(2, 5000); // a prefill's run of positions: [start, start + 1 + length)
        int[] run = java.util.stream.IntStream.range(span[0], span[0] + 1 + span[1]).toArray();
        RotaryRows rows = new RotaryRows(rope, headDim);
        for (int[] step : new int[][]{positions, next, positions, run, run, next}) {
            RotaryEmbedding.Tables tables = rows.at(step);
            float[] cos = new float[half], sin = new float[half];
            for (int r = 0; r < step.length; r++) {
                rope.angles(step[r], cos, sin);
                assertArrayEquals(cos, java.util.Arrays.copyOfRange(tables.cos(), r * half, (r + 1) * half), "cos of position " + step[r] + ", " + random);
                assertArrayEquals(sin, java.util.Arrays.copyOfRange(tables.sin(), r * half, (r + 1) * half), "sin of position " + step[r] + ", " + random);
            }
            java.util.Arrays.fill(tables.cos(), Float.NaN); // the caller's copy: the kept rows must not change
            java.util.Arrays.fill(tables.sin(), Float.NaN);
            rows.prefetch(step == positions ? next : positions);
        }
    }

    @Test
    void siluMulReferenceIsFloatMath() {
        float[] gate = random.floats(300, 12), up = random.floats(300, 3);
        float[] expected = gate.clone();
        FloatMath.siluMul(expected, up, expected.length);
        assertArrayEquals(expected, Elementwise.siluMulReference(gate, up), random.toString());
    }
}
