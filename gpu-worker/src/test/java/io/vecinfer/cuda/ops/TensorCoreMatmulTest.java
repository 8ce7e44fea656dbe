package io.vecinfer.cuda.ops;

import io.vecinfer.cuda.DeviceBuffer;
import io.vecinfer.cuda.GpuDevice;
import io.vecinfer.cuda.RandomInputs;
import io.vecinfer.safetensors.DType;
import io.vecinfer.tensor.WeightMatrix;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * GPU: the tensor-core projections of matmul_tc.cu (skinny and gemm) against {@link Matmul#tensorCoreReference} on
 * fresh random inputs, outputs poisoned with NaN first ({@link TensorCoreChecks}, which also states the tolerance).
 * matmul_wgmma.cu, which replaces gemm on sm_90 where it can, has its own test (WgmmaMatmulTest); here gemm runs
 * by name on every device.
 *
 * <p>Shapes cover both kernels and their edges: 1, 3, 8, 9, 17 and 32 rows (the skinny kernel's 8-row B tiles,
 * full and partial), 33, 130 and 257 rows (gemm, rows not a multiple of its 128-row tile); outputs not a multiple
 * of 16 (skinny's weight rows per CTA) or 128 (gemm's columns per CTA); in = 136 (not a multiple of the 32-k chunk
 * and tile: a partial last step) and a Llama-sized 4096. Every shape runs unsplit and with three output segments.
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
                    assertTrue(chosen == path || path == Matmul.Path.GEMM && chosen == Matmul.Path.WGMMA, rows + " rows: " + chosen);
                }
                for (boolean withBias : new boolean[]{false, true}) {
                    checks.check(matmul, path, w, x, rows, withBias ? bias : null,
                            dtype + " " + path + " " + rows + "×" + in + "→" + out + (withBias ? " +bias" : ""));
                }
            }
        }
    }
}
