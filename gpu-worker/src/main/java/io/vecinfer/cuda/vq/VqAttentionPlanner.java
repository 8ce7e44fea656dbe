package io.vecinfer.cuda.vq;

import io.vecinfer.cuda.vq.VqAttentionKernel.Plan;
import io.vecinfer.cuda.vq.VqAttentionKernel.Variant;
import io.vecinfer.kvcache.KvLayout;
import io.vecinfer.quant.vq.Hadamard;

/**
 * How a VQ decode-attention launch is cut, on the host: which kernel ({@link Variant}), its block, its shared memory
 * (mirroring the kernels' layouts) and its splits of the context. The general kernel (vq_attention.cu) serves every
 * configuration; the LUT kernel (vq_lut_attention.cu) serves {@link #lutServes}.
 */
final class VqAttentionPlanner {
    /** Threads of a general block (8 warps), and tokens of its staged tile (32 per warp). */
    static final int THREADS = 256;
    static final int WARPS = THREADS / 32;
    /** Query heads per KV head the general kernel serves; the LUT kernel serves up to {@link #LUT_GROUP}. */
    static final int MAX_GROUP = 8;
    static final int LUT_GROUP = 4;
    /** LUT blocks: 512 threads where the shared memory allows it, else 256 (tiles of as many tokens). */
    static final int[] LUT_THREADS = {512, 256};
    /**
     * Most threads of an fp16-value LUT block: its lanes keep fp32 sums of only the entries the flushes' reduce-scatter
     * over token parts leaves them, so 512-thread blocks fit 128 registers. The reduce-scatter needs ≥ 2 token parts:
     * head_dim ≤ {@link #LUT_HALF_VALUES_MAX_HEAD_DIM}.
     */
    static final int LUT_HALF_VALUES_THREADS = 512;
    static final int LUT_HALF_VALUES_MAX_HEAD_DIM = 256;
    /** Value book copies of the LUT kernel (one per lane of a 16-byte phase). */
    static final int LUT_COPIES = 8;
    /** Fewest compressed tokens a split gets: each split rebuilds its table (when in shared memory). */
    static final int MIN_SPLIT_TOKENS = 2048;
    /**
     * The LUT kernel's splits: chunks in multiples of a warp tile (any start keeps its code rows 16-byte aligned) and
     * down to this many tokens, so that a small batch still fills the SMs in one wave (batch 1, 8 KV heads, 32k: 16
     * splits of 2048 tokens on 132 SMs, where whole 512-token tiles allowed only 13 of 2560).
     */
    static final int LUT_CHUNK_QUANTUM = 32;
    static final int LUT_MIN_SPLIT_TOKENS = 1024;
    /** Most splits a plan makes. */
    static final int MAX_SPLITS = 64;
    /** A split's fixed cost (table build, merge) in tokens' worth of work, for the split choice. */
    static final int SPLIT_COST_TOKENS = 512;
    /** A shared value book at most this many bytes is copied to shared memory (general kernel). */
    static final int SHARED_VALUE_BOOK_BYTES = 16 * 1024;
    /** Shared memory the driver reserves per block. */
    static final int RESERVED_SHARED_BYTES = 1024;
    /** Global table scratch at most (the d8b12 table is 1 MB per row and KV head at group 4): rows go in passes. */
    static final long TABLE_SCRATCH_BYTES = 256L << 20;
    /** Most threads an SM holds. */
    static final int SM_THREADS = 2048;

    private VqAttentionPlanner() {
    }

    /** The LUT kernel where it serves the configuration and fits, else the general one with an fp16 or fp32 table. */
    static Plan best(FlatCodebooks books, int rows, int maxCompressed, int multiprocessors, int maxSharedBytes, boolean halfTable) {
        Plan lut = lut(books, rows, maxCompressed, multiprocessors, maxSharedBytes);
        return lut != null ? lut : general(books, rows, maxCompressed, multiprocessors, maxSharedBytes, halfTable);
    }

    /**
     * Whether vq_lut_attention serves these codebooks: group ≤ 4; codes of ≤ 8 bits (uint8 containers); 16, 32 or 64
     * key sub-spaces (the lane skew needs a multiple of 16); value sub-vectors of 1, 2, 4 or 8 dims in ≥ 16 sub-spaces
     * (16-byte code rows); head_dim / 16 dividing 32 (lanes per token of the value phase); one value book per (layer,
     * KV head), i.e. scope=layer or head; a power-of-two head_dim with Hadamard.
     */
    static boolean lutServes(FlatCodebooks books) {
        KvLayout l = books.layout();
        int ks = books.keySubspaces(), vd = books.values().dims(), d = l.headDim();
        if (l.groupSize() > LUT_GROUP || books.keys().bits() > 8 || books.values().bits() > 8) return false;
        if (ks != 16 && ks != 32 && ks != 64) return false;
        if ((vd != 1 && vd != 2 && vd != 4 && vd != 8) || books.valueSubspaces() % 16 != 0) return false;
        if (d % 16 != 0 || 32 % (d / 16) != 0) return false;
        if (books.hadamard() && !Hadamard.isPowerOfTwo(d)) return false;
        for (int layer = 0; layer < l.layers(); layer++) if (!valueBookShared(books, layer, Integer.MAX_VALUE)) return false;
        return true;
    }

    /** Dynamic shared memory of one LUT block (vq_lut_attention's layout). */
    static long lutSharedBytes(FlatCodebooks books, int threads) {
        KvLayout l = books.layout();
        int g = LUT_GROUP, warps = threads / 32, ks = books.keySubspaces(), vs = books.valueSubspaces();
        long table = (long) books.keys().codewords() * ks * 8;
        long copies = (long) books.values().codewords() * books.values().dims() * LUT_COPIES * 4;
        long floats = (long) g * l.headDim() + (long) warps * 32 * g + 2L * warps * g + 2L * g;
        return table + copies + 4 * floats + 2L * threads * (ks + vs);
    }

    /** The LUT plan, or null when the kernel does not serve the configuration or no block of it fits. */
    static Plan lut(FlatCodebooks books, int rows, int maxCompressed, int multiprocessors, int maxSharedBytes) {
        return lut(books, rows, maxCompressed, multiprocessors, maxSharedBytes, Variant.LUT, LUT_THREADS);
    }

    /** Whether the fp16-value LUT kernel serves these codebooks: the LUT kernel's, value dims ≥ 2, head_dim ≤ 256. */
    static boolean lutHalfValuesServes(FlatCodebooks books) {
        return lutServes(books) && books.values().dims() >= 2 && books.layout().headDim() <= LUT_HALF_VALUES_MAX_HEAD_DIM;
    }

    /** The fp16-value LUT plan (512 or 256 threads as {@link #lut}; the same shared memory), or null. */
    static Plan lutHalfValues(FlatCodebooks books, int rows, int maxCompressed, int multiprocessors, int maxSharedBytes) {
        if (!lutHalfValuesServes(books)) return null;
        return lut(books, rows, maxCompressed, multiprocessors, maxSharedBytes, Variant.LUT_HALF_VALUES, LUT_THREADS);
    }

    private static Plan lut(FlatCodebooks books, int rows, int maxCompressed, int multiprocessors, int maxSharedBytes, Variant variant,
                            int[] threadChoices) {
        if (!lutServes(books)) return null;
        for (int threads : threadChoices) {
            long shared = lutSharedBytes(books, threads);
            if (shared > maxSharedBytes) continue;
            long perSm = Math.max(1, Math.min((maxSharedBytes + RESERVED_SHARED_BYTES) / (shared + RESERVED_SHARED_BYTES), SM_THREADS / threads));
            int chunk = chunk(books, rows, maxCompressed, perSm * multiprocessors, LUT_CHUNK_QUANTUM, LUT_MIN_SPLIT_TOKENS);
            return new Plan((int) ceilDiv(Math.max(maxCompressed, 1), chunk), chunk, true, (int) shared, rows, true, variant, threads);
        }
        return null;
    }

    /** G: the general table's entries per (sub-space, codeword), the group rounded up to 4 or 8. */
    static int stride(KvLayout l) {
        return l.groupSize() <= 4 ? 4 : 8;
    }

    static long tableEntries(FlatCodebooks books) {
        return (long) books.keySubspaces() * books.keys().codewords() * stride(books.layout());
    }

    /**
     * Dynamic shared memory of one general block (vq_attention's layout): the table when in shared memory, the
     * transformed queries [G][headDim], the shared value book, the warps' weights [warp][32][G], their
     * maxima and sums [warp][G] twice, the block's [G] twice, and two staged tiles of key and value codes.
     */
    static long sharedBytes(FlatCodebooks books, boolean tableInShared, boolean halfTable, int keyCodeBytes, int valueCodeBytes,
                            boolean valueBookShared) {
        KvLayout l = books.layout();
        int g = stride(l);
        long table = tableInShared ? (tableEntries(books) * (halfTable ? 2 : 4) + 15) / 16 * 16 : 0;
        long words = valueBookShared ? ((long) books.values().codewords() * books.values().dims() + 3) / 4 * 4 : 0;
        long floats = (long) g * l.headDim() + words + (long) WARPS * 32 * g + 2L * WARPS * g + 2L * g;
        long keyTile = ((long) THREADS * books.keySubspaces() * keyCodeBytes + 15) / 16 * 16;
        long valueTile = ((long) THREADS * books.valueSubspaces() * valueCodeBytes + 15) / 16 * 16;
        return table + 4 * floats + 2 * (keyTile + valueTile);
    }

    private static boolean valueBookFits(FlatCodebooks books) {
        return 4L * books.values().codewords() * books.values().dims() <= SHARED_VALUE_BOOK_BYTES;
    }

    /**
     * The general plan. The table in shared memory when a block with it (and uint16 codes, a shared value book) fits.
     * Splits: see {@link #chunk}, with the blocks per SM counted by shared memory with the narrowest containers.
     */
    static Plan general(FlatCodebooks books, int rows, int maxCompressed, int multiprocessors, int maxSharedBytes, boolean halfTable) {
        check(books);
        KvLayout l = books.layout();
        boolean fits = valueBookFits(books);
        long worst = sharedBytes(books, true, halfTable, 2, 2, fits);
        boolean inShared = worst <= maxSharedBytes;
        int sharedBytes = (int) (inShared ? worst : sharedBytes(books, false, halfTable, 2, 2, fits));
        int rowsPerPass = inShared ? rows
                : (int) Math.max(1, Math.min(rows, TABLE_SCRATCH_BYTES / (tableEntries(books) * (halfTable ? 2 : 4) * l.kvHeads())));
        long typical = sharedBytes(books, inShared, halfTable, books.keys().bits() <= 8 ? 1 : 2, books.values().bits() <= 8 ? 1 : 2, fits);
        long perSm = Math.max(1, Math.min((maxSharedBytes + RESERVED_SHARED_BYTES) / (typical + RESERVED_SHARED_BYTES), SM_THREADS / THREADS));
        int chunk = chunk(books, rows, maxCompressed, Math.max(1, perSm * multiprocessors), THREADS, MIN_SPLIT_TOKENS);
        return new Plan((int) ceilDiv(Math.max(maxCompressed, 1), chunk), chunk, inShared, sharedBytes, rowsPerPass, halfTable,
                Variant.GENERAL, THREADS);
    }

    /**
     * The split length: of the split counts up to {@link #MAX_SPLITS} with no split under {@code minSplitTokens}
     * tokens, the one that minimises waves × (chunk + {@link #SPLIT_COST_TOKENS}), waves counted over the {@code slots}
     * blocks the device holds at once; the fewest splits on a tie. Chunks are multiples of {@code tile}.
     */
    static int chunk(FlatCodebooks books, int rows, int maxCompressed, long slots, int tile, int minSplitTokens) {
        long blocksPerSplit = (long) rows * books.layout().kvHeads();
        int affordable = (int) Math.max(1, Math.min(MAX_SPLITS, maxCompressed / minSplitTokens));
        int bestChunk = 0;
        long bestCost = Long.MAX_VALUE;
        for (int s = 1; s <= affordable; s++) {
            int chunk = (int) Math.max(tile, ceilDiv(ceilDiv(Math.max(maxCompressed, 1), s), tile) * tile);
            long splits = ceilDiv(Math.max(maxCompressed, 1), chunk);
            long cost = ceilDiv(blocksPerSplit * splits, slots) * (chunk + SPLIT_COST_TOKENS);
            if (cost < bestCost) {
                bestCost = cost;
                bestChunk = chunk;
            }
        }
        return bestChunk;
    }

    static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }

    /** Whether every value sub-space of each KV head of {@code layer} uses one book (small enough for the general kernel's shared memory). */
    static boolean valueBookShared(FlatCodebooks books, int layer) {
        return valueBookShared(books, layer, SHARED_VALUE_BOOK_BYTES);
    }

    static boolean valueBookShared(FlatCodebooks books, int layer, long maxBookBytes) {
        if (4L * books.values().codewords() * books.values().dims() > maxBookBytes) return false;
        return oneBookPerHead(books.valueBookOf(), books.valueSubspaces(), books.layout().kvHeads(), layer);
    }

    /** Whether every key sub-space of each KV head of {@code layer} uses one book. */
    static boolean keyBookShared(FlatCodebooks books, int layer) {
        return oneBookPerHead(books.keyBookOf(), books.keySubspaces(), books.layout().kvHeads(), layer);
    }

    /** bookOf [layer][kvHead][sub-space]: whether all sub-spaces of each KV head of {@code layer} name the same book. */
    private static boolean oneBookPerHead(int[] bookOf, int sub, int kvHeads, int layer) {
        for (int h = 0; h < kvHeads; h++) {
            int at = (layer * kvHeads + h) * sub;
            for (int s = 1; s < sub; s++) if (bookOf[at + s] != bookOf[at]) return false;
        }
        return true;
    }

    static void check(FlatCodebooks books) {
        KvLayout l = books.layout();
        int vn = books.values().dims();
        if (l.groupSize() > MAX_GROUP) throw new IllegalArgumentException("GQA group of " + l.groupSize() + " query heads per KV head; the kernel serves up to " + MAX_GROUP);
        if (vn != 1 && vn != 2 && vn != 4 && vn != 8) throw new IllegalArgumentException("value sub-vectors of " + vn + " dims; the kernel has d1, d2, d4 and d8");
        int valueSub = books.valueSubspaces(), units = Math.max(1, 128 / vn / 32);
        if (valueSub >= 32 ? valueSub % 32 != 0 || valueSub / 32 > units : 32 % valueSub != 0) {
            throw new IllegalArgumentException(valueSub + " value sub-spaces of " + vn + " dims; the kernel serves head_dim up to " + 32 * units * vn);
        }
        if (books.hadamard() && !Hadamard.isPowerOfTwo(l.headDim())) throw new IllegalArgumentException("Hadamard needs a power-of-two head_dim");
    }

    static void checkCodes(FlatCodebooks books, int layer, VqCodeLayout keyLayout, VqCodeLayout valueLayout) {
        if (keyLayout.subspaces() != books.keySubspaces() || valueLayout.subspaces() != books.valueSubspaces()
                || keyLayout.kvHeads() != books.layout().kvHeads() || valueLayout.kvHeads() != books.layout().kvHeads()
                || keyLayout.capacity() != valueLayout.capacity() || keyLayout.layers() != valueLayout.layers()
                || keyLayout.sequences() != valueLayout.sequences() || layer < 0 || layer >= keyLayout.layers()) {
            throw new IllegalArgumentException("layer " + layer + ", code layouts " + keyLayout + " / " + valueLayout
                    + " do not fit codebooks of " + books.keys() + " / " + books.values());
        }
    }
}
