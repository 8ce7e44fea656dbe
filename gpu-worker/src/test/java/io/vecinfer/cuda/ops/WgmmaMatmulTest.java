package io.vecinfer.cuda.ops;

import io.vecinfer.cuda.DeviceBuffer;
import io.vecinfer.cuda.GpuDevice;
import io.vecinfer.cuda.RandomInputs;
import io.vecinfer.cuda.TensorMaps;
import io.vecinfer.safetensors.DType;
import io.vecinfer.tensor.WeightMatrix;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * GPU, sm_90 only: matmul_wgmma.cu ({@link Matmul.Path#WGMMA}, 128 × 256 tiles, {@link Matmul.Path#WGMMA_MEDIUM}, 128 × 192,
 * and {@link Matmul.Path#WGMMA_NARROW}, 128 × 128), with each of its loads ({@link Matmul.WgmmaLoads}: cp.async, and TMA
 * where tensor maps can be encoded, else skipped with the reason), against {@link Matmul#tensorCoreReference} on fresh
 * random inputs, NaN-poisoned outputs, one output and three segments, each also accumulated into random outputs
 * ({@link TensorCoreChecks}, which states the tolerance). Skipped, with the reason, on any GPU that is not compute capability 9.0: the module is sm_90a code.
 *
 * <p>The smoke tests run first: one 128 × 256 tile, one k step, then one 128 × 128 tile, so a protocol bug (the kernel traps on a barrier
 * wait past 2 s rather than hang) shows on the cheapest launch. Then the tile edges: 1, 127, 129, 200, 2100 (17 row
 * tiles: a last tile group of one) and 4096 rows; outputs 256 (one column tile), 288 and 544 (a partial last column
 * tile); in from one k step (64) through 4 (the stage count), 10 (the stages reused with both barrier parities) to
 * 64 steps (in = 4096, a Llama size).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WgmmaMatmulTest {
    private final RandomInputs random = new RandomInputs();

    @RegisterExtension
    final GpuDevice gpu = new GpuDevice();

    @BeforeEach
    void onlyOnSm90() {
        int cc = gpu.device().computeCapability();
        assumeTrue(cc == 90, () -> "WGMMA test skipped: matmul_wgmma.cu is sm_90a code, and " + gpu.device() + " has compute capability "
                + cc / 10 + "." + cc % 10);
    }

    @Test
    @Order(1)
    void smokeOneTileOneKStep() {
        int rows = 128, in = 64, out = 256;
        WeightMatrix w = random.matrix(DType.BF16, out, in, 0.5);
        float[] x = random.floats(rows * in, 1);
        for (Variant v : variants()) describeErrors(w, x, rows, v);
        check(Matmul.Path.WGMMA, DType.BF16, rows, in, out, false);
    }

    @Test
    @Order(2)
    void smokeOneNarrowTile() {
        check(Matmul.Path.WGMMA_NARROW, DType.BF16, 128, 64, 128, false);
    }

    /** A WGMMA kernel variant: how its stages are loaded, how its tiles meet CTAs. */
    record Variant(Matmul.WgmmaLoads loads, Matmul.WgmmaGrid grid) {
        Matmul matmul(GpuDevice gpu) {
            return new Matmul(gpu.device(), Matmul.Precision.TENSOR_CORES, loads, grid);
        }

        @Override
        public String toString() {
            return loads + "/" + grid;
        }
    }

    /** Every variant this device can run: TMA ones where tensor maps can be encoded (printed when not). */
    static List<Variant> variants() {
        List<Variant> all = new java.util.ArrayList<>();
        for (Matmul.WgmmaLoads loads : Matmul.WgmmaLoads.values()) {
            if (loads == Matmul.WgmmaLoads.TMA && TensorMaps.unavailableReason().isPresent()) {
                System.out.println("WGMMA with TMA loads not tested: " + TensorMaps.unavailableReason().get());
                continue;
            }
            for (Matmul.WgmmaGrid grid : Matmul.WgmmaGrid.values()) all.add(new Variant(loads, grid));
        }
        return all;
    }

    /**
     * The variant checked against the CPU reference: the default one. The others equal it bit for bit
     * ({@link #everyVariantGivesTheSameBits}), so they match the reference as closely.
     */
    private List<Variant> referenceChecked() {
        try (Matmul chosen = new Matmul(gpu.device(), Matmul.Precision.TENSOR_CORES)) {
            return List.of(new Variant(chosen.wgmmaLoads(), chosen.wgmmaGrid()));
        }
    }

    @Test
    @Order(3)
    void tmaRunsWhereTensorMapsCanBeEncoded() {
        assumeTrue(TensorMaps.unavailableReason().isEmpty(), () -> "TMA loads skipped: " + TensorMaps.unavailableReason().get());
        try (Matmul matmul = new Matmul(gpu.device(), Matmul.Precision.TENSOR_CORES)) {
            assertEquals(Matmul.WgmmaLoads.TMA, matmul.wgmmaLoads(), "the default where tensor maps can be encoded");
        }
    }

    /**
     * Every variant feeds the same wgmmas in the same order: bit-identical outputs, on tile edges where TMA's bounds (not
     * the kernel) zero the rows and columns past the ends, with a split k, and on products of more tiles than
     * multiprocessors, where a persistent CTA takes several tiles in turn (2100 × 2304: 153 wide tiles, 306 narrow;
     * 520 × 8448: 165 and 330), from one k tile (every stage reused across tiles) up, on every tile width.
     */
    @Test
    @Order(3)
    void everyVariantGivesTheSameBits() {
        List<Variant> variants = variants();
        int[][] shapes = {{1, 64, 256}, {129, 640, 288}, {200, 4096, 544}, {2100, 128, 512}, {2100, 640, 2304}, {520, 64, 8448}};
        for (int[] shape : shapes) {
            int rows = shape[0], in = shape[1], out = shape[2];
            WeightMatrix w = random.matrix(DType.BF16, out, in, 0.5);
            float[] x = random.floats(rows * in, 1), bias = random.floats(out, 1);
            for (Matmul.Path path : new Matmul.Path[]{Matmul.Path.WGMMA, Matmul.Path.WGMMA_MEDIUM, Matmul.Path.WGMMA_NARROW}) {
                for (int perSplit : in >= 256 ? new int[]{in / 64, 3} : new int[]{in / 64}) {
                    float[][] results = new float[variants.size()][];
                    for (int v = 0; v < variants.size(); v++) {
                        try (Matmul matmul = variants.get(v).matmul(gpu); DeviceMatrix dw = DeviceMatrix.upload(gpu.device(), w);
                             DeviceBuffer dx = gpu.device().upload(x); DeviceBuffer db = gpu.device().upload(bias);
                             DeviceBuffer y = gpu.device().upload(nans(rows * out))) {
                            matmul.launchWgmma(dw, dx.from(0), rows, db, Matmul.Outputs.of(y.from(0), out), path, perSplit);
                            results[v] = y.readFloats();
                        }
                    }
                    String label = rows + "×" + in + "→" + out + " " + path + ", k tiles per split " + perSplit;
                    for (int v = 0; v < variants.size(); v++) {
                        for (int i = 0; i < results[0].length; i++) {
                            String variant = variants.get(v).toString();
                            float a = results[v][i], first = results[0][i];
                            int at = i;
                            assertFalse(Float.isNaN(a), () -> label + ": " + variant + " left output " + at + " unwritten");
                            if (Float.floatToRawIntBits(a) != Float.floatToRawIntBits(first)) {
                                fail(label + ": output " + i + " is " + a + " with " + variant + ", " + first + " with " + variants.get(0));
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * For a first run: prints how the one-tile product is wrong, if it is, before the check fails on the first bad
     * output. Errors counted by row % 64 / 16 (the consumer warp), row % 8, column % 8 and column / 64 tell a wrong
     * fragment mapping, swizzle or descriptor stride apart; NaNs are outputs never written.
     */
    private void describeErrors(WeightMatrix w, float[] x, int rows, Variant variant) {
        int out = w.rows();
        float[] expected = Matmul.tensorCoreReference(w, x, rows, null), actual;
        try (Matmul matmul = variant.matmul(gpu); DeviceMatrix dw = DeviceMatrix.upload(gpu.device(), w);
             DeviceBuffer dx = gpu.device().upload(x); DeviceBuffer y = gpu.device().upload(nans(rows * out))) {
            matmul.launch(dw, dx.from(0), rows, null, Matmul.Outputs.of(y.from(0), out), Matmul.Path.WGMMA);
            actual = y.readFloats();
        }
        int nan = 0, wrong = 0;
        int[] byWarp = new int[4], byRow8 = new int[8], byColumn8 = new int[8], byColumn64 = new int[out / 64];
        for (int r = 0; r < rows; r++) {
            for (int o = 0; o < out; o++) {
                float e = expected[r * out + o], a = actual[r * out + o];
                if (Float.isNaN(a)) nan++;
                if (!(Math.abs(e - a) <= 1e-3 * (1 + Math.abs(e)))) {
                    wrong++;
                    byWarp[r % 64 / 16]++;
                    byRow8[r % 8]++;
                    byColumn8[o % 8]++;
                    byColumn64[o / 64]++;
                }
            }
        }
        System.out.println("WGMMA smoke (" + variant + "): " + wrong + " of " + rows * out + " outputs off (" + nan + " NaN); by warp " + Arrays.toString(byWarp)
                + ", row % 8 " + Arrays.toString(byRow8) + ", column % 8 " + Arrays.toString(byColumn8) + ", column / 64 "
                + Arrays.toString(byColumn64) + "; y[0][0..3] = " + Arrays.toString(Arrays.copyOf(actual, 4)) + ", reference "
                + Arrays.toString(Arrays.copyOf(expected, 4)));
    }

    private static float[] nans(int n) {
        float[] a = new float[n];
        Arrays.fill(a, Float.NaN);
        return a;
    }

    @ParameterizedTest
    @Order(4)
    @EnumSource(value = DType.class, names = {"BF16", "F16"})
    void matchesTheReferenceAtTileEdges(DType dtype) {
        int[][] shapes = {{1, 128, 256}, {127, 64, 288}, {129, 256, 288}, {200, 640, 544}, {300, 4096, 256}, {2100, 64, 512},
                {4096, 128, 320}, {2100, 256, 2304}};
        for (Matmul.Path path : new Matmul.Path[]{Matmul.Path.WGMMA, Matmul.Path.WGMMA_MEDIUM, Matmul.Path.WGMMA_NARROW}) {
            for (int i = 0; i < shapes.length; i++) check(path, dtype, shapes[i][0], shapes[i][1], shapes[i][2], i % 2 == 1);
        }
    }

    /**
     * Split k (matmul_wgmma.cu's gridDim.y, summed by skinny_reduce): forced split lengths of 1 k tile (every k tile its own
     * split), 3 (a shorter last split) and the rule's, on both tile widths, with a bias (added once, by the reduce) and
     * three segments; a second launch must repeat the first bit for bit (no atomics), and accumulated the outputs take the
     * reduced sum plus what they held (the partials never accumulate). 198 × 4096 → 512 is the shape of
     * the 8B's o at the long-context benchmark's batch, cut to 512 columns.
     */
    @ParameterizedTest
    @Order(5)
    @EnumSource(value = DType.class, names = {"BF16", "F16"})
    void splitKMatchesTheReference(DType dtype) {
        int[][] shapes = {{40, 1024, 512}, {198, 4096, 512}, {129, 640, 288}};
        for (int[] shape : shapes) {
            int rows = shape[0], in = shape[1], out = shape[2];
            WeightMatrix w = random.matrix(dtype, out, in, 0.5);
            float[] x = random.floats(rows * in, 1), bias = random.floats(out, 1);
            for (Matmul.Path path : new Matmul.Path[]{Matmul.Path.WGMMA, Matmul.Path.WGMMA_MEDIUM, Matmul.Path.WGMMA_NARROW}) {
                int rule = Matmul.wgmmaKTilesPerSplit(rows, in, out, path.wgmmaTileWidth(), gpu.device().multiprocessorCount());
                for (int perSplit : new int[]{1, 3, rule}) {
                    for (Variant variant : referenceChecked()) {
                        try (Matmul matmul = variant.matmul(gpu)) {
                            new TensorCoreChecks(gpu.device(), random).check((dw, dx, r, db, y) -> matmul.launchWgmma(dw, dx, r, db, y, path, perSplit),
                                    w, x, rows, bias, dtype + " " + path + " " + variant + " " + rows + "×" + in + "→" + out
                                            + " +bias, k tiles per split " + perSplit);
                        }
                    }
                }
            }
        }
    }

    @Test
    @Order(6)
    void isChosenWhereItFitsAndRefusedElsewhere() {
        try (Matmul matmul = new Matmul(gpu.device(), Matmul.Precision.TENSOR_CORES);
             DeviceMatrix fits = DeviceMatrix.upload(gpu.device(), random.matrix(DType.BF16, 256, 128, 0.5));
             DeviceMatrix oddK = DeviceMatrix.upload(gpu.device(), random.matrix(DType.BF16, 256, 136, 0.5));
             DeviceBuffer x = gpu.device().allocate(4L * 512 * 136); DeviceBuffer y = gpu.device().allocate(4L * 512 * 256)) {
            assertEquals(Matmul.fastestWgmma(512, 256, gpu.device().multiprocessorCount()), matmul.path(fits, x.from(0), 512));
            assertEquals(Matmul.Path.SKINNY, matmul.path(fits, x.from(0), Matmul.SKINNY_MAX_ROWS));
            assertEquals(Matmul.Path.GEMM, matmul.path(oddK, x.from(0), 512));
            for (Matmul.Path path : new Matmul.Path[]{Matmul.Path.WGMMA, Matmul.Path.WGMMA_MEDIUM, Matmul.Path.WGMMA_NARROW}) {
                assertThrows(IllegalArgumentException.class, () -> matmul.launch(oddK, x.from(0), 512, null, Matmul.Outputs.of(y.from(0), 256), path));
            }
        }
    }

    private void check(Matmul.Path path, DType dtype, int rows, int in, int out, boolean withBias) {
        WeightMatrix w = random.matrix(dtype, out, in, 0.5);
        float[] x = random.floats(rows * in, 1);
        float[] bias = withBias ? random.floats(out, 1) : null;
        for (Variant variant : referenceChecked()) {
            try (Matmul matmul = variant.matmul(gpu)) {
                new TensorCoreChecks(gpu.device(), random).check(matmul, path, w, x, rows, bias,
                        dtype + " " + path + " " + variant + " " + rows + "×" + in + "→" + out + (withBias ? " +bias" : ""));
            }
        }
    }
}
