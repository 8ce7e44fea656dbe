package io.vecinfer.cuda.ops;

import io.vecinfer.cuda.CudaDevice;
import io.vecinfer.cuda.DeviceBuffer;
import io.vecinfer.cuda.KernelParams;
import io.vecinfer.cuda.TensorMap;
import io.vecinfer.cuda.TensorMaps;
import io.vecinfer.safetensors.DType;
import io.vecinfer.tensor.Half;
import io.vecinfer.tensor.WeightMatrix;

import java.util.List;

/**
 * The projections y[rows][out] = x · Wᵀ (+ bias), weights in their stored type, fp32 sums, fp32 y, in one of two
 * {@link Precision}s. x is an {@link Activation}: fp32, or already in the weights' 16-bit type where the path reads
 * that ({@link #inputType}: the kernel before writes it so, and no conversion pass is made). Each launch picks one of
 * four kernels:
 * <ul>
 *   <li>{@link Path#CUDA_CORES} (matmul.cu): the CPU decoder's arithmetic, for {@link Precision#EXACT}, fp32
 *       weights, and rows of a length the 16-byte tensor-core loads cannot take (in % 8 != 0);</li>
 *   <li>{@link Path#SKINNY} (matmul_tc.cu): up to {@link #SKINNY_MAX_ROWS} rows, as in decode, where the time is
 *       that of reading W once, so the kernel is built to stream it; narrow products also split k across CTAs
 *       ({@link #skinnyChunksPerSplit}), summed by a second, deterministic pass;</li>
 *   <li>{@link Path#GEMM} (matmul_tc.cu): more rows, as in prefill, where the time is the MMA rate; x is rounded to
 *       the weights' type once into a scratch buffer first;</li>
 *   <li>{@link Path#WGMMA} (matmul_wgmma.cu, sm_90a): GEMM's work on Hopper's warpgroup tensor cores, chosen instead of
 *       it on compute capability 9.0 (H100/H200: the only devices that may load that module) from
 *       {@link #WGMMA_MIN_ROWS} rows, when in % 64 == 0 and every output segment ends at a multiple of 8 columns in an
 *       8-byte-aligned buffer (the kernel's k step and paired stores); GEMM takes every other shape.
 *       {@link Path#WGMMA_MEDIUM} and {@link Path#WGMMA_NARROW} are the same kernel with 192- and 128- instead of
 *       256-column tiles, for products whose wide tiles would leave multiprocessors idle ({@link #fastestWgmma});
 *       products whose tiles still leave most of
 *       them idle also split k ({@link #wgmmaKTilesPerSplit}), summed by skinny_reduce's deterministic pass. Its
 *       stages are filled by TMA ({@link WgmmaLoads#TMA}) where tensor maps can be encoded ({@link TensorMaps}), else
 *       by cp.async; both compute the same sums in the same order.</li>
 * </ul>
 * Output columns can be split into segments ({@link Outputs}), so a stacked q|k|v or gate|up weight is one launch; and
 * outputs can take the product added to what they hold ({@link Store#ACCUMULATE}: y = y + x · Wᵀ (+ bias)), so the
 * decoder's residual adds happen in the o and down projections' epilogues. Every path honours both.
 * One launch at a time per instance (the scratch buffer is shared).
 */
public final class Matmul implements AutoCloseable {
    /** How the activations meet the weights. */
    public enum Precision {
        /** fp32 activations times exactly widened weights on CUDA cores: the CPU decoder's numbers, up to summation order. */
        EXACT,
        /** Activations rounded to the weights' 16-bit type (bf16 or fp16), exact products, fp32 sums, on tensor cores. */
        TENSOR_CORES
    }

    /** Which kernel a launch runs; see the class comment. */
    public enum Path {
        CUDA_CORES, SKINNY, GEMM, WGMMA, WGMMA_MEDIUM, WGMMA_NARROW;

        /** Columns of a matmul_wgmma.cu tile on the WGMMA paths (256, 192, 128); 0 on the others. */
        public int wgmmaTileWidth() {
            return switch (this) {
                case WGMMA -> 256;
                case WGMMA_MEDIUM -> 192;
                case WGMMA_NARROW -> 128;
                default -> 0;
            };
        }

        public boolean wgmma() {
            return wgmmaTileWidth() > 0;
        }
    }

    /**
     * How matmul_wgmma.cu's producer fills the shared-memory stages: 16-byte cp.async copies by a warpgroup, or one thread's
     * TMA box copies (wgmma_tma_gemm_*), which need tensor maps ({@link TensorMaps}). The same arithmetic either way: the
     * outputs are bit for bit equal. (CTA pairs sharing their W tile by TMA multicast were measured in session 14 and
     * did not pay: decoder-speed-notes.md.)
     */
    public enum WgmmaLoads { CP_ASYNC, TMA }

    /**
     * How matmul_wgmma.cu's tiles meet CTAs: one CTA per output tile, or a persistent grid of one CTA per multiprocessor
     * taking tiles in turn, whose producer fills the next tile's stages while its consumers store the last one (and which
     * pays the CTA's start, barrier setup and pipeline fill once). The same sums either way; split-k products (fewer tiles
     * than multiprocessors) run one CTA per tile in both.
     */
    public enum WgmmaGrid { CTA_PER_TILE, PERSISTENT }

    static final int SKINNY_MAX_ROWS = 32;
    private static final int WARPS = 8, ROW_TILE = 8;                 // as in matmul.cu
    private static final int SKINNY_ROWS_PER_CTA = 32, SKINNY_THREADS = 256; // as in matmul_tc.cu (2 tiles of 16)
    /** As in matmul_tc.cu: k per chunk, and the chunks of one stage of the skinny kernel's ring (one per warp). */
    static final int SKINNY_CHUNK = 32, SKINNY_STAGE_CHUNKS = 8;
    /**
     * Shared memory per multiprocessor on Hopper (H100/H200), the 1 KB the driver reserves per CTA, and the thread
     * limit: what the split rule counts resident CTAs with. On an A100 (164 KB) it over-counts, which only splits more.
     */
    private static final int SHARED_PER_SM = 228 * 1024, SHARED_RESERVED_PER_CTA = 1024, MAX_CTAS_PER_SM = 2048 / SKINNY_THREADS;
    /** The fewest stages (of 256 k) a split of the skinny kernel takes, so that its ring still overlaps copies and MMAs. */
    static final int SKINNY_MIN_SPLIT_STAGES = 2;

    /** B tiles (8 activation rows each) of the skinny instantiation that takes {@code rows} rows: 1, 2 or 4. */
    static int skinnyTiles(int rows) {
        return rows <= 8 ? 1 : rows <= 16 ? 2 : 4;
    }

    /**
     * Dynamic shared memory of the skinny kernel with {@code tiles} B tiles, as skinny_shared_bytes in matmul_tc.cu: its
     * stages (3 for 2 tiles, else 2) of 32 weight rows × 256 k (16 KB) and 8·tiles activation rows × 256 fp32 (8 KB a tile).
     */
    static int skinnySharedBytes(int tiles) {
        int stages = tiles == 2 ? 3 : 2;
        return stages * (16 * 1024 + tiles * 8 * 1024);
    }

    /** CTAs of the skinny kernel resident on one multiprocessor at once (their shared memory bounds it): 4, 2 or 2. */
    static int skinnyCtasPerSm(int tiles) {
        return Math.min(MAX_CTAS_PER_SM, SHARED_PER_SM / (skinnySharedBytes(tiles) + SHARED_RESERVED_PER_CTA));
    }
    /**
     * Floats of the split sums' scratch (4 MB): allocated once at that size, never regrown, so that a recorded decode
     * step's baked-in address stays valid. Holds 32 rows × 4 splits × 8192 columns.
     */
    static final long SPLIT_SCRATCH_FLOATS = 1L << 20;
    private static final int BM = 128, BN = 128, BK = 32, STAGES = 4, GEMM_THREADS = 256;
    private static final int GEMM_SHARED_BYTES = STAGES * (BM + BN) * BK * Short.BYTES;
    // As in matmul_wgmma.cu: 128-row tiles, k steps of 64, 3 warpgroups; 256 columns and 4 stages (WGMMA), 192 and 5
    // (WGMMA_MEDIUM) or 128 and 6 (WGMMA_NARROW); shared memory for the stages, 1024 bytes to align them, and 2 mbarriers
    // per stage.
    private static final int WGMMA_BM = 128, WGMMA_BK = 64, WGMMA_THREADS = 384;
    /**
     * A narrow tile's time as a fraction of a wide one's, both on a full device: 0.5 of the work plus the per-tile
     * costs. Measured on the H200 with TMA loads at 4096 rows, where both tile widths fill every multiprocessor many times
     * over (projections-tma-h200.json, a CTA per tile): 0.526 on o (8 narrow waves against 4 wide), 0.516 on gate|up (55
     * against 28). It decides between the two in {@link #path}.
     */
    static final double NARROW_TILE_COST = 0.52;
    /**
     * The same for a 192-column tile: 0.75 of the work, and (by the count of L2 bytes a stage reads per FLOP, 40 KB for
     * 3.1 MFLOP against a wide tile's 48 for 4.2) a little less efficient. An estimate until measured.
     */
    static final double MEDIUM_TILE_COST = 0.78;
    /**
     * Fewest rows for which WGMMA replaces GEMM where it can. The rule to be set from MatmulBenchmark's GEMM and WGMMA
     * rows on an H200 (--paths GEMM,WGMMA --rows 64,128,256,512,...): the smallest row count from which WGMMA is the
     * faster on every 8B shape. Until measured: every row count that is not SKINNY's.
     */
    static final int WGMMA_MIN_ROWS = SKINNY_MAX_ROWS + 1;
    /** -Dvecinfer.matmul.wgmma=false keeps Matmul from choosing WGMMA by itself (GEMM instead); naming it still runs it. */
    private static final boolean WGMMA_CHOSEN = !"false".equalsIgnoreCase(System.getProperty("vecinfer.matmul.wgmma"));

    /**
     * What a launch does with each output's value v, the product's whole fp32 sum (bias included) in its kernel's own
     * order: the same v either way.
     */
    public enum Store {
        /** y = v. */
        OVERWRITE,
        /**
         * y = y + v, one fp32 add once v is complete (never y as the sum's start, which would round differently): bit for
         * bit an OVERWRITE launch into scratch followed by {@link Elementwise#add}. Split-K paths add it after their reduce.
         */
        ACCUMULATE;

        /** This store's arithmetic on the host: the outputs after a launch whose products are {@code v}, {@code y} held before. */
        public float[] apply(float[] y, float[] v) {
            if (this == OVERWRITE) return v.clone();
            if (y.length != v.length) throw new IllegalArgumentException(y.length + " outputs, " + v.length + " products");
            float[] out = new float[v.length];
            for (int i = 0; i < v.length; i++) out[i] = y[i] + v[i];
            return out;
        }
    }

    /**
     * Where the output columns go: segment s takes columns [ends[s-1], ends[s]) (ends[-1] = 0) into its own
     * row-major buffer of width ends[s] - ends[s-1]. At most three segments (projection.cuh). {@code store}: whether
     * the product overwrites the buffers or is added to them.
     */
    public record Outputs(List<DeviceBuffer.Slice> buffers, int[] ends, Store store) {
        public Outputs {
            if (buffers.isEmpty() || buffers.size() > 3 || buffers.size() != ends.length) {
                throw new IllegalArgumentException("1 to 3 output segments, each with its end column");
            }
            for (int s = 0; s < ends.length; s++) {
                if (ends[s] <= (s == 0 ? 0 : ends[s - 1])) throw new IllegalArgumentException("segment ends must increase: " + java.util.Arrays.toString(ends));
            }
            java.util.Objects.requireNonNull(store, "store");
        }

        public Outputs(List<DeviceBuffer.Slice> buffers, int[] ends) {
            this(buffers, ends, Store.OVERWRITE);
        }

        public static Outputs of(DeviceBuffer.Slice y, int out) {
            return new Outputs(List.of(y), new int[]{out});
        }

        /** One buffer that the product is added to: y = y + x · Wᵀ (+ bias), e.g. the residual stream. */
        public static Outputs accumulate(DeviceBuffer.Slice y, int out) {
            return of(y, out).with(Store.ACCUMULATE);
        }

        /** Consecutive segments of the given widths, e.g. q | k | v. */
        public static Outputs split(List<DeviceBuffer.Slice> buffers, int... widths) {
            int[] ends = new int[widths.length];
            for (int s = 0, end = 0; s < widths.length; s++) ends[s] = end += widths[s];
            return new Outputs(buffers, ends);
        }

        /** The same segments with the product stored as {@code store}. */
        public Outputs with(Store store) {
            return new Outputs(buffers, ends, store);
        }

        int columns() {
            return ends[ends.length - 1];
        }
    }

    /** -Dvecinfer.matmul.tma=false keeps the WGMMA paths on cp.async loads where TMA is available (comparisons). */
    private static final boolean TMA_CHOSEN = !"false".equalsIgnoreCase(System.getProperty("vecinfer.matmul.tma"));
    /**
     * -Dvecinfer.matmul.persistent=true gives the WGMMA paths a persistent grid by default. Off: on the H200 it did not pay
     * (MatmulBenchmark, projections-tma-h200.json: within the run-to-run spread at 512-2048 rows, 6-8% slower on the
     * largest products, gate|up and lm_head at 4096 rows).
     */
    private static final boolean PERSISTENT_CHOSEN = "true".equalsIgnoreCase(System.getProperty("vecinfer.matmul.persistent"));

    private final CudaDevice device;
    private final Precision precision;
    private final WgmmaLoads wgmmaLoads;
    private final WgmmaGrid wgmmaGrid;
    /** SwiGLU's pass over an fp32 gate|up product, where it is not in the projection's epilogue ({@link #swiGlu}). */
    private final Elementwise elementwise;
    private DeviceBuffer halfScratch, splitScratch, wgmmaScratch;

    /**
     * Loads by TMA where tensor maps can be encoded (and -Dvecinfer.matmul.tma is not false), else by cp.async; a CTA per
     * tile unless -Dvecinfer.matmul.persistent=true.
     */
    public Matmul(CudaDevice device, Precision precision) {
        this(device, precision, TMA_CHOSEN && TensorMaps.unavailableReason().isEmpty() ? WgmmaLoads.TMA : WgmmaLoads.CP_ASYNC,
                PERSISTENT_CHOSEN ? WgmmaGrid.PERSISTENT : WgmmaGrid.CTA_PER_TILE);
    }

    /** @throws IllegalStateException for TMA where tensor maps cannot be encoded, with the reason */
    public Matmul(CudaDevice device, Precision precision, WgmmaLoads wgmmaLoads, WgmmaGrid wgmmaGrid) {
        if (wgmmaLoads == WgmmaLoads.TMA) {
            TensorMaps.unavailableReason().ifPresent(reason -> {
                throw new IllegalStateException("WGMMA with TMA loads: " + reason);
            });
        }
        this.device = device;
        this.precision = precision;
        this.wgmmaLoads = wgmmaLoads;
        this.wgmmaGrid = wgmmaGrid;
        this.elementwise = new Elementwise(device);
    }

    public Precision precision() {
        return precision;
    }

    public WgmmaLoads wgmmaLoads() {
        return wgmmaLoads;
    }

    public WgmmaGrid wgmmaGrid() {
        return wgmmaGrid;
    }

    /** y = x · wᵀ + bias over {@code rows} rows of fp32 x into one buffer; bias may be null. */
    public void launch(DeviceMatrix w, DeviceBuffer.Slice x, int rows, DeviceBuffer bias, DeviceBuffer.Slice y) {
        launch(w, Activation.f32(x), rows, bias, Outputs.of(y, w.rows()));
    }

    /** As {@link #launch(DeviceMatrix, Activation, int, DeviceBuffer, Outputs)} of fp32 x. */
    public void launch(DeviceMatrix w, DeviceBuffer.Slice x, int rows, DeviceBuffer bias, Outputs y) {
        launch(w, Activation.f32(x), rows, bias, y);
    }

    /**
     * y = x · wᵀ + bias over {@code rows} rows, columns into the segments of {@code y}, which may accumulate
     * ({@link Store}). x holds rows × w.cols() values of its type, which the path chosen must take ({@link #inputType}).
     */
    public void launch(DeviceMatrix w, Activation x, int rows, DeviceBuffer bias, Outputs y) {
        launch(w, x, rows, bias, y, path(w, x.data(), rows, y));
    }

    /** As {@link #launch(DeviceMatrix, Activation, int, DeviceBuffer, Outputs, Path)} of fp32 x. */
    public void launch(DeviceMatrix w, DeviceBuffer.Slice x, int rows, DeviceBuffer bias, Outputs y, Path path) {
        launch(w, Activation.f32(x), rows, bias, y, path);
    }

    /**
     * As {@link #launch(DeviceMatrix, Activation, int, DeviceBuffer, Outputs)} on a path chosen by the caller
     * (tests, benchmarks), which must be able to take the product ({@link #canRun}) and the input's type.
     */
    public void launch(DeviceMatrix w, Activation x, int rows, DeviceBuffer bias, Outputs y, Path path) {
        launch(w, x, rows, bias, y, path, kTilesPerSplit(path, w, rows), null);
    }

    /**
     * The launch on {@code path}; a WGMMA path's k split into ranges of {@code kTilesPerSplit}; with {@code swiGlu} (an
     * interleaved gate|up weight on a WGMMA path, one split) SwiGLU's 16-bit h goes there instead of y.
     */
    private void launch(DeviceMatrix w, Activation x, int rows, DeviceBuffer bias, Outputs y, Path path, int kTilesPerSplit, DeviceBuffer.Slice swiGlu) {
        check(w, x, rows, y, path);
        if (rows <= 0) return;
        switch (path) {
            case CUDA_CORES -> device.module("matmul").kernel("matmul_" + w.suffix())
                    .launch(ceilDiv(w.rows(), WARPS), ceilDiv(rows, ROW_TILE), 1, WARPS * 32, 0, params(w, x.data(), rows, bias, y, null));
            case SKINNY -> launchSkinny(w, x.data(), rows, bias, y, skinnyChunksPerSplit(rows, w.cols(), w.rows(), device.multiprocessorCount()));
            case GEMM, WGMMA, WGMMA_MEDIUM, WGMMA_NARROW -> {
                DeviceBuffer.Slice x16 = sixteenBit(w, x, rows);
                KernelParams p = params(w, x16, rows, bias, y, swiGlu);
                if (path == Path.GEMM) {
                    device.module("matmul_tc").kernel("gemm_" + w.suffix()).launch(ceilDiv(w.rows(), BN), ceilDiv(rows, BM), 1, GEMM_THREADS,
                            GEMM_SHARED_BYTES, p);
                } else {
                    launchWgmma(w, x16, p, rows, path, kTilesPerSplit, swiGlu != null);
                }
            }
        }
    }

    /** The k tiles per split {@link #launch} gives a product on a WGMMA path ({@link #wgmmaKTilesPerSplit}); 0 on the others, which do not read it. */
    private int kTilesPerSplit(Path path, DeviceMatrix w, int rows) {
        if (!path.wgmma()) return 0;
        return wgmmaKTilesPerSplit(rows, w.cols(), w.rows(), path.wgmmaTileWidth(), device.multiprocessorCount());
    }

    /** What every launch checks first: the outputs cover the weight's rows, the path can take the product and x's type. */
    private void check(DeviceMatrix w, Activation x, int rows, Outputs y, Path path) {
        if (y.columns() != w.rows()) {
            throw new IllegalArgumentException("output segments cover " + y.columns() + " columns, the weight has " + w.rows() + " rows");
        }
        if (!canRun(path, w, x.data(), rows, y)) {
            throw new IllegalArgumentException(path + " cannot compute " + rows + " rows of a " + w.dtype() + " " + w.rows() + "×" + w.cols()
                    + " weight into segments ending at " + java.util.Arrays.toString(y.ends()) + " on " + device);
        }
        if (!accepts(path, w.dtype(), x.type())) {
            throw new IllegalArgumentException(path + " with " + w.dtype() + " weights reads " + inputType(path, w.dtype())
                    + " activations (or converts fp32 ones), not " + x.type() + ": write the type Matmul.inputType names");
        }
    }

    /**
     * The activation type {@code path} reads as it is with weights of type {@code weights}: fp32 on
     * {@link Path#CUDA_CORES} and {@link Path#SKINNY} (which round x to the weights' type in registers, if at all), the
     * weights' 16-bit type on {@link Path#GEMM} and the WGMMA paths. The kernel that produces a projection's input writes
     * this type (rmsnorm's and SwiGLU's 16-bit outputs), so that no conversion pass runs between them.
     */
    public static DType inputType(Path path, DType weights) {
        return switch (path) {
            case CUDA_CORES, SKINNY -> DType.F32;
            case GEMM, WGMMA, WGMMA_MEDIUM, WGMMA_NARROW -> weights;
        };
    }

    /** The type a launch of {@code rows} rows of w, from x at an aligned offset, reads as it is ({@link #path}, then {@link #inputType(Path, DType)}). */
    public DType inputType(DeviceMatrix w, int rows) {
        return inputType(path(w, new DeviceBuffer.Slice(null, 0), rows), w.dtype());
    }

    /**
     * Whether {@code path} takes x of type {@code input}: its own {@link #inputType}, or fp32, which the 16-bit paths
     * round into scratch first (to_bf16 / to_f16, as before there were typed inputs). A 16-bit x for a path that reads
     * fp32, or of the other 16-bit type, is refused rather than converted: widened back it would hand the exact path (or
     * the skinny kernel's own rounding) activations that were rounded already, silently.
     */
    static boolean accepts(Path path, DType weights, DType input) {
        return input == DType.F32 || input == inputType(path, weights);
    }

    /**
     * SwiGLU's h = SiLU(x · gateᵀ) ⊙ (x · upᵀ) over {@code rows} rows, from a gate|up weight interleaved by {@link GateUp}
     * (w.rows() = 2·hidden), into h ([rows][hidden], fp32 or 16-bit: the type the down projection reads,
     * {@link #inputType}). The product runs on the path {@link #path} chooses for it written to {@code product}
     * (rows × 2·hidden fp32, 8-byte aligned). On a WGMMA path with one k split, h of the weights' own 16-bit type and
     * whole blocks of 8 units ({@link #swiGluFuses}), matmul_wgmma.cu's *_swiglu kernel computes h from its accumulators
     * and stores it in 16 bits: no fp32 product (product is left as it was) and no pass over one. Elsewhere the fp32
     * product is written to {@code product} and elementwise.cu's silu_mul_interleaved computes h from it (one pass, as
     * silu_mul was). Both give the same bits: the same sums, the same silu_mul_value, the same rounding. h must not
     * overlap product.
     */
    public void swiGlu(DeviceMatrix w, Activation x, int rows, DeviceBuffer.Slice product, Activation h) {
        swiGlu(w, x, rows, product, h, path(w, x.data(), rows, Outputs.of(product, w.rows())));
    }

    /** As {@link #swiGlu(DeviceMatrix, Activation, int, DeviceBuffer.Slice, Activation)} with the product on {@code path}. */
    public void swiGlu(DeviceMatrix w, Activation x, int rows, DeviceBuffer.Slice product, Activation h, Path path) {
        swiGlu(w, x, rows, product, h, path, kTilesPerSplit(path, w, rows));
    }

    /** As {@link #swiGlu(DeviceMatrix, Activation, int, DeviceBuffer.Slice, Activation, Path)}, a WGMMA path's k split forced (tests). */
    void swiGlu(DeviceMatrix w, Activation x, int rows, DeviceBuffer.Slice product, Activation h, Path path, int kTilesPerSplit) {
        if (w.rows() % 2 != 0) throw new IllegalArgumentException("a gate|up weight has 2 · hidden rows, not " + w.rows());
        int hidden = w.rows() / 2;
        if (Activation.overlap(product, (long) rows * w.rows() * Float.BYTES, h.data(), h.bytes((long) rows * hidden))) {
            throw new IllegalArgumentException("SwiGLU's h overlaps the gate|up product it is computed from");
        }
        boolean fused = path.wgmma() && swiGluFuses(w.dtype(), w.cols() / WGMMA_BK, kTilesPerSplit, hidden, h);
        launch(w, x, rows, null, Outputs.of(product, w.rows()), path, kTilesPerSplit, fused ? h.data() : null);
        if (!fused) elementwise.siluMulInterleaved(product, rows, hidden, h);
    }

    /**
     * Whether {@link #swiGlu} on a WGMMA path applies SwiGLU in the epilogue: one k split (h needs each whole sum, which
     * split-k products only have after skinny_reduce), h in the weights' type (the kernel rounds to that), 4-byte aligned
     * (pairs of units are stored as one word), and a hidden size of whole blocks of {@link GateUp#BLOCK} (a thread's
     * column groups 2i and 2i + 1 are then a block's gates and ups).
     */
    static boolean swiGluFuses(DType weights, int kTiles, int kTilesPerSplit, int hidden, Activation h) {
        return kTilesPerSplit >= kTiles && h.type() == weights && h.data().byteOffset() % 4 == 0 && hidden % GateUp.BLOCK == 0;
    }

    /**
     * The arithmetic of {@link #swiGlu} on tensor cores: {@link #tensorCoreReference} of the interleaved weight,
     * {@link Elementwise#siluMulInterleavedReference} of that product, rounded to h's type ({@link #roundToWeightType}).
     */
    public static float[] swiGluTensorCoreReference(WeightMatrix gateUp, float[] x, int rows, DType h) {
        float[] product = tensorCoreReference(gateUp, x, rows, null);
        float[] activated = Elementwise.siluMulInterleavedReference(product, rows, gateUp.rows() / 2);
        return h == DType.F32 ? activated : roundToWeightType(h, activated);
    }

    /**
     * matmul_wgmma.cu over {@code p} (x already converted into {@code x16}, which p names), its k tiles (of 64) split into
     * ranges of {@code kTilesPerSplit} (all of them: no split), the splits' sums then added in order by skinny_reduce; or,
     * {@code swiGlu}, the *_swiglu kernel, which p's swiglu output takes (one split only).
     * Package-private so that tests can force splits; {@link #launch} takes {@link #wgmmaKTilesPerSplit}.
     */
    void launchWgmma(DeviceMatrix w, DeviceBuffer.Slice x16, KernelParams p, int rows, Path path, int kTilesPerSplit, boolean swiGlu) {
        int bn = path.wgmmaTileWidth(), stages = bn == 256 ? 4 : bn == 192 ? 5 : 6, kTiles = w.cols() / WGMMA_BK;
        if (bn == 0) throw new IllegalArgumentException(path + " is not a WGMMA path");
        int shared = stages * (WGMMA_BM + bn) * WGMMA_BK * Short.BYTES + 1024 + 2 * stages * 8;
        int tiles = Math.multiplyExact(ceilDiv(rows, WGMMA_BM), ceilDiv(w.rows(), bn)); // output tiles, in a 1-D grid
        int splits = ceilDiv(kTiles, kTilesPerSplit);
        if (swiGlu && splits > 1) throw new IllegalArgumentException("SwiGLU in the epilogue needs whole sums: " + splits + " k splits");
        if (splits > 1) wgmmaScratch = device.grow(wgmmaScratch, (long) splits * rows * w.rows() * Float.BYTES);
        DeviceBuffer partials = splits > 1 ? wgmmaScratch : null;
        int ctas = wgmmaGrid == WgmmaGrid.PERSISTENT && splits == 1 ? Math.min(tiles, device.multiprocessorCount()) : tiles;
        String name = (wgmmaLoads == WgmmaLoads.TMA ? "wgmma_tma_gemm_" : "wgmma_gemm_") + w.suffix() + (bn == 256 ? "" : "_n" + bn)
                + (swiGlu ? "_swiglu" : "");
        if (wgmmaLoads == WgmmaLoads.TMA) {
            device.module("matmul_wgmma").kernel(name).launch(ctas, splits, 1, WGMMA_THREADS, shared, p, activationMap(w.dtype(), x16, rows, w.cols()),
                    weightMap(w, bn), partials, kTilesPerSplit);
        } else {
            device.module("matmul_wgmma").kernel(name).launch(ctas, splits, 1, WGMMA_THREADS, shared, p, partials, kTilesPerSplit);
        }
        if (splits > 1) {
            device.module("matmul_tc").kernel("skinny_reduce").launch(ceilDiv((long) rows * w.rows(), 256), 1, 1, 256, 0, p, wgmmaScratch, splits);
        }
    }

    /** Tests: {@link #launchWgmma} of x (fp32) into y, converting x as {@link #launch} does. */
    void launchWgmma(DeviceMatrix w, DeviceBuffer.Slice x, int rows, DeviceBuffer bias, Outputs y, Path path, int kTilesPerSplit) {
        DeviceBuffer.Slice x16 = sixteenBit(w, Activation.f32(x), rows);
        launchWgmma(w, x16, params(w, x16, rows, bias, y, null), rows, path, kTilesPerSplit, false);
    }

    /** W's map, [out][in] read in boxes of bn rows × 64 k with 128-byte swizzle (matmul_wgmma.cu's stage layout). */
    private static TensorMap weightMap(DeviceMatrix w, int bn) {
        return TensorMaps.encode2d(w.dtype(), w.data().address(), w.cols(), w.rows(), (long) w.cols() * Short.BYTES, WGMMA_BK, bn,
                TensorMaps.Swizzle.BYTES_128);
    }

    /** x16's map, [rows][in] in boxes of 128 rows × 64 k, likewise. */
    private static TensorMap activationMap(DType type, DeviceBuffer.Slice x16, int rows, int in) {
        return TensorMaps.encode2d(type, x16.buffer().address() + x16.byteOffset(), in, rows, (long) in * Short.BYTES, WGMMA_BK, WGMMA_BM,
                TensorMaps.Swizzle.BYTES_128);
    }

    /**
     * x in the weight's 16-bit type, as GEMM and WGMMA read it: x itself when it is in that type already, else (fp32, rows
     * × w.cols()) rounded into the scratch buffer.
     */
    private DeviceBuffer.Slice sixteenBit(DeviceMatrix w, Activation x, int rows) {
        if (x.type() == w.dtype()) return x.data();
        long n = (long) rows * w.cols();
        halfScratch = device.grow(halfScratch, n * Short.BYTES);
        round(x.data(), n, Activation.of(halfScratch, w.dtype()));
        return halfScratch.from(0);
    }

    /** y = n fp32 values of x rounded to nearest even in y's 16-bit type: matmul_tc.cu's to_bf16 / to_f16 (tests compare with it). */
    void round(DeviceBuffer.Slice x, long n, Activation y) {
        if (!y.sixteenBit()) throw new IllegalArgumentException("to_bf16 / to_f16 round to 16 bits, not to " + y.type());
        device.module("matmul_tc").kernel("to_" + y.suffix()).launch(ceilDiv(n, 1024), 1, 1, 256, 0, x, y.data(), n);
    }

    /** Fewest k tiles (of 64) a split of a WGMMA product takes: shorter ones would spend more on their pipeline's fill and on the reduce than they gain. */
    static final int WGMMA_MIN_SPLIT_K_TILES = 8;

    /**
     * The k tiles per split of a WGMMA product: all of them (no split) when its tiles fill the multiprocessors; else k is cut
     * into as many splits as there are multiprocessors per tile (rounded down: never a second wave), each at least
     * {@link #WGMMA_MIN_SPLIT_K_TILES} long. E.g. 198 rows of the 8B's o or down on 132 SMs: 64 narrow tiles, 2 splits.
     */
    static int wgmmaKTilesPerSplit(int rows, int in, int out, int bn, int multiprocessors) {
        int kTiles = in / WGMMA_BK;
        long tiles = (long) ceilDiv(rows, WGMMA_BM) * ceilDiv(out, bn);
        long splits = Math.min(multiprocessors / tiles, kTiles / WGMMA_MIN_SPLIT_K_TILES);
        return splits <= 1 ? kTiles : ceilDiv(kTiles, (int) splits);
    }

    /**
     * The skinny kernel with its k chunks (of {@link #SKINNY_CHUNK}) split into ranges of {@code chunksPerSplit}, one
     * range per CTA row of the grid (all of them: no split), the splits then summed in order by skinny_reduce
     * (matmul_tc.cu). Package-private so that tests can force splits on small shapes; {@link #launch} takes
     * {@link #skinnyChunksPerSplit}.
     */
    void launchSkinny(DeviceMatrix w, DeviceBuffer.Slice x, int rows, DeviceBuffer bias, Outputs y, int chunksPerSplit) {
        int splits = ceilDiv(ceilDiv(w.cols(), SKINNY_CHUNK), chunksPerSplit);
        if ((long) splits * rows * w.rows() > (splits > 1 ? SPLIT_SCRATCH_FLOATS : Long.MAX_VALUE)) {
            throw new IllegalArgumentException(splits + " splits of " + rows + "×" + w.rows() + " sums exceed the split scratch");
        }
        if (splits > 1 && splitScratch == null) splitScratch = device.allocate(SPLIT_SCRATCH_FLOATS * Float.BYTES);
        KernelParams p = params(w, x, rows, bias, y, null);
        int tiles = skinnyTiles(rows);
        device.module("matmul_tc").kernel("skinny_" + w.suffix() + "_b" + tiles).launch(ceilDiv(w.rows(), SKINNY_ROWS_PER_CTA), splits, 1,
                SKINNY_THREADS, skinnySharedBytes(tiles), p, splits > 1 ? splitScratch : null, chunksPerSplit);
        if (splits > 1) {
            device.module("matmul_tc").kernel("skinny_reduce").launch(ceilDiv((long) rows * w.rows(), 256), 1, 1, 256, 0, p, splitScratch, splits);
        }
    }

    /**
     * How many k chunks each CTA of the skinny kernel takes: all of them, unless the product's 32-row blocks are too few
     * to fill the multiprocessors with {@link #skinnyCtasPerSm} CTAs each. Then k is cut into splits, as many as the
     * resident CTAs per block (rounded to nearest: a little past one wave costs less than a long tail of idle slots),
     * each a whole number of stages and at least {@link #SKINNY_MIN_SPLIT_STAGES}, at most as many as the scratch holds
     * sums for. On an H200 at 1-8 rows (4 CTAs an SM): the 8B's q|k|v 3 splits, o 4, down 4, gate|up and lm_head none
     * (skinny-staged-notes.md has the measurements behind it).
     */
    static int skinnyChunksPerSplit(int rows, int in, int out, int multiprocessors) {
        int chunks = ceilDiv(in, SKINNY_CHUNK), stages = ceilDiv(chunks, SKINNY_STAGE_CHUNKS);
        long resident = (long) skinnyCtasPerSm(skinnyTiles(rows)) * multiprocessors;
        long wanted = Math.round((double) resident / ceilDiv(out, SKINNY_ROWS_PER_CTA));
        long fit = SPLIT_SCRATCH_FLOATS / ((long) Math.max(rows, 1) * out);
        int splits = (int) Math.min(Math.min(wanted, stages / SKINNY_MIN_SPLIT_STAGES), fit);
        if (splits <= 1) return chunks;
        return ceilDiv(stages, splits) * SKINNY_STAGE_CHUNKS;
    }

    /** The kernel a launch of {@code rows} rows into one output buffer (at a 16-byte-aligned offset) runs. */
    public Path path(DeviceMatrix w, DeviceBuffer.Slice x, int rows) {
        return path(w, x, rows, null);
    }

    /** The kernel a launch of {@code rows} rows into {@code y} (null: one aligned output) runs with this precision. */
    public Path path(DeviceMatrix w, DeviceBuffer.Slice x, int rows, Outputs y) {
        if (precision == Precision.EXACT || !tensorCoreOperands(w, x)) return Path.CUDA_CORES;
        if (rows <= SKINNY_MAX_ROWS) return Path.SKINNY;
        if (!WGMMA_CHOSEN || rows < WGMMA_MIN_ROWS || !wgmmaFits(w, y)) return Path.GEMM;
        return fastestWgmma(rows, w.rows(), device.multiprocessorCount());
    }

    /**
     * The tile width that finishes soonest: waves of tiles over the multiprocessors (one CTA each), a wave of 192- or
     * 128-column tiles costing {@link #MEDIUM_TILE_COST} or {@link #NARROW_TILE_COST} of a wide one; the wider on a tie.
     * Narrower tiles win where wide ones would leave many multiprocessors idle: 512 rows of the 8B's o and down (64 wide
     * tiles for 132: narrow), of q|k|v (96 wide tiles, 128 medium ones: medium).
     */
    static Path fastestWgmma(int rows, int out, int multiprocessors) {
        long rowTiles = ceilDiv(rows, WGMMA_BM);
        Path best = Path.WGMMA;
        double bestCost = ceilDiv(rowTiles * ceilDiv(out, 256), multiprocessors);
        for (Path p : new Path[]{Path.WGMMA_MEDIUM, Path.WGMMA_NARROW}) {
            double cost = ceilDiv(rowTiles * ceilDiv(out, p.wgmmaTileWidth()), multiprocessors)
                    * (p == Path.WGMMA_MEDIUM ? MEDIUM_TILE_COST : NARROW_TILE_COST);
            if (cost < bestCost) {
                best = p;
                bestCost = cost;
            }
        }
        return best;
    }

    /** Whether {@code path}'s kernel can compute this product on this device (whatever the precision asked for). */
    public boolean canRun(Path path, DeviceMatrix w, DeviceBuffer.Slice x, int rows, Outputs y) {
        return switch (path) {
            case CUDA_CORES -> true;
            case SKINNY -> tensorCoreOperands(w, x) && rows <= SKINNY_MAX_ROWS;
            case GEMM -> tensorCoreOperands(w, x);
            case WGMMA, WGMMA_MEDIUM, WGMMA_NARROW -> tensorCoreOperands(w, x) && wgmmaFits(w, y);
        };
    }

    private static boolean tensorCoreOperands(DeviceMatrix w, DeviceBuffer.Slice x) {
        boolean sixteenBit = w.dtype() == DType.BF16 || w.dtype() == DType.F16;
        return sixteenBit && w.cols() % 8 == 0 && x.byteOffset() % 16 == 0; // 16-byte loads of W rows and of fp32 x
    }

    /**
     * matmul_wgmma.cu's conditions: an sm_90a device (compute capability 9.0 exactly: its module has no code for any
     * other), whole k steps of 64, segment ends at multiples of 8 columns and 8-byte-aligned outputs (column pairs
     * stored as float2). y null: one output at an aligned offset.
     */
    private boolean wgmmaFits(DeviceMatrix w, Outputs y) {
        return wgmmaFits(device.computeCapability(), w.cols(), w.rows(), y);
    }

    static boolean wgmmaFits(int computeCapability, int in, int out, Outputs y) {
        if (computeCapability != 90 || in % WGMMA_BK != 0) return false;
        if (y == null) return out % 8 == 0;
        for (int end : y.ends()) if (end % 8 != 0) return false;
        for (DeviceBuffer.Slice b : y.buffers()) if (b.byteOffset() % 8 != 0) return false;
        return true;
    }

    /** ProjectionParams (projection.cuh, which static_asserts its 88 bytes), field by field; swiglu null but for SwiGLU kernels. */
    static KernelParams params(DeviceMatrix w, Object x, int rows, DeviceBuffer bias, Outputs y, DeviceBuffer.Slice swiglu) {
        KernelParams p = new KernelParams().pointer(x).pointer(w.data()).pointer(bias);
        int segments = y.buffers().size();
        for (int s = 0; s < 3; s++) p.pointer(s < segments ? y.buffers().get(s) : null);
        p.pointer(swiglu);
        for (int s = 0; s < 3; s++) p.i32(y.ends()[Math.min(s, segments - 1)]);
        return p.i32(rows).i32(w.cols()).i32(w.rows()).i32(y.store() == Store.ACCUMULATE ? 1 : 0);
    }

    /**
     * The exact path's arithmetic: every weight widened exactly to fp32, products summed in fp32, bias added last.
     * Only the order of the sums differs (the kernel splits k over 32 lanes and adds them in a butterfly).
     */
    public static float[] reference(WeightMatrix w, float[] x, int rows, float[] bias) {
        return products(w, x, rows, bias, false);
    }

    /**
     * The tensor-core paths' arithmetic: x rounded to nearest even in the weights' 16-bit type, then exact products
     * (two 16-bit significands fit in fp32's), summed here in double and rounded once. The kernels sum in fp32 in
     * their own order, which is the only difference.
     */
    public static float[] tensorCoreReference(WeightMatrix w, float[] x, int rows, float[] bias) {
        return products(w, roundToWeightType(w.dtype(), x), rows, bias, true);
    }

    /** {@link #reference} stored into outputs that held {@code y} (rows × w.rows(), unchanged): what a launch leaves there. */
    public static float[] reference(WeightMatrix w, float[] x, int rows, float[] bias, Store store, float[] y) {
        return store.apply(y, reference(w, x, rows, bias));
    }

    /** {@link #tensorCoreReference} stored into outputs that held {@code y} (unchanged). */
    public static float[] tensorCoreReference(WeightMatrix w, float[] x, int rows, float[] bias, Store store, float[] y) {
        return store.apply(y, tensorCoreReference(w, x, rows, bias));
    }

    /** y = x · wᵀ + bias, each row's products summed in order in fp32 (as the CPU decoder) or in double. */
    private static float[] products(WeightMatrix w, float[] x, int rows, float[] bias, boolean inDouble) {
        int in = w.cols(), out = w.rows();
        float[] row = new float[in];
        float[] y = new float[rows * out];
        for (int o = 0; o < out; o++) {
            w.row(o, row, 0);
            for (int r = 0; r < rows; r++) {
                if (inDouble) {
                    double sum = 0;
                    for (int k = 0; k < in; k++) sum += (double) row[k] * x[r * in + k];
                    y[r * out + o] = (float) (bias == null ? sum : sum + bias[o]);
                } else {
                    float sum = 0f;
                    for (int k = 0; k < in; k++) sum += row[k] * x[r * in + k];
                    y[r * out + o] = bias == null ? sum : sum + bias[o];
                }
            }
        }
        return y;
    }

    /** What to_bf16 / to_f16 do to activations before they meet bf16 / fp16 weights. */
    public static float[] roundToWeightType(DType dtype, float[] x) {
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = switch (dtype) {
                case BF16 -> Half.bf16ToFloat(Half.floatToBf16(x[i]));
                case F16 -> Half.roundToFp16(x[i]);
                default -> throw new IllegalArgumentException("tensor-core products take bf16 or fp16 weights, not " + dtype);
            };
        }
        return out;
    }

    static int ceilDiv(long n, int d) {
        return (int) ((n + d - 1) / d);
    }

    @Override
    public void close() {
        if (halfScratch != null) halfScratch.close();
        if (splitScratch != null) splitScratch.close();
        if (wgmmaScratch != null) wgmmaScratch.close();
        halfScratch = splitScratch = wgmmaScratch = null;
    }
}
