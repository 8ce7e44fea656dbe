package io.vecinfer.cuda.ops;

import io.vecinfer.cuda.DeviceBuffer;
import io.vecinfer.cuda.GpuDevice;
import io.vecinfer.cuda.RandomInputs;
import io.vecinfer.safetensors.DType;
import io.vecinfer.tensor.WeightMatrix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * GPU: the tensor-core projections of matmul_tc.cu (skinny and gemm) against {@link Matmul#tensorCoreReference} on
 * fresh random inputs, outputs poisoned with NaN first ({@link TensorCoreChecks}, which also states the tolerance).
 * matmul_wgmma.cu, which replaces gemm on sm_90 where it can, has its own test (WgmmaMatmulTest); here gemm runs
 * by name on every device.
 *
 * <p>Shapes cover both kernels and their edges: 1, 3, 8, 9, 17 and 32 rows (the skinny kernel's 8-row B tiles,
 * full and partial), 33, 130 and 257 rows (gemm, rows not a multiple of its 128-row tile); outputs not a multiple
 * of 32 (skinny's weight rows per CTA, two tiles of 16: 33, 40, 48, 300 leave the second empty) or 128 (gemm's columns per CTA); in = 136 (not a multiple of the 32-k chunk
 * and tile: a partial last step) and a Llama-sized 4096. Every shape runs unsplit and with three output segments,
 * written and accumulated into random outputs.
 */
class TensorCoreMatmulTest {
    private final RandomInputs random = new RandomInputs();

    @RegisterExtension
    final GpuDevice gpu = new GpuDevice();

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"BF16", "F16"})
    void matchesTheReferenceOnEveryPath(DType dtype) {
        int[][] shapes = {{1, 4096, 200}, {3, 136, 40}, {8, 256, 33}, {9, 4096, 64}, {17, 136, 300}, {32, 512, 48},
                {33, 136, 40}, {130, 256, 300}, {257, 4096, 136}};
        TensorCoreChecks checks = new TensorCoreChecks(gpu.device(), random);
        try (Matmul matmul = new Matmul(gpu.device(), Matmul.Precision.TENSOR_CORES)) {
            for (int[] shape : shapes) {
                int rows = shape[0], in = shape[1], out = shape[2];
                WeightMatrix w = random.matrix(dtype, out, in, 0.5);
                float[] x = random.floats(rows * in, 1);
                float[] bias = random.floats(out, 1);
                Matmul.Path path = rows <= Matmul.SKINNY_MAX_ROWS ? Matmul.Path.SKINNY : Matmul.Path.GEMM;
                try (DeviceMatrix dw = DeviceMatrix.upload(gpu.device(), w); DeviceBuffer dx = gpu.device().upload(x)) {
                    Matmul.Path chosen = matmul.path(dw, dx.from(0), rows);
                    assertTrue(chosen == path || path == Matmul.Path.GEMM && chosen.wgmma(),
                            rows + " rows: " + chosen);
                }
                for (boolean withBias : new boolean[]{false, true}) {
                    checks.check(matmul, path, w, x, rows, withBias ? bias : null,
                            dtype + " " + path + " " + rows + "×" + in + "→" + out + (withBias ? " +bias" : ""));
                }
            }
        }
    }

    /**
     * The skinny kernel with k split across CTAs (partial sums to scratch, skinny_reduce adding them in split order
     * and the bias once), forced on small shapes: {rows, in, out, chunks per split}. in = 136 is 5 chunks of 32 k, the
     * last one partial: 1 chunk per split gives 5 splits, 2 gives 3 (the last split a single, partial chunk); 4096 in
     * 64 or 48 chunks per split gives 2 splits or 3 (48, 48 and 32 chunks: splits that are not whole load rounds). Rows 1, 3, 8, 17, 32 (every B-tile
     * instantiation, full and partial), outputs 33, 200, 250 (its last CTA's second 16-row tile partial) and 6144 (the 8B's q|k|v; 32 rows × 5 splits of it is the
     * most the scratch holds). Each case is also launched twice and must repeat itself bit for bit, and
     * accumulated into random outputs, which skinny_reduce adds to only after the splits' sum ({@link TensorCoreChecks}). Then the rule's own choice on the 8B's q|k|v at one row (3 splits on an H200) and on a
     * narrow product with the 8B's down k (14336 in, 512 out: 28 splits of 2 stages).
     */
    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"BF16", "F16"})
    void skinnyWithSplitKMatchesTheReference(DType dtype) {
        int[][] shapes = {{1, 136, 33, 1}, {3, 136, 250, 2}, {8, 4096, 33, 64}, {17, 4096, 200, 48}, {32, 136, 6144, 1},
                {1, 4096, 6144, 0}, {1, 14336, 512, 0}};
        TensorCoreChecks checks = new TensorCoreChecks(gpu.device(), random);
        try (Matmul matmul = new Matmul(gpu.device(), Matmul.Precision.TENSOR_CORES)) {
            for (int[] shape : shapes) {
                int rows = shape[0], in = shape[1], out = shape[2];
                int chunksPerSplit = shape[3] > 0 ? shape[3] : Matmul.skinnyChunksPerSplit(rows, in, out, gpu.device().multiprocessorCount());
                int splits = Matmul.ceilDiv(Matmul.ceilDiv(in, Matmul.SKINNY_CHUNK), chunksPerSplit);
                WeightMatrix w = random.matrix(dtype, out, in, 0.5);
                float[] x = random.floats(rows * in, 1);
                float[] bias = random.floats(out, 1);
                for (boolean withBias : new boolean[]{false, true}) {
                    checks.check((dw, dx, r, db, y) -> matmul.launchSkinny(dw, dx, r, db, y, chunksPerSplit), w, x, rows, withBias ? bias : null,
                            dtype + " SKINNY " + rows + "×" + in + "→" + out + " in " + splits + " k splits" + (withBias ? " +bias" : ""));
                }
            }
        }
    }

    /**
     * The decoder's residual projections as it launches them: the 8B's o (4096 → 4096) and down (14336 → 4096), no bias,
     * accumulated into random outputs on the path Matmul chooses, at decode rows (SKINNY, split over k by the rule: 4
     * splits at 1 and 8 rows on an H200) and prefill rows (GEMM, or on an H200 WGMMA split over k at 198 rows and
     * WGMMA_NARROW at 512). Each must be bit for bit the written product plus the outputs, the numbers of the
     * product-then-add pair it replaces in CudaDecoder.run. No CPU reference here (the products are large): the tests
     * above check the products against it.
     */
    @Test
    void theDecodersResidualProjectionsAccumulateBitForBit() {
        int dim = 4096;
        try (Matmul matmul = new Matmul(gpu.device(), Matmul.Precision.TENSOR_CORES)) {
            for (int in : new int[]{4096, 14336}) {
                try (DeviceMatrix dw = DeviceMatrix.upload(gpu.device(), random.matrix(DType.BF16, dim, in, 0.5))) {
                    for (int rows : new int[]{1, 8, 32, 198, 512}) {
                        float[] x = random.floats(rows * in, 1), before = random.floats(rows * dim, 8);
                        try (DeviceBuffer dx = gpu.device().upload(x); DeviceBuffer product = gpu.device().allocate(4L * rows * dim);
                             DeviceBuffer residual = gpu.device().upload(before)) {
                            Matmul.Outputs written = Matmul.Outputs.of(product.from(0), dim), added = Matmul.Outputs.accumulate(residual.from(0), dim);
                            Matmul.Path path = matmul.path(dw, dx.from(0), rows, added);
                            String what = rows + "×" + in + "→" + dim + " on " + path;
                            System.out.println("checking " + what);
                            assertEquals(path, matmul.path(dw, dx.from(0), rows, written), what);
                            matmul.launch(dw, dx.from(0), rows, null, written);
                            matmul.launch(dw, dx.from(0), rows, null, added);
                            assertArrayEquals(Matmul.Store.ACCUMULATE.apply(before, product.readFloats()), residual.readFloats(),
                                    what + ": not the written product plus y, " + random);
                        }
                    }
                }
            }
        }
    }
}
