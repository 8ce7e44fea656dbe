package io.vecinfer.cuda.vq;

import io.vecinfer.cuda.CudaDevice;
import io.vecinfer.cuda.CudaKernel;
import io.vecinfer.cuda.CudaModule;
import io.vecinfer.cuda.DeviceBuffer;
import io.vecinfer.kvcache.KvLayout;
import io.vecinfer.quant.ResidualWindow;
import io.vecinfer.quant.vq.Hadamard;
import io.vecinfer.tensor.Half;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.JCudaDriver;

/**
 * Fused lookup-table attention over the VQ-compressed tokens (vq_attention.cu). Each query row is a new
 * token of sequence {@code rowSequence[r]} at position {@code rowPosition[r]}; it attends the compressed
 * positions [0, c) with c = {@link ResidualWindow#compressedTokens}(position + 1, window), and the result
 * is the normalised o [row][queryHead][headDim] and lse [row][queryHead] (natural log; o = 0, lse = −inf
 * when c = 0), ready for {@link MergeStatesKernel} with the window part. Long contexts are split over
 * blocks ({@link Plan}) and the splits merged by merge_splits. {@link #reference} is the kernel's
 * arithmetic on the same layouts, splits, tiles and lanes included.
 */
public final class VqAttentionKernel implements AutoCloseable {
    /** Threads of a block (8 warps), and tokens of a staged tile (32 per warp). */
    static final int THREADS = 256;
    static final int WARPS = THREADS / 32;
    /** Query heads per KV head the kernel serves. */
    static final int MAX_GROUP = 8;
    /** Fewest compressed tokens a split gets: each split rebuilds its table (when in shared memory). */
    static final int MIN_SPLIT_TOKENS = 2048;
    /** Most splits a plan makes. */
    static final int MAX_SPLITS = 64;
    /** A split's fixed cost (table build, merge) in tokens' worth of work, for the split choice. */
    static final int SPLIT_COST_TOKENS = 512;
    /** A shared value book at most this many bytes is copied to shared memory. */
    static final int SHARED_VALUE_BOOK_BYTES = 16 * 1024;
    /** Shared memory the driver reserves per block. */
    static final int RESERVED_SHARED_BYTES = 1024;
    /** Global table scratch at most (the d8b12 table is 1 MB per row and KV head at group 4): rows go in passes. */
    static final long TABLE_SCRATCH_BYTES = 256L << 20;

    /**
     * How one launch is cut: {@code splits} blocks per (row, KV head), each over {@code chunkTokens}
     * compressed positions; the query table in shared memory, or else built in global memory by
     * vq_query_table for {@code rowsPerPass} rows at a time; its entries fp32, or fp16 ({@code halfTable}).
     * {@code sharedBytes} is the most a block takes (uint16 codes); a launch computes its own for its code layouts.
     */
    public record Plan(int splits, int chunkTokens, boolean tableInShared, int sharedBytes, int rowsPerPass, boolean halfTable) {
        /** An fp32 table. */
        public Plan(int splits, int chunkTokens, boolean tableInShared, int sharedBytes, int rowsPerPass) {
            this(splits, chunkTokens, tableInShared, sharedBytes, rowsPerPass, false);
        }
    }

    private final CudaDevice device;
    private final CudaModule module;
    private final MergeStatesKernel merge;
    private final int multiprocessors;
    private final int maxSharedBytes;
    private DeviceBuffer tableScratch;
    private DeviceBuffer partO;
    private DeviceBuffer partLse;

    public VqAttentionKernel(CudaDevice device) {
        this.device = device;
        module = device.module("vq_attention");
        merge = new MergeStatesKernel(device);
        device.makeCurrent();
        CUdevice dev = new CUdevice();
        JCudaDriver.cuCtxGetDevice(dev);
        multiprocessors = attribute(dev, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
        maxSharedBytes = attribute(dev, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN);
    }

    private static int attribute(CUdevice dev, int attribute) {
        int[] value = new int[1];
        JCudaDriver.cuDeviceGetAttribute(value, attribute, dev);
        return value[0];
    }

    /**
     * Whether {@link #plan(FlatCodebooks, int, int)} (the decoder's plan) builds fp16 tables: yes unless the system
     * property {@code vecinfer.vq.halfTable} is {@code false}. fp16 halves the table's shared memory (two blocks per
     * SM at d4b8, group 4) and its lookup traffic; it moves attention outputs by about 1e-3 of their norm against the
     * CPU cache (VqReferencesTest.HALF_TABLE_TOLERANCE), inside the decoder test's 1e-2 · max |logit|.
     */
    static final boolean HALF_TABLE_DEFAULT = !"false".equals(System.getProperty("vecinfer.vq.halfTable"));

    /** The plan this device gets for {@code rows} query rows attending at most {@code maxCompressed} compressed tokens. */
    public Plan plan(FlatCodebooks books, int rows, int maxCompressed) {
        return plan(books, rows, maxCompressed, HALF_TABLE_DEFAULT);
    }

    public Plan plan(FlatCodebooks books, int rows, int maxCompressed, boolean halfTable) {
        return plan(books, rows, maxCompressed, multiprocessors, maxSharedBytes, halfTable);
    }

    public static Plan plan(FlatCodebooks books, int rows, int maxCompressed, int multiprocessors, int maxSharedBytes) {
        return plan(books, rows, maxCompressed, multiprocessors, maxSharedBytes, false);
    }

    /** G: the table's entries per (sub-space, codeword), the group rounded up to 4 or 8. */
    static int stride(KvLayout l) {
        return l.groupSize() <= 4 ? 4 : 8;
    }

    static long tableEntries(FlatCodebooks books) {
        return (long) books.keySubspaces() * books.keys().codewords() * stride(books.layout());
    }

    /**
     * Dynamic shared memory of one block (vq_attention's layout): the table when in shared memory, the
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
     * The table in shared memory when a block with it (and uint16 codes, a shared value book) fits. Splits: the
     * count, up to {@link #MAX_SPLITS} and no split under {@link #MIN_SPLIT_TOKENS} tokens, that minimises
     * waves × (chunk + {@link #SPLIT_COST_TOKENS}), waves counted over the blocks the multiprocessors hold at once
     * (by shared memory, with the narrowest containers of the code widths); the fewest splits on a tie.
     */
    public static Plan plan(FlatCodebooks books, int rows, int maxCompressed, int multiprocessors, int maxSharedBytes, boolean halfTable) {
        check(books);
        KvLayout l = books.layout();
        boolean fits = valueBookFits(books);
        long worst = sharedBytes(books, true, halfTable, 2, 2, fits);
        boolean inShared = worst <= maxSharedBytes;
        int sharedBytes = (int) (inShared ? worst : sharedBytes(books, false, halfTable, 2, 2, fits));
        int rowsPerPass = inShared ? rows
                : (int) Math.max(1, Math.min(rows, TABLE_SCRATCH_BYTES / (tableEntries(books) * (halfTable ? 2 : 4) * l.kvHeads())));
        long typical = sharedBytes(books, inShared, halfTable, books.keys().bits() <= 8 ? 1 : 2, books.values().bits() <= 8 ? 1 : 2, fits);
        long perSm = Math.max(1, Math.min((maxSharedBytes + RESERVED_SHARED_BYTES) / (typical + RESERVED_SHARED_BYTES), 2048 / THREADS));
        long slots = Math.max(1, perSm * multiprocessors);
        long blocksPerSplit = (long) rows * l.kvHeads();
        int affordable = (int) Math.max(1, Math.min(MAX_SPLITS, maxCompressed / MIN_SPLIT_TOKENS));
        int bestChunk = 0;
        long bestCost = Long.MAX_VALUE;
        for (int s = 1; s <= affordable; s++) {
            int chunk = (int) Math.max(THREADS, ceilDiv(ceilDiv(Math.max(maxCompressed, 1), s), THREADS) * THREADS);
            long splits = ceilDiv(Math.max(maxCompressed, 1), chunk);
            long cost = ceilDiv(blocksPerSplit * splits, slots) * (chunk + SPLIT_COST_TOKENS);
            if (cost < bestCost) {
                bestCost = cost;
                bestChunk = chunk;
            }
        }
        return new Plan((int) ceilDiv(Math.max(maxCompressed, 1), bestChunk), bestChunk, inShared, sharedBytes, rowsPerPass, halfTable);
    }

    private static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }

    /** Whether every value sub-space of each KV head of {@code layer} uses one book (small enough for shared memory). */
    static boolean valueBookShared(FlatCodebooks books, int layer) {
        if (!valueBookFits(books)) return false;
        int sub = books.valueSubspaces();
        for (int h = 0; h < books.layout().kvHeads(); h++) {
            int at = (layer * books.layout().kvHeads() + h) * sub;
            for (int s = 1; s < sub; s++) if (books.valueBookOf()[at + s] != books.valueBookOf()[at]) return false;
        }
        return true;
    }

    /**
     * @param q fp32 [row][queryHead][headDim]
     * @param rowSequence, rowPosition int [row]: the sequence (of the code layouts) and position of each query row
     * @param plan from {@link #plan}, for at least the largest compressed length of these rows
     * @param o, lse outputs fp32 [row][queryHead][headDim] and [row][queryHead]
     */
    public void launch(DeviceCodebooks books, int layer, Plan plan, DeviceBuffer.Slice q, int rows, DeviceBuffer rowSequence, DeviceBuffer rowPosition,
                       int window, float scale, DeviceBuffer keyCodes, VqCodeLayout keyLayout, DeviceBuffer valueCodes, VqCodeLayout valueLayout,
                       DeviceBuffer o, DeviceBuffer lse) {
        FlatCodebooks b = books.host();
        check(b);
        checkCodes(b, layer, keyLayout, valueLayout);
        KvLayout l = b.layout();
        int states = rows * l.queryHeads(), g = stride(l), entryBytes = plan.halfTable() ? 2 : 4;
        boolean valueBookShared = valueBookShared(b, layer);
        int shared = (int) sharedBytes(b, plan.tableInShared(), plan.halfTable(), keyLayout.codeBytes(), valueLayout.codeBytes(), valueBookShared);
        if (shared > maxSharedBytes) throw new IllegalArgumentException(plan + " needs " + shared + " bytes of shared memory; the device has " + maxSharedBytes);
        DeviceBuffer outO = o, outLse = lse;
        if (plan.splits() > 1) {
            partO = device.grow(partO, 4L * plan.splits() * states * l.headDim());
            partLse = device.grow(partLse, 4L * plan.splits() * states);
            outO = partO;
            outLse = partLse;
        }
        String type = plan.halfTable() ? "f16" : "f32";
        CudaKernel attention = module.kernel("vq_attention_v" + b.values().dims() + "_g" + g + "_" + type);
        for (int first = 0; first < rows; first += plan.rowsPerPass()) {
            int passRows = Math.min(plan.rowsPerPass(), rows - first);
            DeviceBuffer table = null;
            if (!plan.tableInShared()) {
                tableScratch = device.grow(tableScratch, entryBytes * tableEntries(b) * l.kvHeads() * passRows);
                table = tableScratch;
                module.kernel("vq_query_table_" + type).launch(passRows, l.kvHeads(), 1, THREADS, 4 * l.groupSize() * l.headDim(),
                        q, first, l.queryHeads(), l.kvHeads(), l.headDim(), layer, books.keyWords, books.keyBookOf,
                        b.keys().dims(), b.keys().bits(), books.lambda, b.hadamard() ? 1 : 0, g, table);
            }
            attention.launch(passRows, l.kvHeads(), plan.splits(), THREADS, shared,
                    q, rows, first, rowSequence, rowPosition, l.queryHeads(), l.kvHeads(), l.headDim(), layer, keyLayout.layers(),
                    keyLayout.capacity(), window, books.keyWords, books.keyBookOf, b.keys().dims(), b.keys().bits(),
                    books.valueWords, books.valueBookOf, b.values().bits(), books.lambda, b.hadamard() ? 1 : 0, scale,
                    keyCodes, valueCodes, keyLayout.codeBytes(), valueLayout.codeBytes(), valueBookShared ? 1 : 0, table,
                    plan.chunkTokens(), outO, outLse);
        }
        if (plan.splits() > 1) merge.launchSplits(partO, partLse, plan.splits(), states, l.headDim(), o, lse);
    }

    /** Frees the scratch buffers. */
    @Override
    public void close() {
        if (tableScratch != null) tableScratch.close();
        if (partO != null) partO.close();
        if (partLse != null) partLse.close();
    }

    /** The kernel on the host; {@code plan}'s splits, chunk and table precision are mirrored (its memory placement does not change the arithmetic). */
    public static void reference(FlatCodebooks books, int layer, Plan plan, float[] q, int rows, int[] rowSequence, int[] rowPosition,
                                 int window, float scale, short[] keyCodes, VqCodeLayout keyLayout, short[] valueCodes, VqCodeLayout valueLayout,
                                 float[] o, float[] lse) {
        check(books);
        checkCodes(books, layer, keyLayout, valueLayout);
        KvLayout l = books.layout();
        int d = l.headDim(), group = l.groupSize(), states = rows * l.queryHeads();
        float[] outO = plan.splits() > 1 ? new float[plan.splits() * states * d] : o;
        float[] outLse = plan.splits() > 1 ? new float[plan.splits() * states] : lse;
        for (int row = 0; row < rows; row++) {
            int compressed = (int) Math.min(ResidualWindow.compressedTokens(rowPosition[row] + 1L, window), keyLayout.capacity());
            for (int kvHead = 0; kvHead < l.kvHeads(); kvHead++) {
                float[] table = queryTable(books, layer, kvHead, q, row, plan.halfTable());
                for (int split = 0; split < plan.splits(); split++) {
                    int begin = Math.min(compressed, split * plan.chunkTokens());
                    int end = split == plan.splits() - 1 ? compressed : Math.min(compressed, begin + plan.chunkTokens());
                    int state = (split * rows + row) * l.queryHeads() + kvHead * group;
                    new BlockReference(books, layer, kvHead, table, scale).attend(rowSequence[row], begin, end,
                            keyCodes, keyLayout, valueCodes, valueLayout, outO, outLse, state);
                }
            }
        }
        if (plan.splits() > 1) MergeStatesKernel.referenceSplits(outO, outLse, plan.splits(), states, d, o, lse);
    }

    /**
     * table[(s × words + c) × G + g] = q̃_g,s · codeword c, q̃ = q · λ then Hadamard (vq_transformed_queries,
     * vq_fill_table), rounded to fp16 (to nearest, ties to even, as __float2half_rn) for a half table; 0 for g ≥ group.
     */
    static float[] queryTable(FlatCodebooks books, int layer, int kvHead, float[] q, int row, boolean half) {
        KvLayout l = books.layout();
        int d = l.headDim(), group = l.groupSize(), n = books.keys().dims(), words = books.keys().codewords(), stride = stride(l);
        float[] qt = new float[group * d];
        for (int i = 0; i < group * d; i++) {
            float x = q[(row * l.queryHeads() + kvHead * group) * d + i];
            qt[i] = books.lambda() == null ? x : x * books.lambda()[books.lambdaOffset(layer, kvHead) + i % d];
        }
        if (books.hadamard()) for (int g = 0; g < group; g++) Hadamard.transform(qt, g * d, d);
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
     * One block of vq_attention: one (row, KV head, split). Warp w takes tokens w·32 .. w·32+31 of every tile
     * of {@link #THREADS} tokens and keeps its own running max m_w, per-lane sums and per-lane accumulators;
     * the lanes' sums and the token parts of a value sub-space meet by xor-shuffle trees, the warps in order.
     */
    private static final class BlockReference {
        private final FlatCodebooks books;
        private final int layer, kvHead, group, stride, d, vn, valueSub, parts;
        private final float[] table;
        private final float scale;

        BlockReference(FlatCodebooks books, int layer, int kvHead, float[] table, float scale) {
            this.books = books;
            this.layer = layer;
            this.kvHead = kvHead;
            this.table = table;
            this.scale = scale;
            KvLayout l = books.layout();
            group = l.groupSize();
            stride = stride(l);
            d = l.headDim();
            vn = books.values().dims();
            valueSub = books.valueSubspaces();
            parts = valueSub >= 32 ? 1 : 32 / valueSub;
        }

        void attend(int sequence, int begin, int end, short[] keyCodes, VqCodeLayout keyLayout, short[] valueCodes, VqCodeLayout valueLayout,
                    float[] o, float[] lse, int state) {
            if (begin >= end) {
                java.util.Arrays.fill(o, state * d, (state + group) * d, 0f);
                java.util.Arrays.fill(lse, state, state + group, Float.NEGATIVE_INFINITY);
                return;
            }
            int keySub = books.keySubspaces(), keyWords = books.keys().codewords(), valueWords = books.values().codewords();
            float[][] m = new float[WARPS][group], laneL = new float[WARPS * 32][group];
            float[][] acc = new float[WARPS * parts][group * d]; // (warp, token part): [g][s × vn + i]
            for (float[] row : m) java.util.Arrays.fill(row, Float.NEGATIVE_INFINITY);
            for (int tile = begin; tile < end; tile += THREADS) {
                int n = Math.min(THREADS, end - tile);
                for (int w = 0; w < WARPS; w++) {
                    int t0 = w * 32, wn = Math.min(32, n - t0);
                    if (wn <= 0) continue;
                    float[][] score = new float[32][group];
                    for (int lane = 0; lane < wn; lane++) {
                        for (int s = 0; s < keySub; s++) {
                            int code = keyCodes[(int) keyLayout.index(sequence, layer, kvHead, tile + t0 + lane, s)] & (keyWords - 1);
                            for (int g = 0; g < group; g++) score[lane][g] += table[(s * keyWords + code) * stride + g];
                        }
                    }
                    float[][] p = new float[32][group];
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
                                int code = valueCodes[(int) valueLayout.index(sequence, layer, kvHead, tile + t0 + j, s)] & (valueWords - 1);
                                for (int g = 0; g < group; g++) {
                                    for (int i = 0; i < vn; i++) {
                                        int at = g * d + s * vn + i;
                                        acc[w * parts + part][at] = Math.fma(p[j][g], books.valueWords()[book + code * vn + i], acc[w * parts + part][at]);
                                    }
                                }
                            }
                        }
                    }
                }
            }
            float[][] warpL = new float[WARPS][group];
            float[][] warpAcc = new float[WARPS][];
            for (int w = 0; w < WARPS; w++) {
                for (int g = 0; g < group; g++) {
                    float[] sums = new float[32];
                    for (int lane = 0; lane < 32; lane++) sums[lane] = laneL[w * 32 + lane][g];
                    warpL[w][g] = xorTree(sums, 1)[0];
                }
                // token parts of one sub-space: lanes s, s + valueSub, ...: the shuffle tree over offsets valueSub .. 16
                float[] merged = new float[group * d];
                for (int at = 0; at < group * d; at++) {
                    float[] byLane = new float[32];
                    for (int lane = 0; lane < 32; lane++) byLane[lane] = acc[w * parts + lane / Math.min(valueSub, 32) % parts][at];
                    merged[at] = parts == 1 ? byLane[0] : xorTree(byLane, valueSub)[0];
                }
                warpAcc[w] = merged;
            }
            for (int g = 0; g < group; g++) {
                float mAll = Float.NEGATIVE_INFINITY;
                for (int w = 0; w < WARPS; w++) mAll = Math.max(mAll, m[w][g]);
                float lAll = 0f;
                float[] sum = new float[d];
                for (int w = 0; w < WARPS; w++) {
                    float factor = m[w][g] == Float.NEGATIVE_INFINITY ? 0f : (float) Math.exp(m[w][g] - mAll);
                    if (m[w][g] != Float.NEGATIVE_INFINITY) lAll += factor * warpL[w][g];
                    for (int i = 0; i < d; i++) sum[i] = w == 0 ? warpAcc[w][g * d + i] * factor : sum[i] + warpAcc[w][g * d + i] * factor;
                }
                for (int i = 0; i < d; i++) o[(state + g) * d + i] = sum[i] / lAll;
                lse[state + g] = mAll + (float) Math.log(lAll);
            }
        }

        /** x[lane] += x[lane ^ offset] for offset = from, 2·from, .. 16, as __shfl_xor_sync does it. */
        private static float[] xorTree(float[] x, int from) {
            for (int offset = 16; offset >= from; offset >>= 1) {
                float[] next = new float[32];
                for (int lane = 0; lane < 32; lane++) next[lane] = x[lane] + x[lane ^ offset];
                x = next;
            }
            return x;
        }
    }

    private static void check(FlatCodebooks books) {
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

    private static void checkCodes(FlatCodebooks books, int layer, VqCodeLayout keyLayout, VqCodeLayout valueLayout) {
        if (keyLayout.subspaces() != books.keySubspaces() || valueLayout.subspaces() != books.valueSubspaces()
                || keyLayout.kvHeads() != books.layout().kvHeads() || valueLayout.kvHeads() != books.layout().kvHeads()
                || keyLayout.capacity() != valueLayout.capacity() || keyLayout.layers() != valueLayout.layers()
                || keyLayout.sequences() != valueLayout.sequences() || layer < 0 || layer >= keyLayout.layers()) {
            throw new IllegalArgumentException("layer " + layer + ", code layouts " + keyLayout + " / " + valueLayout
                    + " do not fit codebooks of " + books.keys() + " / " + books.values());
        }
    }
}
