package io.vecinfer.cuda.attention;

import io.vecinfer.cuda.DeviceBuffer;
import io.vecinfer.cuda.GpuDevice;
import io.vecinfer.cuda.RandomInputs;
import io.vecinfer.kvcache.KvLayout;
import io.vecinfer.tensor.Half;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * GPU: the tensor-core prefill kernels (attention_prefill.cu on mma.sync, attention_prefill_wgmma.cu on wgmma) and the
 * split-KV decode kernels (attention_decode.cu)
 * against {@link WindowAttention#attendReference} on fresh random rings and queries, and the ring's dispatch end to end.
 * <p>
 * Inputs: keys and values uniform in [-1, 1) as fp16, so |k|, |v| ≤ 1. Ring slots that no query of the call may read
 * hold fp16 NaN, and out and lse are filled with NaN before the call: reading a stale slot or leaving an element
 * unwritten fails every comparison.
 * <p>
 * Tolerance of the prefill kernel, from its two roundings to fp16 (relative 2^-11 each, round to nearest):
 * <ul>
 *   <li>q to fp16: score t moves by δ_t = scale·Σ_c |q̃_c - q_c|·|k_tc| ≤ δ = scale·Σ_c |q̃_c - q_c| (computed per row
 *       from the actual rounding; 0 for the fp16-exact queries most cases use). The lse is a soft maximum of the
 *       scores (its gradient is the softmax, which sums to 1), so it moves by ≤ δ; out = Σ w_t v_t moves by
 *       Σ_t w_t |δ_t - Σ w δ| |v_t| ≤ 2δ.</li>
 *   <li>P to fp16 for P·V, while the denominator sums the fp32 p: out moves by Σ_t |p̃_t - p_t| |v_t| / Σ p ≤ 2^-11
 *       (relative rounding of normal p), plus n·2^-25 for the p below 2^-14 that round to subnormals (Σ p ≥ 1, the
 *       maximum's term is 1); the p below 2^-126 that the exponential flushes to zero (ex2.approx.ftz) are inside that
 *       term, in P and in the sum. The lse does not see P's rounding.</li>
 *   <li>fp32 summation in different orders, exp2 against exp: ~1e-6, {@link #FP32} = 2e-5 as in WindowAttentionKernelTest.</li>
 * </ul>
 * So |Δout| ≤ 2δ + 2^-11 + n·2^-25 + FP32 and |Δlse| ≤ δ + FP32, with n the row's positions. The decode kernels round
 * nothing (fp32 queries, fp16 widened exactly): FP32 for both.
 * <p>
 * What a bug costs: dropping, adding or misplacing one of a row's n positions changes its lse by about 1/n and its
 * outputs by about 1/(2n) (values of mean |v| = 1/2 against the average). The prefill cases keep n ≤ 1000 (the lse
 * check resolves single positions: 1/n ≥ 1e-3 ≫ FP32; out resolves a wrong value row for n ≤ ~600), and the decode
 * cases with few positions force many small splits, so that every split boundary and empty split is exercised where
 * one position matters. At 40000 positions one position is at the tolerance; there the check catches wrong
 * split ranges (hundreds of positions), wrap and window errors.
 */
class TensorCoreAttentionKernelTest {
    private static final double FP32 = 2e-5;
    private static final short HALF_NAN = (short) 0x7e00;

    private final RandomInputs random = new RandomInputs();

    @RegisterExtension
    final GpuDevice gpu = new GpuDevice();

    /** One call: the ring's layout and contents, the queries, and what the kernel under test returned. */
    record Call(KvLayout layout, int window, int capacity, int start, int tokens, float scale, short[] keys, short[] values,
                        float[] q) {
        String describe() {
            return "kvHeads " + layout.kvHeads() + ", queryHeads " + layout.queryHeads() + ", headDim " + layout.headDim() + ", window " + window
                    + ", capacity " + capacity + ", start " + start + ", tokens " + tokens;
        }

        int positions(int token) {
            int p = start + token;
            return p + 1 - (int) WindowAttention.windowStart(p, window);
        }
    }

    /** A kernel under test: fills out and lse (lse may be null) for the call's device rings and queries. */
    private interface Kernel {
        void attend(Call c, DeviceBuffer keyRing, DeviceBuffer valueRing, DeviceBuffer q, DeviceBuffer out, DeviceBuffer lse);
    }

    /**
     * Random fp16 rings with NaN in every slot that no query reads (those outside [lo(start), start + tokens - 1]), and
     * queries uniform in [-1, 1): rounded to fp16 values when {@code halfQueries}, else plain fp32.
     */
    private Call call(int kvHeads, int queryHeads, int headDim, int window, int capacity, int start, int tokens, boolean halfQueries) {
        KvLayout layout = new KvLayout(1, kvHeads, queryHeads, headDim);
        int width = layout.tokenWidth();
        short[] keys = random.halves(capacity * width, 1), values = random.halves(capacity * width, 1);
        boolean[] read = new boolean[capacity];
        for (long p = WindowAttention.windowStart(start, window); p < start + tokens; p++) read[(int) (p % capacity)] = true;
        for (int slot = 0; slot < capacity; slot++) {
            if (!read[slot]) {
                Arrays.fill(keys, slot * width, (slot + 1) * width, HALF_NAN);
                Arrays.fill(values, slot * width, (slot + 1) * width, HALF_NAN);
            }
        }
        float[] q = random.floats(tokens * queryHeads * headDim, 1);
        if (halfQueries) for (int i = 0; i < q.length; i++) q[i] = Half.toFloat(Half.fromFloat(q[i]));
        return new Call(layout, window, capacity, start, tokens, (float) (1 / Math.sqrt(headDim)), keys, values, q);
    }

    /** Runs the kernel on NaN-poisoned out and lse; returns {out, lse} (lse null when not asked for). */
    private float[][] run(Kernel kernel, Call c, boolean withLse) {
        int rows = c.tokens * c.layout.queryHeads();
        float[] poison = new float[c.q.length];
        Arrays.fill(poison, Float.NaN);
        float[] lsePoison = new float[rows];
        Arrays.fill(lsePoison, Float.NaN);
        try (DeviceBuffer keyRing = gpu.device().allocate(2L * c.keys.length); DeviceBuffer valueRing = gpu.device().allocate(2L * c.values.length);
             DeviceBuffer q = gpu.device().upload(c.q); DeviceBuffer out = gpu.device().upload(poison);
             DeviceBuffer lse = gpu.device().upload(lsePoison)) {
            keyRing.write(c.keys);
            valueRing.write(c.values);
            kernel.attend(c, keyRing, valueRing, q, out, withLse ? lse : null);
            return new float[][]{out.readFloats(), withLse ? lse.readFloats() : null};
        }
    }

    /** Compares with the reference: prefill tolerances when {@code fp16Rounding}, else the decode kernels' FP32. */
    private void check(Call c, float[][] actual, boolean fp16Rounding) {
        check(c, actual, fp16Rounding, random.toString());
    }

    /** As above, {@code context} (e.g. the random seed) in every message; for the other kernel tests of the ring. */
    static void check(Call c, float[][] actual, boolean fp16Rounding, String context) {
        int heads = c.layout.queryHeads(), d = c.layout.headDim();
        float[] expected = new float[c.q.length], expectedLse = new float[c.tokens * heads];
        WindowAttention.attendReference(c.q, c.keys, c.values, c.layout, c.capacity, c.window, c.start, c.tokens, c.scale, expected, expectedLse);
        String what = c.describe() + ", " + context;
        for (int i = 0; i < c.tokens; i++) {
            for (int h = 0; h < heads; h++) {
                int row = i * heads + h;
                double outTolerance = FP32, lseTolerance = FP32;
                if (fp16Rounding) {
                    double delta = 0; // scale · Σ|q̃ - q| · max|k|, max|k| ≤ 1
                    for (int e = 0; e < d; e++) delta += Math.abs(Half.toFloat(Half.fromFloat(c.q[row * d + e])) - c.q[row * d + e]);
                    delta *= c.scale;
                    outTolerance += 2 * delta + Math.scalb(1.0, -11) + c.positions(i) * Math.scalb(1.0, -25);
                    lseTolerance += delta;
                }
                String where = "[token " + i + "][head " + h + "]";
                for (int e = 0; e < d; e++) {
                    float a = actual[0][row * d + e];
                    String element = "out" + where + "[" + e + "]";
                    assertFalse(Float.isNaN(a), () -> element + " is NaN (unwritten, or a stale slot was read), " + what);
                    assertEquals(expected[row * d + e], a, outTolerance, () -> element + ", " + what);
                }
                if (actual[1] != null) {
                    assertFalse(Float.isNaN(actual[1][row]), () -> "lse" + where + " is NaN, " + what);
                    assertEquals(expectedLse[row], actual[1][row], lseTolerance, () -> "lse" + where + ", " + what);
                }
            }
        }
    }

    private Kernel prefill(PrefillAttention.Kernel kernel) {
        return (c, k, v, q, out, lse) -> new PrefillAttention(gpu.device(), kernel)
                .attend(q.from(0), k, v, c.layout, c.capacity, c.window, c.start, c.tokens, c.scale, out.from(0), lse == null ? null : lse.from(0));
    }

    private final Kernel decode = (c, k, v, q, out, lse) -> {
        try (DecodeAttention attention = new DecodeAttention(gpu.device())) {
            attention.attend(q.from(0), k, v, c.layout, c.capacity, c.window, c.start, c.tokens, c.scale, out.from(0), lse == null ? null : lse.from(0));
        }
    };

    /** (kvHeads, queryHeads, headDim, window, capacity, start, tokens) */
    private static final int[][] PREFILL_CASES = {
            {1, 1, 64, 0, 64, 0, 1},          // one row, GQA 1:1: a CTA of 63 padding rows
            {2, 4, 128, 0, 512, 0, 3},        // GQA 2:1, 3 tokens
            {2, 8, 64, 0, 300, 100, 17},      // GQA 4:1 after 100 earlier positions
            {2, 14, 128, 0, 400, 200, 67},    // GQA 7:1: a group that does not divide the 64 rows of a CTA
            {4, 32, 128, 0, 600, 300, 130},   // GQA 8:1 (32 query heads over 4)
            {8, 32, 128, 0, 1024, 0, 300},    // Llama-3.1-8B heads, causal from 0, many CTAs
            {2, 4, 64, 0, 1100, 700, 300},    // long causal diagonal, start > 0
            {2, 8, 64, 128, 768, 1000, 200},  // VQ residual window R = 128 in a ring of 2R + 512 that wraps
            {2, 8, 128, 32, 127, 50, 64},     // small R, the chunk crosses several flushes, tightest ring (2R - 1 + 64)
            {1, 2, 64, 16, 40, 105, 9},       // a ring smaller than one 64-position tile (wraps inside a tile); lo jumps at 111
    };

    /**
     * Every prefill kernel. The mma.sync pair (64- and 128-row CTAs) also agree bit for bit without a window: every CTA's
     * key tiles start at position 0, so a row meets the same tiles in the same order (a 128-row CTA adds only tiles wholly
     * masked for the row, which change nothing); with a window the tiles start at the CTA's first row's window and may
     * differ. The wgmma kernel's 128-position tiles rescale at other points: the reference's tolerance only; its four
     * schedules (WGMMA, WGMMA_LC, WGMMA_KA, WGMMA_PP) agree bit for bit. They run head_dim 128 on compute capability 9.0 alone (the
     * head_dim 64 cases then check the kernel they hand them to).
     */
    @ParameterizedTest
    @EnumSource(PrefillAttention.Kernel.class)
    void prefillMatchesReference(PrefillAttention.Kernel kernel) {
        assumeRuns(kernel);
        for (int[] c : PREFILL_CASES) {
            Call call = call(c[0], c[1], c[2], c[3], c[4], c[5], c[6], true);
            float[][] actual = run(prefill(kernel), call, true);
            check(call, actual, true);
            if (kernel == PrefillAttention.Kernel.MMA_M128 && c[3] == 0) {
                float[][] m64 = run(prefill(PrefillAttention.Kernel.MMA_M64), call, true);
                assertArrayEquals(m64[0], actual[0], () -> kernel + " against MMA_M64, " + call.describe());
                assertArrayEquals(m64[1], actual[1], () -> kernel + " against MMA_M64 (lse), " + call.describe());
            }
            if (kernel.name().startsWith("WGMMA_") && c[2] == 128) {
                // When the copies are issued and in what order the warpgroups issue change no sum: WGMMA's output bit for bit.
                float[][] shared = run(prefill(PrefillAttention.Kernel.WGMMA), call, true);
                assertArrayEquals(shared[0], actual[0], () -> kernel + " against WGMMA, " + call.describe());
                assertArrayEquals(shared[1], actual[1], () -> kernel + " against WGMMA (lse), " + call.describe());
            }
        }
    }

    /** Queries that are not fp16 values: their rounding enters the tolerance through δ. */
    @ParameterizedTest
    @EnumSource(PrefillAttention.Kernel.class)
    void prefillRoundsFp32Queries(PrefillAttention.Kernel kernel) {
        assumeRuns(kernel);
        Call call = call(2, 8, 128, 0, 512, 100, 130, false);
        check(call, run(prefill(kernel), call, true), true);
    }

    @ParameterizedTest
    @EnumSource(PrefillAttention.Kernel.class)
    void prefillWithoutLse(PrefillAttention.Kernel kernel) {
        assumeRuns(kernel);
        Call call = call(2, 4, 128, 0, 256, 20, 70, true);
        check(call, run(prefill(kernel), call, false), true);
    }

    /**
     * Long causal prefills with many CTAs of unequal length and a ring that wraps: the wgmma kernel's three stages cycle
     * many times (its barrier phases), and CTAs meet 1 to 12 key tiles; then a window over a ring of the tightest capacity
     * (2R - 1 + tokens) that the call wraps.
     */
    @ParameterizedTest
    @EnumSource(PrefillAttention.Kernel.class)
    void prefillOverManyTiles(PrefillAttention.Kernel kernel) {
        assumeRuns(kernel);
        Call call = call(2, 8, 128, 0, 1600, 0, 1500, true);
        check(call, run(prefill(kernel), call, true), true);
        Call wrapped = call(1, 4, 128, 256, 1211, 3000, 700, true);
        check(wrapped, run(prefill(kernel), wrapped, true), true);
    }

    private void assumeRuns(PrefillAttention.Kernel kernel) {
        int cc = gpu.device().computeCapability();
        assumeTrue(kernel.runs(128, cc), () -> kernel + " does not run on compute capability " + cc);
    }

    /** (kvHeads, queryHeads, headDim, window, capacity, start, tokens) */
    private static final int[][] DECODE_CASES = {
            {8, 32, 128, 0, 40960, 39999, 1}, // Llama-3.1-8B decode at 40000 positions: 132+ splits on an H200
            {2, 4, 128, 0, 5000, 4999, 1},    // the shipped model at 5000 positions
            {2, 4, 128, 0, 8192, 5000, 4},    // 4 tokens × group 2: 8 rows, one block of 8
            {1, 1, 64, 0, 300, 200, 1},       // GQA 1:1, one row in a block of 4
            {2, 4, 64, 0, 64, 40, 3},         // 3 tokens × 2 heads: one block of 8 rows, two padding
            {2, 14, 128, 0, 1000, 900, 2},    // GQA 7:1: 14 rows per KV head, blocks of 8 and 6
            {4, 32, 64, 0, 2048, 2000, 1},    // GQA 8:1, one full block of 8
            {2, 16, 128, 0, 4096, 3000, 4},   // 4 tokens × group 8 = 32 rows: four blocks of 8
            {2, 8, 128, 128, 768, 5000, 1},   // VQ window R = 128, ring of 2R + 512 wrapped many times
            {2, 8, 64, 16, 40, 109, 4},       // window 16 in a 40-slot ring; lo is 80 for positions 109, 110 and 96 for 111, 112
    };

    @Test
    void decodeMatchesReference() {
        for (int[] c : DECODE_CASES) {
            Call call = call(c[0], c[1], c[2], c[3], c[4], c[5], c[6], false);
            check(call, run(decode, call, true), false);
        }
    }

    /**
     * Short contexts cut into many small splits (odd sizes, some left empty for later row blocks or past the end), so
     * that each split boundary falls where a lost or doubled position changes the result well beyond FP32.
     */
    @Test
    void decodeWithForcedSplits() {
        int[][] cases = {  // kvHeads, queryHeads, headDim, window, capacity, start, tokens, splitPositions
                {2, 4, 128, 0, 400, 300, 1, 7},
                {2, 8, 64, 0, 400, 250, 4, 37},   // 16 rows: two blocks
                {1, 12, 128, 32, 90, 200, 3, 5},  // windowed, wrapping, 36 rows: 5 blocks
                {2, 4, 64, 0, 200, 130, 2, 1},    // one position per split
        };
        for (int[] c : cases) {
            Call call = call(c[0], c[1], c[2], c[3], c[4], c[5], c[6], false);
            DecodeAttention.Plan natural = DecodeAttention.plan(call.layout, call.start, call.tokens, call.window, gpu.device().multiprocessorCount());
            int span = call.start + call.tokens - (int) WindowAttention.windowStart(call.start, call.window);
            // One more split than needed: the last is empty for every block and must merge as nothing.
            DecodeAttention.Plan forced = new DecodeAttention.Plan(natural.rowBlocks(), (span + c[7] - 1) / c[7] + 1, c[7]);
            Kernel kernel = (cc, k, v, q, out, lse) -> {
                try (DecodeAttention attention = new DecodeAttention(gpu.device())) {
                    attention.attend(forced, q.from(0), k, v, cc.layout, cc.capacity, cc.window, cc.start, cc.tokens, cc.scale, out.from(0),
                            lse == null ? null : lse.from(0));
                }
            };
            check(call, run(kernel, call, true), false);
        }
    }

    @Test
    void decodeWithoutLse() {
        Call call = call(2, 4, 128, 0, 3000, 2500, 1, false);
        check(call, run(decode, call, false), false);
    }

    /**
     * Through {@link Fp16KvRing}: store fp32 keys and values, attend, for a token count of each dispatch path (decode,
     * prefill, and head_dim 16 for the window kernel); the stores' fp16 rounding is the reference's input too.
     */
    @Test
    void ringDispatchMatchesReference() {
        int[][] cases = {  // kvHeads, queryHeads, headDim, tokens: decode, decode, prefill, prefill, window, window
                {2, 4, 128, 1}, {2, 4, 128, 4}, {2, 4, 128, 67}, {2, 8, 64, 130}, {2, 4, 16, 30}, {2, 4, 16, 2},
        };
        for (int[] c : cases) {
            KvLayout layout = new KvLayout(1, c[0], c[1], c[2]);
            int tokens = c[3], earlier = 150, capacity = 512, total = earlier + tokens, width = layout.tokenWidth();
            float[] k = random.floats(total * width, 1), v = random.floats(total * width, 1);
            float[] q = random.floats(tokens * layout.queryHeads() * layout.headDim(), 1);
            for (int i = 0; i < q.length; i++) q[i] = Half.toFloat(Half.fromFloat(q[i]));
            short[] keys = new short[capacity * width], values = new short[capacity * width];
            WindowAttention.storeReference(k, v, keys, values, layout, capacity, 0, total);
            float scale = (float) (1 / Math.sqrt(layout.headDim()));
            Call call = new Call(layout, 0, capacity, earlier, tokens, scale, keys, values, q);
            float[] out, lse;
            float[] poison = new float[q.length], lsePoison = new float[tokens * layout.queryHeads()];
            Arrays.fill(poison, Float.NaN);
            Arrays.fill(lsePoison, Float.NaN);
            try (Fp16KvRing ring = new Fp16KvRing(gpu.device(), layout, capacity); DeviceBuffer dk = gpu.device().upload(k);
                 DeviceBuffer dv = gpu.device().upload(v); DeviceBuffer dq = gpu.device().upload(q);
                 DeviceBuffer dout = gpu.device().upload(poison); DeviceBuffer dlse = gpu.device().upload(lsePoison)) {
                ring.store(0, dk.from(0), dv.from(0), 0, total);
                ring.attend(0, dq.from(0), earlier, tokens, 0, scale, dout.from(0), dlse.from(0));
                out = dout.readFloats();
                lse = dlse.readFloats();
            }
            check(call, new float[][]{out, lse}, true);
        }
    }
}
