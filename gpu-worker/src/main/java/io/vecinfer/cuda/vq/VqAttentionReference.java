package io.vecinfer.cuda.vq;

import io.vecinfer.cuda.vq.VqAttentionKernel.Plan;
import io.vecinfer.cuda.vq.VqAttentionKernel.Variant;
import io.vecinfer.kvcache.KvLayout;
import io.vecinfer.quant.ResidualWindow;
import io.vecinfer.quant.vq.Hadamard;
import io.vecinfer.tensor.Half;

import java.util.Arrays;

/**
 * The VQ decode-attention kernels on the host, lane by lane: {@code plan}'s kernel, splits, chunk, tile, table
 * precision and lane mappings are mirrored (where the table lives does not change the arithmetic), so the device
 * must agree to rounding of expf/logf. Outputs as {@link VqAttentionKernel#launch}.
 */
final class VqAttentionReference {
    /** Key lookups the LUT kernel sums in fp16 before its fp32 add (VQ_LUT_HALF_STEPS). */
    static final int LUT_HALF_STEPS = 8;
    /** Warp tiles between flushes of the fp16 value sums (VQ_LUT_FLUSH_TILES). */
    static final int FLUSH_TILES = 2;
    /** Lanes of a half-warp: the LUT kernel's key skew is lane & 15. */
    private static final int SKEW_LANES = 16;

    private VqAttentionReference() {
    }

    static void attend(FlatCodebooks books, int layer, Plan plan, float[] q, int rows, int[] rowSequence, int[] rowPosition,
                       int window, float scale, short[] keyCodes, VqCodeLayout keyLayout, short[] valueCodes, VqCodeLayout valueLayout,
                       float[] o, float[] lse) {
        if (plan.variant().mma()) { // a math-level reference with a stated bound, not lane by lane
            VqMmaAttention.reference(books, layer, q, rows, rowSequence, rowPosition, window, scale, keyCodes, keyLayout, valueCodes,
                    valueLayout, o, lse);
            return;
        }
        VqAttentionPlanner.check(books);
        VqAttentionPlanner.checkCodes(books, layer, keyLayout, valueLayout);
        KvLayout l = books.layout();
        int d = l.headDim(), group = l.groupSize(), states = rows * l.queryHeads();
        boolean lut = plan.variant().lut(), halfValues = plan.variant() == Variant.LUT_HALF_VALUES;
        float[] outO = plan.splits() > 1 ? new float[plan.splits() * states * d] : o;
        float[] outLse = plan.splits() > 1 ? new float[plan.splits() * states] : lse;
        for (int row = 0; row < rows; row++) {
            int compressed = (int) Math.min(ResidualWindow.compressedTokens(rowPosition[row] + 1L, window), keyLayout.capacity());
            for (int kvHead = 0; kvHead < l.kvHeads(); kvHead++) {
                float[] table = queryTable(books, layer, kvHead, q, row, plan.halfTable() || lut);
                for (int split = 0; split < plan.splits(); split++) {
                    int begin = Math.min(compressed, split * plan.chunkTokens());
                    int end = split == plan.splits() - 1 ? compressed : Math.min(compressed, begin + plan.chunkTokens());
                    int state = (split * rows + row) * l.queryHeads() + kvHead * group;
                    new Block(books, layer, kvHead, table, scale, lut, halfValues, plan.threads()).attend(rowSequence[row], begin, end,
                            keyCodes, keyLayout, valueCodes, valueLayout, outO, outLse, state);
                }
            }
        }
        if (plan.splits() > 1) MergeStatesKernel.referenceSplits(outO, outLse, plan.splits(), states, d, o, lse);
    }

    /** q̃ [group][headDim] of (row, kvHead): q · λ, then Hadamard (vq_transformed_queries; the MMA kernel's step 1 too). */
    static float[] transformedQueries(FlatCodebooks books, int layer, int kvHead, float[] q, int row) {
        KvLayout l = books.layout();
        int d = l.headDim(), group = l.groupSize();
        float[] qt = new float[group * d];
        for (int i = 0; i < group * d; i++) {
            float x = q[(row * l.queryHeads() + kvHead * group) * d + i];
            qt[i] = books.lambda() == null ? x : x * books.lambda()[books.lambdaOffset(layer, kvHead) + i % d];
        }
        if (books.hadamard()) for (int g = 0; g < group; g++) Hadamard.transform(qt, g * d, d);
        return qt;
    }

    /**
     * table[(s × words + c) × G + g] = q̃_g,s · codeword c, q̃ = q · λ then Hadamard (vq_transformed_queries,
     * vq_fill_table), rounded to fp16 (to nearest, ties to even, as __float2half_rn) for a half table; 0 for g ≥ group.
     * (The LUT kernel stores the same entries as [c][s][4 heads].)
     */
    static float[] queryTable(FlatCodebooks books, int layer, int kvHead, float[] q, int row, boolean half) {
        KvLayout l = books.layout();
        int d = l.headDim(), group = l.groupSize(), n = books.keys().dims(), words = books.keys().codewords(), stride = VqAttentionPlanner.stride(l);
        float[] qt = transformedQueries(books, layer, kvHead, q, row);
        float[] table = new float[books.keySubspaces() * words * stride];
        for (int s = 0; s < books.keySubspaces(); s++) {
            int book = books.keyBookOffset(layer, kvHead, s);
            for (int c = 0; c < words; c++) {
                for (int g = 0; g < group; g++) {
                    float dot = 0f;
                    for (int i = 0; i < n; i++) dot += qt[g * d + s * n + i] * books.keyWords()[book + c * n + i];
                    table[(s * words + c) * stride + g] = half ? Half.roundToFp16(dot) : dot;
                }
            }
        }
        return table;
    }

    /**
     * One block: one (row, KV head, split). Warp w takes tokens w·32 .. w·32+31 of every tile of {@code threads}
     * tokens and keeps its own running max m_w, per-lane sums and per-lane accumulators; the lanes' sums and the
     * token parts of a value sub-space meet by xor-shuffle trees, the warps in order. The general kernel sums a
     * score's entries in sub-space order in fp32 and maps value lanes by sub-space (token parts when fewer than 32);
     * the LUT kernel sums them in the lane's skewed order k ^ (lane & 15), eight at a time in fp16, and maps value
     * lanes as (token part, 16 / dims sub-spaces), head_dim / 16 lanes per token.
     */
    private static final class Block {
        private final FlatCodebooks books;
        private final int layer, kvHead, group, stride, d, vn, valueSub, lanesPerToken, parts, warps, threads;
        private final float[] table;
        private final float scale;
        private final boolean lut, halfValues;

        Block(FlatCodebooks books, int layer, int kvHead, float[] table, float scale, boolean lut, boolean halfValues, int threads) {
            this.halfValues = halfValues;
            this.books = books;
            this.layer = layer;
            this.kvHead = kvHead;
            this.table = table;
            this.scale = scale;
            this.lut = lut;
            this.threads = threads;
            KvLayout l = books.layout();
            group = l.groupSize();
            stride = VqAttentionPlanner.stride(l);
            d = l.headDim();
            vn = books.values().dims();
            valueSub = books.valueSubspaces();
            lanesPerToken = lut ? d / 16 : Math.min(valueSub, 32);
            parts = 32 / lanesPerToken;
            warps = threads / 32;
        }

        private float score(int lane, int token, int sequence, int g, short[] keyCodes, VqCodeLayout keyLayout, int keyWords) {
            int keySub = books.keySubspaces();
            float score = 0f;
            if (!lut) {
                for (int s = 0; s < keySub; s++) score += table[(s * keyWords + code(keyCodes, keyLayout, sequence, token, s, keyWords)) * stride + g];
                return score;
            }
            int skew = lane % SKEW_LANES;
            for (int k0 = 0; k0 < keySub; k0 += LUT_HALF_STEPS) {
                float h = 0f; // an fp16 partial: the float sum of two halves rounds as the fp16 add would
                for (int k = k0; k < k0 + LUT_HALF_STEPS; k++) {
                    int s = k ^ skew;
                    h = Half.roundToFp16(h + table[(s * keyWords + code(keyCodes, keyLayout, sequence, token, s, keyWords)) * stride + g]);
                }
                score += h;
            }
            return score;
        }

        private int code(short[] codes, VqCodeLayout layout, int sequence, int token, int s, int words) {
            return codes[(int) layout.index(sequence, layer, kvHead, token, s)] & (words - 1);
        }

        void attend(int sequence, int begin, int end, short[] keyCodes, VqCodeLayout keyLayout, short[] valueCodes, VqCodeLayout valueLayout,
                    float[] o, float[] lse, int state) {
            if (begin >= end) {
                Arrays.fill(o, state * d, (state + group) * d, 0f);
                Arrays.fill(lse, state, state + group, Float.NEGATIVE_INFINITY);
                return;
            }
            int keyWords = books.keys().codewords(), valueWords = books.values().codewords();
            float[][] m = new float[warps][group], laneL = new float[warps * 32][group];
            float[][] acc = new float[warps * parts][group * d]; // (warp, token part): [g][s × vn + i]
            float[][] half = new float[warps * parts][group * d]; // the fp16 sums not yet flushed (LUT_HALF_VALUES)
            int[] pending = new int[warps];
            for (float[] row : m) Arrays.fill(row, Float.NEGATIVE_INFINITY);
            for (int tile = begin; tile < end; tile += threads) {
                int n = Math.min(threads, end - tile);
                for (int w = 0; w < warps; w++) {
                    int t0 = w * 32, wn = Math.min(32, n - t0);
                    if (wn <= 0) continue;
                    float[][] score = new float[32][group];
                    for (int lane = 0; lane < wn; lane++) {
                        for (int g = 0; g < group; g++) score[lane][g] = score(lane, tile + t0 + lane, sequence, g, keyCodes, keyLayout, keyWords);
                    }
                    float[][] p = new float[32][group];
                    if (halfValues) { // a max that moves flushes the fp16 sums before the rescale (every head's: warp-uniform)
                        boolean grow = false;
                        for (int g = 0; g < group; g++) {
                            float mx = Float.NEGATIVE_INFINITY;
                            for (int lane = 0; lane < wn; lane++) mx = Math.max(mx, score[lane][g] * scale);
                            grow |= Math.max(m[w][g], mx) > m[w][g];
                        }
                        if (grow) flush(acc, half, w, pending);
                    }
                    for (int g = 0; g < group; g++) {
                        float mx = Float.NEGATIVE_INFINITY;
                        for (int lane = 0; lane < wn; lane++) mx = Math.max(mx, score[lane][g] * scale);
                        float mNew = Math.max(m[w][g], mx);
                        float alpha = m[w][g] == Float.NEGATIVE_INFINITY ? 0f : (float) Math.exp(m[w][g] - mNew);
                        if (mNew > m[w][g]) {
                            for (int lane = 0; lane < 32; lane++) laneL[w * 32 + lane][g] *= alpha;
                            for (int part = 0; part < parts; part++) for (int i = 0; i < d; i++) acc[w * parts + part][g * d + i] *= alpha;
                        }
                        m[w][g] = mNew;
                        for (int lane = 0; lane < wn; lane++) {
                            p[lane][g] = (float) Math.exp(score[lane][g] * scale - mNew);
                            laneL[w * 32 + lane][g] += p[lane][g];
                        }
                    }
                    for (int part = 0; part < parts; part++) {
                        for (int j = part; j < wn; j += parts) {
                            for (int s = 0; s < valueSub; s++) {
                                int book = books.valueBookOffset(layer, kvHead, s);
                                int code = code(valueCodes, valueLayout, sequence, tile + t0 + j, s, valueWords);
                                for (int g = 0; g < group; g++) {
                                    for (int i = 0; i < vn; i++) {
                                        int at = g * d + s * vn + i;
                                        float word = books.valueWords()[book + code * vn + i];
                                        if (halfValues) { // HFMA2: one rounding of the exact p·w + sum, operands in fp16
                                            half[w * parts + part][at] = toHalf((double) Half.roundToFp16(p[j][g]) * Half.roundToFp16(word)
                                                    + half[w * parts + part][at]);
                                        } else {
                                            acc[w * parts + part][at] = Math.fma(p[j][g], word, acc[w * parts + part][at]);
                                        }
                                    }
                                }
                            }
                        }
                    }
                    if (halfValues && ++pending[w] == FLUSH_TILES) flush(acc, half, w, pending);
                }
            }
            if (halfValues) for (int w = 0; w < warps; w++) flush(acc, half, w, pending);
            float[][] warpL = new float[warps][group];
            float[][] warpAcc = new float[warps][];
            for (int w = 0; w < warps; w++) {
                for (int g = 0; g < group; g++) {
                    float[] sums = new float[32];
                    for (int lane = 0; lane < 32; lane++) sums[lane] = laneL[w * 32 + lane][g];
                    warpL[w][g] = xorTree(sums, 1)[0];
                }
                // token parts of one sub-space: lanes lanesPerToken apart: the shuffle tree over offsets lanesPerToken .. 16
                // (the fp16 value path merged them at every flush, into part 0's sums)
                float[] merged = new float[group * d];
                if (halfValues) {
                    warpAcc[w] = acc[w * parts].clone();
                    continue;
                }
                for (int at = 0; at < group * d; at++) {
                    float[] byLane = new float[32];
                    for (int lane = 0; lane < 32; lane++) byLane[lane] = acc[w * parts + lane / lanesPerToken % parts][at];
                    merged[at] = parts == 1 ? byLane[0] : xorTree(byLane, lanesPerToken)[0];
                }
                warpAcc[w] = merged;
            }
            for (int g = 0; g < group; g++) {
                float mAll = Float.NEGATIVE_INFINITY;
                for (int w = 0; w < warps; w++) mAll = Math.max(mAll, m[w][g]);
                float lAll = 0f;
                float[] sum = new float[d];
                for (int w = 0; w < warps; w++) {
                    float factor = m[w][g] == Float.NEGATIVE_INFINITY ? 0f : (float) Math.exp(m[w][g] - mAll);
                    if (m[w][g] != Float.NEGATIVE_INFINITY) lAll += factor * warpL[w][g];
                    for (int i = 0; i < d; i++) sum[i] = w == 0 ? warpAcc[w][g * d + i] * factor : sum[i] + warpAcc[w][g * d + i] * factor;
                }
                for (int i = 0; i < d; i++) o[(state + g) * d + i] = sum[i] / lAll;
                lse[state + g] = mAll + (float) Math.log(lAll);
            }
        }

        /**
         * The fp16 sums of warp w's token parts, merged by the kernel's reduce-scatter (the xor tree over offsets 16 ..
         * lanesPerToken, each add an HADD2: rounded to fp16), join the fp32 sums (exact conversion, fp32 add), kept in
         * part 0's row here; the fp16 sums restart at 0.
         */
        private void flush(float[][] acc, float[][] half, int w, int[] pending) {
            float[] byLane = new float[32];
            for (int at = 0; at < acc[w * parts].length; at++) {
                for (int lane = 0; lane < 32; lane++) byLane[lane] = half[w * parts + lane / lanesPerToken % parts][at];
                float[] x = byLane;
                for (int offset = 16; offset >= lanesPerToken; offset >>= 1) {
                    float[] next = new float[32];
                    for (int lane = 0; lane < 32; lane++) next[lane] = toHalf((double) x[lane] + x[lane ^ offset]);
                    x = next;
                }
                acc[w * parts][at] += x[0];
            }
            for (int part = 0; part < parts; part++) Arrays.fill(half[w * parts + part], 0f);
            pending[w] = 0;
        }

        /** x rounded to fp16, to nearest with ties to even (normal and subnormal range; x is exact in double here). */
        static float toHalf(double x) {
            if (x == 0) return (float) x;
            double ulp = Math.scalb(1.0, Math.max(Math.getExponent(x), -14) - 10);
            return (float) (Math.rint(x / ulp) * ulp);
        }

        /** x[lane] += x[lane ^ offset] for offset = 16, 8, .. from, as __shfl_xor_sync does it. */
        private static float[] xorTree(float[] x, int from) {
            for (int offset = 16; offset >= from; offset >>= 1) {
                float[] next = new float[32];
                for (int lane = 0; lane < 32; lane++) next[lane] = x[lane] + x[lane ^ offset];
                x = next;
            }
            return x;
        }
    }
}
