package io.vecinfer.cuda.vq;

import io.vecinfer.cuda.vq.VqAttentionKernel.Plan;
import io.vecinfer.cuda.vq.VqAttentionKernel.Variant;
import io.vecinfer.kvcache.KvLayout;
import io.vecinfer.quant.ResidualWindow;
import io.vecinfer.quant.VqShape;
import io.vecinfer.tensor.Half;

/**
 * The tensor-core VQ decode attention (vq_mma_attention.cu, plan variant {@link Variant#MMA}) on the host: which
 * configurations it serves, its shared memory and plan, and its reference. Keys and values are decoded from per-lane fp16
 * copies of their codebooks into mma.sync fragments (heads of a KV head in the mma's N, up to 8); scores in log2 units.
 * The launch itself is {@link VqAttentionKernel#launch}.
 * <p>Wide books (variant {@link Variant#MMA_WIDE}): d8 codebooks of 9 to 12 bits (d8b12: 4096 codewords, 64 KB in fp16) are
 * too big for per-lane copies, so the kernel holds one fp16 copy of 4096 × 16 bytes in shared memory (uint16 codes masked
 * to 12 bits) and accepts the bank conflicts of random 16-byte gathers (the count: vq-design-notes.md, "d8b12 plan").
 */
public final class VqMmaAttention {
    /** Query heads per KV head (the mma's N). */
    static final int GROUP = 8;
    /** Staged 32-token chunks per warp ring with copied books of 4 or 8 dims (vq_mma_stages); see {@link #stages}. */
    static final int STAGES = 4;
    /** Bytes of one codebook's copies: 256 codewords (zeros past 2^bits) × 128 bytes (VQ_MMA_BOOK_WORDS × VQ_MMA_ENTRY_ROW). */
    static final int BOOK_BYTES = 256 * 128;
    /** Bytes of a wide book: 4096 d8 codewords in fp16, one copy (VQ_MMA_WIDE_WORDS × 16). */
    static final int WIDE_BOOK_BYTES = 4096 * 16;
    /** Most bits of a wide book's codes (its 4096 entries); the fewest are 9 (8 bits fit a copied book). */
    static final int WIDE_BITS = 12;
    /** Blocks: 512 threads where the shared memory allows it, else 256 (tiles of as many tokens). */
    static final int[] THREADS = {512, 256};
    static final float LOG2E = 1.4426950408889634f;

    private VqMmaAttention() {
    }

    /**
     * Whether vq_mma_attention serves these codebooks: group ≤ 8; head_dim 64 or 128; one key book and one value book per
     * (layer, KV head), i.e. scope=layer or head; each side either copied (codes of ≤ 8 bits, sub-vectors of 2, 4 or 8
     * dims) or wide ({@link #wide}: d8, 9 to 12 bits), where a wide side pairs with a d4 or d8 other side (the kernels
     * vq_mma_attention_d*_k8w_v{4,8,8w} and _k{4,8}_v8w).
     */
    public static boolean serves(FlatCodebooks books) {
        KvLayout l = books.layout();
        int kd = books.keys().dims(), vd = books.values().dims(), d = l.headDim();
        boolean kw = wide(books.keys()), vw = wide(books.values());
        if (l.groupSize() > GROUP || (d != 64 && d != 128)) return false;
        if (!(kw || copied(books.keys())) || !(vw || copied(books.values()))) return false;
        if ((kw && vd == 2) || (vw && kd == 2)) return false;
        for (int layer = 0; layer < l.layers(); layer++) {
            if (!VqAttentionPlanner.valueBookShared(books, layer, Integer.MAX_VALUE) || !VqAttentionPlanner.keyBookShared(books, layer)) return false;
        }
        return true;
    }

    /** A side the kernel copies per lane: codes of ≤ 8 bits, sub-vectors of 2, 4 or 8 dims. */
    private static boolean copied(VqShape side) {
        return side.bits() <= 8 && (side.dims() == 2 || side.dims() == 4 || side.dims() == 8);
    }

    /** A wide side: d8 sub-vectors with codes of 9 to 12 bits (d8b12), one fp16 copy of 4096 codewords in shared memory. */
    static boolean wide(VqShape side) {
        return side.dims() == 8 && side.bits() > 8 && side.bits() <= WIDE_BITS;
    }

    /** MMA_WIDE where a side is wide, else MMA (the same kernel family). */
    static Variant variant(FlatCodebooks books) {
        return wide(books.keys()) || wide(books.values()) ? Variant.MMA_WIDE : Variant.MMA;
    }

    private static int bookBytes(VqShape side) {
        return wide(side) ? WIDE_BOOK_BYTES : BOOK_BYTES;
    }

    /**
     * Chunks of 32 tokens staged per warp (the kernel's vq_mma_stages): 4, one fewer per wide book (96 or 128 KB of books)
     * and one fewer with a d2 side (96 or 128 bytes of codes a token), so that 512 threads fit where they did with 3 stages.
     */
    static int stages(FlatCodebooks books) {
        int fewer = (wide(books.keys()) ? 1 : 0) + (wide(books.values()) ? 1 : 0)
                + (books.keys().dims() == 2 || books.values().dims() == 2 ? 1 : 0);
        return STAGES - fewer;
    }

    /** Bytes of one code: uint8 for a copied side, uint16 for a wide one. */
    static int codeBytes(VqShape side) {
        return wide(side) ? 2 : 1;
    }

    /** The kernel's name: vq_mma_attention_d{headDim}_k{key dims}[w]_v{value dims}[w] (w: a wide book). */
    static String kernelName(FlatCodebooks books) {
        return "vq_mma_attention_d" + books.layout().headDim() + "_k" + books.keys().dims() + (wide(books.keys()) ? "w" : "")
                + "_v" + books.values().dims() + (wide(books.values()) ? "w" : "");
    }

    /**
     * Dynamic shared memory of one block (vq_mma_attention's layout): the two books (copied or wide), q̃ [8][headDim], the
     * warps' (m, l), each warp's ring of staged 32-token chunks of key and value codes (T / 32 warps × stages × 32 tokens).
     */
    static long sharedBytes(FlatCodebooks books, int threads) {
        int warps = threads / 32;
        long floats = (long) GROUP * books.layout().headDim() + 2L * warps * GROUP;
        long tokenBytes = (long) books.keySubspaces() * codeBytes(books.keys()) + (long) books.valueSubspaces() * codeBytes(books.values());
        return bookBytes(books.keys()) + bookBytes(books.values()) + 4 * floats + (long) stages(books) * threads * tokenBytes;
    }

    /** The plan, or null when the kernel does not serve the configuration or no block of it fits. Splits as the LUT kernel's. */
    static Plan plan(FlatCodebooks books, int rows, int maxCompressed, int multiprocessors, int maxSharedBytes) {
        if (!serves(books)) return null;
        for (int threads : THREADS) {
            long shared = sharedBytes(books, threads);
            if (shared > maxSharedBytes) continue;
            long perSm = Math.max(1, Math.min((maxSharedBytes + VqAttentionPlanner.RESERVED_SHARED_BYTES) / (shared + VqAttentionPlanner.RESERVED_SHARED_BYTES),
                    VqAttentionPlanner.SM_THREADS / threads));
            int chunk = VqAttentionPlanner.chunk(books, rows, maxCompressed, perSm * multiprocessors, VqAttentionPlanner.LUT_CHUNK_QUANTUM,
                    VqAttentionPlanner.LUT_MIN_SPLIT_TOKENS);
            return new Plan((int) VqAttentionPlanner.ceilDiv(Math.max(maxCompressed, 1), chunk), chunk, true, (int) shared, rows, true, variant(books),
                    threads);
        }
        return null;
    }

    /**
     * What a launch needs besides {@link #serves}: the plan's variant, uint8 codes for a copied side and uint16 for a wide
     * one, chunks of whole warp tiles (so that a split's first code row is 16-byte aligned), and code blocks of (capacity ×
     * sub-spaces × code bytes) a multiple of 16 bytes.
     */
    static void checkLaunch(FlatCodebooks books, Plan plan, VqCodeLayout keyLayout, VqCodeLayout valueLayout) {
        if (!serves(books) || plan.variant() != variant(books) || keyLayout.codeBytes() != codeBytes(books.keys())
                || valueLayout.codeBytes() != codeBytes(books.values()) || plan.threads() > 512 || plan.threads() % 32 != 0
                || plan.chunkTokens() % VqAttentionPlanner.LUT_CHUNK_QUANTUM != 0
                || (long) keyLayout.capacity() * books.keySubspaces() * keyLayout.codeBytes() % 16 != 0
                || (long) valueLayout.capacity() * books.valueSubspaces() * valueLayout.codeBytes() % 16 != 0) {
            throw new IllegalArgumentException(plan + " for codes of " + keyLayout.codeBytes() + "/" + valueLayout.codeBytes() + " bytes, capacity "
                    + keyLayout.capacity() + ", " + books.keys() + " / " + books.values() + ": the MMA kernel does not serve it");
        }
    }

    /**
     * The kernel's mathematics in double precision (not lane by lane), for both variants (MMA and MMA_WIDE: a wide book
     * holds the same fp16 codewords, only laid out once instead of per lane): scores s_t = Σ_i q'_i · k'_t,i in log2 units with
     * q' = fp16(q̃_i · fp32(scale · log2 e)) and k' the fp16-rounded key codewords (both as the kernel rounds them, round
     * to nearest even); p_t = 2^(s_t − max s); o = Σ p_t v'_t / Σ p_t with v' the fp16-rounded value codewords;
     * lse = ln 2 · (max s + log2 Σ p_t). Outputs as {@link VqAttentionKernel#launch} (o = 0, lse = −inf with no token).
     * <p>What the kernel adds, and so the bound of a comparison: scores accumulated in fp32 by the mma (relative ≈ 2^-22
     * of Σ|q'k'|), exp2 by ex2.approx (≤ 2 ulp), and each weight rounded to fp16 for the P·V product relative to its warp's
     * running max (≤ 2^-11 relative, ≤ 2^-25 absolute below 2^-14) while the normaliser sums the fp32 weights: per output,
     * |o − o_ref| ≤ (2^-11 + n · 2^-25 / Σp + 1e-5) · max|v'| for n tokens (Σp ≥ 1), lse within about 1e-5 · max(1, |lse|).
     */
    static void reference(FlatCodebooks books, int layer, float[] q, int rows, int[] rowSequence, int[] rowPosition, int window, float scale,
                          short[] keyCodes, VqCodeLayout keyLayout, short[] valueCodes, VqCodeLayout valueLayout, float[] o, float[] lse) {
        KvLayout l = books.layout();
        int d = l.headDim(), group = l.groupSize(), kd = books.keys().dims(), vd = books.values().dims();
        int ks = books.keySubspaces(), vs = books.valueSubspaces();
        int keyWordsCount = books.keys().codewords(), valueWordsCount = books.values().codewords();
        float qscale = scale * LOG2E;
        for (int row = 0; row < rows; row++) {
            int compressed = (int) Math.min(ResidualWindow.compressedTokens(rowPosition[row] + 1L, window), keyLayout.capacity());
            for (int kvHead = 0; kvHead < l.kvHeads(); kvHead++) {
                float[] qt = VqAttentionReference.transformedQueries(books, layer, kvHead, q, row);
                for (int i = 0; i < qt.length; i++) qt[i] = Half.roundToFp16(qt[i] * qscale);
                int keyBook = books.keyBookOffset(layer, kvHead, 0), valueBook = books.valueBookOffset(layer, kvHead, 0);
                for (int g = 0; g < group; g++) {
                    int state = row * l.queryHeads() + kvHead * group + g;
                    if (compressed == 0) {
                        java.util.Arrays.fill(o, state * d, (state + 1) * d, 0f);
                        lse[state] = Float.NEGATIVE_INFINITY;
                        continue;
                    }
                    double[] s = new double[compressed];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int t = 0; t < compressed; t++) {
                        double dot = 0;
                        for (int sub = 0; sub < ks; sub++) {
                            int c = keyCodes[(int) keyLayout.index(rowSequence[row], layer, kvHead, t, sub)] & (keyWordsCount - 1);
                            for (int i = 0; i < kd; i++) {
                                dot += (double) qt[g * d + sub * kd + i] * Half.roundToFp16(books.keyWords()[keyBook + c * kd + i]);
                            }
                        }
                        s[t] = dot;
                        max = Math.max(max, dot);
                    }
                    double sum = 0;
                    double[] acc = new double[d];
                    for (int t = 0; t < compressed; t++) {
                        double p = Math.pow(2, s[t] - max);
                        sum += p;
                        for (int sub = 0; sub < vs; sub++) {
                            int c = valueCodes[(int) valueLayout.index(rowSequence[row], layer, kvHead, t, sub)] & (valueWordsCount - 1);
                            for (int i = 0; i < vd; i++) acc[sub * vd + i] += p * Half.roundToFp16(books.valueWords()[valueBook + c * vd + i]);
                        }
                    }
                    for (int i = 0; i < d; i++) o[state * d + i] = (float) (acc[i] / sum);
                    lse[state] = (float) ((max + Math.log(sum) / Math.log(2)) * Math.log(2));
                }
            }
        }
    }

    /** The largest |v'| of the fp16-rounded value codewords of (layer, kvHead): the scale of the reference's bound. */
    static double valueScale(FlatCodebooks books, int layer, int kvHead) {
        int at = books.valueBookOffset(layer, kvHead, 0), n = books.values().codewords() * books.values().dims();
        double m = 0;
        for (int i = 0; i < n; i++) m = Math.max(m, Math.abs(Half.roundToFp16(books.valueWords()[at + i])));
        return m;
    }
}
