package io.vecinfer.cuda.ops;

import io.vecinfer.cuda.CudaDevice;
import io.vecinfer.cuda.DeviceBuffer;
import io.vecinfer.cuda.GpuDevice;
import io.vecinfer.cuda.RandomInputs;
import io.vecinfer.safetensors.DType;
import io.vecinfer.tensor.Half;
import io.vecinfer.tensor.WeightMatrix;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * GPU: SwiGLU of an interleaved gate|up weight ({@link Matmul#swiGlu}, {@link GateUp}) on fresh random inputs, outputs
 * poisoned with NaN first (a NaN is an output never written; 0xFFFF is a NaN in bf16 and fp16 alike).
 * <ul>
 *   <li>{@link #everyPathGivesTheNumbersOfTheStackedWeight}: on every path the device runs (CUDA cores, skinny, gemm, and
 *       on sm_90 both WGMMA widths, with the rule's k split and forced ones), into fp32 and 16-bit h, swiGlu equals bit for
 *       bit what CudaDecoder computed before the interleave: the stacked [gate; up] product, silu_mul of its two halves,
 *       and to_bf16 / to_f16 for a 16-bit h. So the decoder's numbers do not change.</li>
 *   <li>{@link #theFusedEpilogueIsTheUnfusedComposition} (sm_90): every WGMMA variant's *_swiglu kernel, both tile widths,
 *       at tile edges (rows and 2·hidden not multiples of the tiles; 2100 rows: several tiles per persistent CTA), gives
 *       the bits of the interleaved fp32 product, silu_mul_interleaved to fp32, then to_bf16 / to_f16; and of
 *       silu_mul_interleaved writing 16 bits itself. The product buffer stays NaN: the fused kernel ran, not the pass.</li>
 *   <li>{@link #matchesTheCpuReference}: against {@link Matmul#swiGluTensorCoreReference} within the bound derived there.</li>
 * </ul>
 */
class MatmulSwiGluTest {
    private static final double U = 0x1p-24;
    private static final short NAN16 = (short) 0xFFFF;

    private final RandomInputs random = new RandomInputs();

    @RegisterExtension
    final GpuDevice gpu = new GpuDevice();

    /** {rows, in, hidden}: skinny rows (1, 8, 17, 32), gemm/WGMMA rows (33, 130, 257); a partial block (hidden 20, in 136). */
    private static final int[][] DECODER_SHAPES = {{1, 256, 136}, {8, 4096, 40}, {17, 136, 20}, {32, 256, 136}, {33, 4096, 40},
            {130, 256, 136}, {257, 136, 20}, {257, 640, 264}};

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"BF16", "F16"})
    void everyPathGivesTheNumbersOfTheStackedWeight(DType dtype) {
        CudaDevice device = gpu.device();
        try (Matmul matmul = new Matmul(device, Matmul.Precision.TENSOR_CORES)) {
            for (int[] shape : DECODER_SHAPES) {
                int rows = shape[0], in = shape[1], hidden = shape[2];
                WeightMatrix gate = random.matrix(dtype, hidden, in, 0.5), up = random.matrix(dtype, hidden, in, 0.5);
                float[] x = random.floats(rows * in, 1);
                try (DeviceMatrix stacked = DeviceMatrix.stacked(device, List.of(gate, up)); DeviceMatrix interleaved = GateUp.upload(device, gate, up);
                     DeviceBuffer dx = device.upload(x)) {
                    for (Matmul.Path path : Matmul.Path.values()) {
                        Matmul.Outputs one = Matmul.Outputs.of(dx.from(0), 2 * hidden); // a stand-in at an aligned offset for canRun
                        if (!matmul.canRun(path, stacked, dx.from(0), rows, one)) continue;
                        List<Integer> splits = new ArrayList<>(List.of(0)); // 0: the rule's
                        boolean wgmma = path.wgmma();
                        if (wgmma && in >= 256) splits.addAll(List.of(1, 3));
                        for (int perSplit : splits) {
                            for (DType h : new DType[]{DType.F32, dtype}) {
                                String what = dtype + " " + path + (perSplit > 0 ? " k tiles per split " + perSplit : "") + " " + rows + "×" + in
                                        + "→2·" + hidden + ", h " + h + ", " + random;
                                System.out.println("checking " + what);
                                int[] before = stackedThenSiluMul(matmul, stacked, dx, rows, hidden, path, perSplit, h);
                                int[] after = swiGlu(matmul, interleaved, dx, rows, hidden, path, perSplit, h);
                                assertSameBits(before, after, h, what);
                            }
                        }
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"BF16", "F16"})
    void theFusedEpilogueIsTheUnfusedComposition(DType dtype) {
        onlyOnSm90();
        CudaDevice device = gpu.device();
        int[][] shapes = {{1, 64, 8}, {127, 640, 136}, {129, 128, 1000}, {200, 64, 264}, {300, 4096, 200}, {2100, 128, 1000}};
        for (int[] shape : shapes) {
            int rows = shape[0], in = shape[1], hidden = shape[2], kTiles = in / 64;
            WeightMatrix gate = random.matrix(dtype, hidden, in, 0.5), up = random.matrix(dtype, hidden, in, 0.5);
            float[] x = random.floats(rows * in, 1);
            try (DeviceMatrix w = GateUp.upload(device, gate, up); DeviceBuffer dx = device.upload(x)) {
                for (WgmmaMatmulTest.Variant variant : WgmmaMatmulTest.variants()) {
                    for (Matmul.Path path : new Matmul.Path[]{Matmul.Path.WGMMA, Matmul.Path.WGMMA_MEDIUM, Matmul.Path.WGMMA_NARROW}) {
                        String what = dtype + " " + path + " " + variant + " " + rows + "×" + in + "→2·" + hidden + ", " + random;
                        System.out.println("checking " + what);
                        try (Matmul matmul = variant.matmul(gpu); DeviceBuffer product = device.upload(nans(2 * rows * hidden));
                             DeviceBuffer h = poisoned16(device, (long) rows * hidden); DeviceBuffer again = poisoned16(device, (long) rows * hidden);
                             DeviceBuffer unfused = device.upload(nans(2 * rows * hidden)); DeviceBuffer h32 = device.upload(nans(rows * hidden));
                             DeviceBuffer rounded = poisoned16(device, (long) rows * hidden); DeviceBuffer direct = poisoned16(device, (long) rows * hidden)) {
                            assertTrue(Matmul.swiGluFuses(dtype, kTiles, kTiles, hidden, Activation.of(h, dtype)), what);
                            matmul.swiGlu(w, Activation.f32(dx.from(0)), rows, product.from(0), Activation.of(h, dtype), path, kTiles);
                            matmul.swiGlu(w, Activation.f32(dx.from(0)), rows, product.from(0), Activation.of(again, dtype), path, kTiles);
                            for (float p : product.readFloats()) {
                                if (!Float.isNaN(p)) fail(what + ": the fp32 product was written: the fused kernel did not run");
                            }
                            // The unfused composition on the same variant: fp32 product, SwiGLU to fp32, to_bf16 / to_f16.
                            matmul.launchWgmma(w, dx.from(0), rows, null, Matmul.Outputs.of(unfused.from(0), 2 * hidden), path, kTiles);
                            new Elementwise(device).siluMulInterleaved(unfused.from(0), rows, hidden, Activation.f32(h32.from(0)));
                            matmul.round(h32.from(0), (long) rows * hidden, Activation.of(rounded, dtype));
                            new Elementwise(device).siluMulInterleaved(unfused.from(0), rows, hidden, Activation.of(direct, dtype));
                            int[] fused = shorts(h, rows * hidden);
                            assertSameBits(shorts(rounded, rows * hidden), fused, dtype, what + ": against product, silu_mul_interleaved, to_" + dtype);
                            assertSameBits(shorts(direct, rows * hidden), fused, dtype, what + ": against silu_mul_interleaved writing " + dtype);
                            assertSameBits(fused, shorts(again, rows * hidden), dtype, what + ": a second launch differs");
                        }
                    }
                }
            }
        }
    }

    /**
     * swiGlu with a 16-bit h on every tensor-core path the device runs (fused on WGMMA with the rule's split where it is
     * one, else the interleaved pass) against the CPU reference: {@link Matmul#tensorCoreReference} of gate and up (G, U),
     * SiLU(G)·U in fp32, rounded.
     *
     * <p>Tolerance, per output: the kernel's g and u are within e_g = 2·(in + 32)·u·Σ|w·x| + ulp(G) of G (and e_u of U):
     * {@link TensorCoreChecks}' bound. |SiLU'| ≤ 1.1, so |SiLU(g)·u − SiLU(G)·U| ≤ 1.1·e_g·(|U| + e_u) + |SiLU(G)|·e_u; the
     * kernel evaluates g / (1 + e^-g) · u in fp32 within 3.5 ulps (expf's 2, the sum, the division, the product), the CPU
     * within 2 (a double exp rounded once, the same three roundings): 6 ulps together (silu_mul's own test allows 6 between
     * them); then each side rounds to 16 bits, half a 16-bit ulp at most, one
     * 16-bit ulp of the larger magnitude together. A wrong unit, pair or row moves h by its own size.
     */
    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"BF16", "F16"})
    void matchesTheCpuReference(DType dtype) {
        CudaDevice device = gpu.device();
        int[][] shapes = {{1, 256, 136}, {33, 4096, 136}, {130, 256, 200}, {257, 640, 136}};
        try (Matmul matmul = new Matmul(device, Matmul.Precision.TENSOR_CORES)) {
            for (int[] shape : shapes) {
                int rows = shape[0], in = shape[1], hidden = shape[2];
                WeightMatrix gate = random.matrix(dtype, hidden, in, 0.5), up = random.matrix(dtype, hidden, in, 0.5);
                float[] x = random.floats(rows * in, 1);
                float[] expected = Matmul.swiGluTensorCoreReference(GateUp.interleave(gate, up), x, rows, dtype);
                float[] g = Matmul.tensorCoreReference(gate, x, rows, null), u = Matmul.tensorCoreReference(up, x, rows, null);
                float[] gateMagnitude = magnitudes(gate, x, rows), upMagnitude = magnitudes(up, x, rows);
                try (DeviceMatrix w = GateUp.upload(device, gate, up); DeviceBuffer dx = device.upload(x)) {
                    for (Matmul.Path path : new Matmul.Path[]{Matmul.Path.SKINNY, Matmul.Path.GEMM, Matmul.Path.WGMMA, Matmul.Path.WGMMA_MEDIUM, Matmul.Path.WGMMA_NARROW}) {
                        Matmul.Outputs one = Matmul.Outputs.of(dx.from(0), 2 * hidden);
                        if (!matmul.canRun(path, w, dx.from(0), rows, one)) continue;
                        String what = dtype + " " + path + " " + rows + "×" + in + "→2·" + hidden + ", " + random;
                        System.out.println("checking " + what);
                        float[] actual = widen(dtype, swiGlu(matmul, w, dx, rows, hidden, path, 0, dtype));
                        for (int i = 0; i < expected.length; i++) {
                            double eg = 2 * (in + 32) * U * gateMagnitude[i] + Math.ulp(g[i]), eu = 2 * (in + 32) * U * upMagnitude[i] + Math.ulp(u[i]);
                            double silu = g[i] / (1 + Math.exp(-g[i])), h = silu * u[i];
                            double delta = 1.1 * eg * (Math.abs(u[i]) + eu) + Math.abs(silu) * eu + 6 * Math.ulp((float) Math.abs(h));
                            double bound = delta + ulp16(dtype, Math.abs(h) + delta);
                            if (!(Math.abs(actual[i] - expected[i]) <= bound)) {
                                fail(what + ": h[" + i / hidden + "][" + i % hidden + "] = " + actual[i] + ", reference " + expected[i] + " (bound " + bound + ")");
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * What CudaDecoder did before the interleave: the stacked [gate; up] product on {@code path} (perSplit > 0: a WGMMA
     * path's k split forced), silu_mul of its halves, then for a 16-bit h to_bf16 / to_f16. The halves are split on the
     * host (the decoder stored them as two segments: the same values at other addresses). Returns h's bits.
     */
    private int[] stackedThenSiluMul(Matmul matmul, DeviceMatrix stacked, DeviceBuffer x, int rows, int hidden, Matmul.Path path, int perSplit,
                                     DType h) {
        CudaDevice device = gpu.device();
        float[] product;
        try (DeviceBuffer y = device.upload(nans(2 * rows * hidden))) {
            Matmul.Outputs out = Matmul.Outputs.of(y.from(0), 2 * hidden);
            if (perSplit > 0) matmul.launchWgmma(stacked, x.from(0), rows, null, out, path, perSplit);
            else matmul.launch(stacked, x.from(0), rows, null, out, path);
            product = y.readFloats();
        }
        float[] gate = new float[rows * hidden], up = new float[rows * hidden];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(product, r * 2 * hidden, gate, r * hidden, hidden);
            System.arraycopy(product, r * 2 * hidden + hidden, up, r * hidden, hidden);
        }
        try (DeviceBuffer dg = device.upload(gate); DeviceBuffer du = device.upload(up)) {
            new Elementwise(device).siluMul(dg.from(0), du.from(0), rows * hidden);
            if (h == DType.F32) return floatBits(dg.readFloats());
            try (DeviceBuffer h16 = poisoned16(device, (long) rows * hidden)) {
                matmul.round(dg.from(0), (long) rows * hidden, Activation.of(h16, h));
                return shorts(h16, rows * hidden);
            }
        }
    }

    /** swiGlu of the interleaved weight into a poisoned h of type {@code h} (perSplit > 0: a WGMMA path's k split forced); h's bits. */
    private int[] swiGlu(Matmul matmul, DeviceMatrix interleaved, DeviceBuffer x, int rows, int hidden, Matmul.Path path, int perSplit, DType h) {
        CudaDevice device = gpu.device();
        try (DeviceBuffer product = device.upload(nans(2 * rows * hidden));
             DeviceBuffer out = h == DType.F32 ? device.upload(nans(rows * hidden)) : poisoned16(device, (long) rows * hidden)) {
            Activation activated = Activation.of(out, h), input = Activation.f32(x.from(0));
            if (perSplit > 0) matmul.swiGlu(interleaved, input, rows, product.from(0), activated, path, perSplit);
            else matmul.swiGlu(interleaved, input, rows, product.from(0), activated, path);
            return h == DType.F32 ? floatBits(out.readFloats()) : shorts(out, rows * hidden);
        }
    }

    private void onlyOnSm90() {
        int cc = gpu.device().computeCapability();
        assumeTrue(cc == 90, () -> "fused SwiGLU test skipped: matmul_wgmma.cu is sm_90a code, and " + gpu.device() + " has compute capability "
                + cc / 10 + "." + cc % 10);
    }

    /** Bit patterns of outputs of {@code type} equal, and none is its poison (an output never written). */
    static void assertSameBits(int[] expected, int[] actual, DType type, String what) {
        assertEquals(expected.length, actual.length, what);
        int poison = type == DType.F32 ? Float.floatToRawIntBits(Float.NaN) : NAN16 & 0xffff;
        for (int i = 0; i < expected.length; i++) {
            if (actual[i] == poison) fail(what + ": output " + i + " was never written");
            if (expected[i] != actual[i]) fail(what + ": output " + i + " is 0x" + Integer.toHexString(actual[i]) + ", expected 0x" + Integer.toHexString(expected[i]));
        }
    }

    /** Σ_k |w[o][k] · x̃[r][k]| for each (r, o), x̃ rounded to the weights' type: the scale of each product's rounding. */
    private static float[] magnitudes(WeightMatrix w, float[] x, int rows) {
        int in = w.cols(), out = w.rows();
        float[] rounded = Matmul.roundToWeightType(w.dtype(), x), row = new float[in], m = new float[rows * out];
        for (int o = 0; o < out; o++) {
            w.row(o, row, 0);
            for (int r = 0; r < rows; r++) {
                double sum = 0;
                for (int k = 0; k < in; k++) sum += Math.abs(row[k] * rounded[r * in + k]);
                m[r * out + o] = (float) sum;
            }
        }
        return m;
    }

    /** The spacing of the 16-bit type at magnitude v (fp16: its subnormal spacing below 2^-14). */
    private static double ulp16(DType type, double v) {
        float f = (float) v;
        return type == DType.BF16 ? Math.ulp(f) * 0x1p16 : Math.max(Math.ulp(f) * 0x1p13, 0x1p-24);
    }

    private static float[] widen(DType type, int[] bits) {
        float[] out = new float[bits.length];
        for (int i = 0; i < bits.length; i++) out[i] = type == DType.BF16 ? Half.bf16ToFloat((short) bits[i]) : Half.toFloat((short) bits[i]);
        return out;
    }

    static DeviceBuffer poisoned16(CudaDevice device, long n) {
        short[] poison = new short[Math.toIntExact(n)];
        Arrays.fill(poison, NAN16);
        DeviceBuffer b = device.allocate(2 * n);
        b.write(poison);
        return b;
    }

    static int[] shorts(DeviceBuffer b, int n) {
        short[] s = b.readShorts(0, n);
        int[] bits = new int[n];
        for (int i = 0; i < n; i++) bits[i] = s[i] & 0xffff;
        return bits;
    }

    private static int[] floatBits(float[] v) {
        int[] bits = new int[v.length];
        for (int i = 0; i < v.length; i++) bits[i] = Float.floatToRawIntBits(v[i]);
        return bits;
    }

    private static float[] nans(int n) {
        float[] a = new float[n];
        Arrays.fill(a, Float.NaN);
        return a;
    }
}
