package io.vecinfer.cuda.ops;

import io.vecinfer.cuda.CudaDevice;
import io.vecinfer.cuda.DeviceBuffer;
import io.vecinfer.cuda.GpuDevice;
import io.vecinfer.cuda.RandomInputs;
import io.vecinfer.safetensors.DType;
import io.vecinfer.tensor.Half;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * GPU: rmsnorm_bf16 / rmsnorm_f16 against the fp32 rmsnorm followed by to_bf16 / to_f16 (what Matmul did to the
 * norm's output before a GEMM or WGMMA projection): bit for bit, on fresh random inputs, outputs poisoned (0xFFFF, a NaN in
 * both types) so that an unwritten one fails; and against the host's rounding of the fp32 output (Half, round to nearest
 * even). Shapes as OpsKernelTest's rmsnorm: hidden rows (256, 4096: 1024 threads), heads (16, 128), n = 100 (not a
 * multiple of 32) and 9000 (past the 8 elements a thread keeps: the rest read twice); then the decoder's gather, one
 * vector a launch at 16-bit offsets, which must equal the whole launch.
 */
class RmsNormSixteenBitTest {
    private final RandomInputs random = new RandomInputs();

    @RegisterExtension
    final GpuDevice gpu = new GpuDevice();

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"BF16", "F16"})
    void sixteenBitOutputsAreTheRoundedFp32Outputs(DType type) {
        CudaDevice device = gpu.device();
        RmsNorm norm = new RmsNorm(device);
        int[][] shapes = {{5, 256}, {24, 16}, {9, 128}, {2, 4096}, {3, 100}, {2, 9000}};
        try (Matmul matmul = new Matmul(device, Matmul.Precision.TENSOR_CORES)) {
            for (int[] shape : shapes) {
                int vectors = shape[0], n = shape[1], count = vectors * n;
                String what = type + " rmsnorm " + vectors + "×" + n + ", " + random;
                float[] x = random.floats(count, 3), weight = random.floats(n, 2);
                try (DeviceBuffer dx = device.upload(x); DeviceBuffer dw = device.upload(weight); DeviceBuffer fp32 = device.allocate(4L * count);
                     DeviceBuffer converted = MatmulSwiGluTest.poisoned16(device, count); DeviceBuffer direct = MatmulSwiGluTest.poisoned16(device, count);
                     DeviceBuffer gathered = MatmulSwiGluTest.poisoned16(device, count)) {
                    norm.launch(dx.from(0), dw, 1e-6f, vectors, n, fp32.from(0));
                    matmul.round(fp32.from(0), count, Activation.of(converted, type));
                    norm.launch(dx.from(0), dw, 1e-6f, vectors, n, Activation.of(direct, type));
                    Activation rows = Activation.of(gathered, type);
                    for (int v = 0; v < vectors; v++) norm.launch(dx.from((long) v * n), dw, 1e-6f, 1, n, rows.at((long) v * n));

                    int[] expected = MatmulSwiGluTest.shorts(converted, count), actual = MatmulSwiGluTest.shorts(direct, count);
                    MatmulSwiGluTest.assertSameBits(expected, actual, type, what + ": against rmsnorm, then to_" + type);
                    MatmulSwiGluTest.assertSameBits(expected, MatmulSwiGluTest.shorts(gathered, count), type, what + ": one vector a launch");
                    float[] y = fp32.readFloats();
                    int[] host = new int[count];
                    boolean rounded = false;
                    for (int i = 0; i < count; i++) {
                        host[i] = (type == DType.BF16 ? Half.floatToBf16(y[i]) : Half.fromFloat(y[i])) & 0xffff;
                        rounded |= (type == DType.BF16 ? Half.bf16ToFloat((short) host[i]) : Half.toFloat((short) host[i])) != y[i];
                    }
                    MatmulSwiGluTest.assertSameBits(host, actual, type, what + ": against the host's rounding of the fp32 output");
                    assertTrue(rounded, what + ": no output needed rounding, so this shape tells nothing");
                }
            }
        }
    }
}
