package io.vecinfer.cuda.vq;

import io.vecinfer.cuda.CudaDevice;
import io.vecinfer.cuda.CudaKernel;
import io.vecinfer.cuda.CudaModule;
import io.vecinfer.cuda.DeviceBuffer;
import io.vecinfer.kvcache.KvLayout;
import io.vecinfer.quant.ResidualWindow;
import io.vecinfer.quant.vq.Hadamard;
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
    /** Threads of a block, and tokens of a tile. */
    static final int THREADS = 256;
    /** Query heads per KV head the kernel serves (one warp each in the softmax step). */
    static final int MAX_GROUP = 8;
    /** Fewest compressed tokens a split gets: each split rebuilds its table (when in shared memory). */
    static final int MIN_SPLIT_TOKENS = 2048;
    /** Global table scratch at most (the d8b12 table is 1 MB per row and KV head at group 4): rows go in passes. */
    static final long TABLE_SCRATCH_BYTES = 256L << 20;

    /**
     * How one launch is cut: {@code splits} blocks per (row, KV head), each over {@code chunkTokens}
     * compressed positions; the query table in shared memory, or else built in global memory by
     * vq_query_table for {@code rowsPerPass} rows at a time.
     */
    public record Plan(int splits, int chunkTokens, boolean tableInShared, int sharedBytes, int rowsPerPass) {
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

    /** The plan this device gets for {@code rows} query rows attending at most {@code maxCompressed} compressed tokens. */
    public Plan plan(FlatCodebooks books, int rows, int maxCompressed) {
        return plan(books, rows, maxCompressed, multiprocessors, maxSharedBytes);
    }

    /**
     * Enough splits for about four waves of blocks over the multiprocessors (a block with its table in
     * shared memory is alone on its SM), but no split under {@link #MIN_SPLIT_TOKENS} tokens.
     */
    public static Plan plan(FlatCodebooks books, int rows, int maxCompressed, int multiprocessors, int maxSharedBytes) {
        check(books);
        KvLayout l = books.layout();
        int group = l.groupSize();
        long tableFloats = (long) books.keySubspaces() * books.keys().codewords() * group;
        long baseBytes = 4L * ((long) group * l.headDim() + (long) group * THREADS + 3L * MAX_GROUP);
        boolean inShared = baseBytes + 4 * tableFloats <= maxSharedBytes;
        int sharedBytes = (int) (inShared ? baseBytes + 4 * tableFloats : baseBytes);
        int rowsPerPass = inShared ? rows : (int) Math.max(1, Math.min(rows, TABLE_SCRATCH_BYTES / (4 * tableFloats * l.kvHeads())));
        long blocksPerSplit = (long) rows * l.kvHeads();
        int wanted = (int) Math.max(1, ceilDiv(4L * multiprocessors, blocksPerSplit));
        int affordable = (int) Math.max(1, maxCompressed / MIN_SPLIT_TOKENS);
        int splits = Math.min(wanted, affordable);
        int chunk = (int) Math.max(THREADS, ceilDiv(ceilDiv(maxCompressed, splits), THREADS) * THREADS);
        return new Plan((int) ceilDiv(Math.max(maxCompressed, 1), chunk), chunk, inShared, sharedBytes, rowsPerPass);
    }

    private static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
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
        int group = l.groupSize(), states = rows * l.queryHeads();
        DeviceBuffer outO = o, outLse = lse;
        if (plan.splits() > 1) {
            partO = ensure(partO, 4L * plan.splits() * states * l.headDim());
            partLse = ensure(partLse, 4L * plan.splits() * states);
            outO = partO;
            outLse = partLse;
        }
        CudaKernel attention = module.kernel("vq_attention_v" + b.values().dims());
        for (int first = 0; first < rows; first += plan.rowsPerPass()) {
            int passRows = Math.min(plan.rowsPerPass(), rows - first);
            DeviceBuffer table = null;
            if (!plan.tableInShared()) {
                long tableBytes = 4L * b.keySubspaces() * b.keys().codewords() * group * l.kvHeads() * passRows;
                tableScratch = ensure(tableScratch, tableBytes);
                table = tableScratch;
                module.kernel("vq_query_table").launch(passRows, l.kvHeads(), 1, THREADS, 4 * group * l.headDim(),
                        q, first, l.queryHeads(), l.kvHeads(), l.headDim(), layer, books.keyWords, books.keyBookOf,
                        b.keys().dims(), b.keys().bits(), books.lambda, b.hadamard() ? 1 : 0, table);
            }
            attention.launch(passRows, l.kvHeads(), plan.splits(), THREADS, plan.sharedBytes(),
                    q, rows, first, rowSequence, rowPosition, l.queryHeads(), l.kvHeads(), l.headDim(), layer, keyLayout.layers(),
                    keyLayout.capacity(), window, books.keyWords, books.keyBookOf, b.keys().dims(), b.keys().bits(),
                    books.valueWords, books.valueBookOf, b.values().bits(), books.lambda, b.hadamard() ? 1 : 0, scale,
                    keyCodes, valueCodes, table, plan.chunkTokens(), outO, outLse);
        }
        if (plan.splits() > 1) merge.launchSplits(partO, partLse, plan.splits(), states, l.headDim(), o, lse);
    }

    private DeviceBuffer ensure(DeviceBuffer buffer, long bytes) {
        if (buffer != null && buffer.bytes() >= bytes) return buffer;
        if (buffer != null) {
            device.synchronize(); // a queued kernel may still read it
            buffer.close();
        }
        return device.allocate(bytes);
    }

    /** Frees the scratch buffers. */
    @Override
    public void close() {
        if (tableScratch != null) tableScratch.close();
        if (partO != null) partO.close();
        if (partLse != null) partLse.close();
    }

    /** The kernel on the host; {@code plan}'s splits and chunk are mirrored (its memory placement does not change the arithmetic). */
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
                float[] table = queryTable(books, layer, kvHead, q, row);
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

    /** table[(s × words + c) × group + g] = q̃_g,s · codeword c, q̃ = q · λ then Hadamard (vq_transformed_queries, vq_fill_table). */
    static float[] queryTable(FlatCodebooks books, int layer, int kvHead, float[] q, int row) {
        KvLayout l = books.layout();
        int d = l.headDim(), group = l.groupSize(), n = books.keys().dims(), words = books.keys().codewords();
        float[] qt = new float[group * d];
        for (int i = 0; i < group * d; i++) {
            float x = q[(row * l.queryHeads() + kvHead * group) * d + i];
            qt[i] = books.lambda() == null ? x : x * books.lambda()[books.lambdaOffset(layer, kvHead) + i % d];
        }
        if (books.hadamard()) for (int g = 0; g < group; g++) Hadamard.transform(qt, g * d, d);
        float[] table = new float[books.keySubspaces() * words * group];
        for (int s = 0; s < books.keySubspaces(); s++) {
            int book = books.keyBookOffset(layer, kvHead, s);
            for (int c = 0; c < words; c++) {
                for (int g = 0; g < group; g++) {
                    float dot = 0f;
                    for (int i = 0; i < n; i++) dot += qt[g * d + s * n + i] * books.keyWords()[book + c * n + i];
                    table[(s * words + c) * group + g] = dot;
                }
            }
        }
        return table;
    }

    /** One block of vq_attention: one (row, KV head, split), its tiles, warps and value lanes as the kernel runs them. */
    private static final class BlockReference {
        private final FlatCodebooks books;
        private final int layer, kvHead, group, d, vn, valueSub, lanes;
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
            d = l.headDim();
            vn = books.values().dims();
            valueSub = books.valueSubspaces();
            lanes = THREADS / valueSub;
        }

        void attend(int sequence, int begin, int end, short[] keyCodes, VqCodeLayout keyLayout, short[] valueCodes, VqCodeLayout valueLayout,
                    float[] o, float[] lse, int state) {
            if (begin >= end) {
                java.util.Arrays.fill(o, state * d, (state + group) * d, 0f);
                java.util.Arrays.fill(lse, state, state + group, Float.NEGATIVE_INFINITY);
                return;
            }
            int keySub = books.keySubspaces(), keyWords = books.keys().codewords(), valueWords = books.values().codewords();
            float[] m = new float[group], l = new float[group], alpha = new float[group];
            java.util.Arrays.fill(m, Float.NEGATIVE_INFINITY);
            float[][] acc = new float[lanes][group * d]; // lane k's accumulators, [g][s × vn + i]
            float[] weights = new float[group * THREADS];
            for (int tile = begin; tile < end; tile += THREADS) {
                int n = Math.min(THREADS, end - tile);
                for (int t = 0; t < THREADS; t++) {
                    float[] score = new float[group];
                    if (t < n) {
                        for (int s = 0; s < keySub; s++) {
                            int code = keyCodes[(int) keyLayout.index(sequence, layer, kvHead, tile + t, s)] & (keyWords - 1);
                            for (int g = 0; g < group; g++) score[g] += table[(s * keyWords + code) * group + g];
                        }
                    }
                    for (int g = 0; g < group; g++) weights[g * THREADS + t] = t < n ? score[g] * scale : Float.NEGATIVE_INFINITY;
                }
                for (int g = 0; g < group; g++) softmaxStep(weights, g, n, m, l, alpha);
                for (int lane = 0; lane < lanes; lane++) {
                    for (int s = 0; s < valueSub; s++) {
                        for (int g = 0; g < group; g++) for (int i = 0; i < vn; i++) acc[lane][g * d + s * vn + i] *= alpha[g];
                        int book = books.valueBookOffset(layer, kvHead, s);
                        for (int j = lane; j < n; j += lanes) {
                            int code = valueCodes[(int) valueLayout.index(sequence, layer, kvHead, tile + j, s)] & (valueWords - 1);
                            for (int g = 0; g < group; g++) {
                                float p = weights[g * THREADS + j];
                                for (int i = 0; i < vn; i++) {
                                    int at = g * d + s * vn + i;
                                    acc[lane][at] = Math.fma(p, books.valueWords()[book + code * vn + i], acc[lane][at]);
                                }
                            }
                        }
                    }
                }
            }
            for (int g = 0; g < group; g++) {
                for (int i = 0; i < d; i++) {
                    float sum = acc[0][g * d + i];
                    for (int lane = 1; lane < lanes; lane++) sum += acc[lane][g * d + i];
                    o[(state + g) * d + i] = sum / l[g];
                }
                lse[state + g] = m[g] + (float) Math.log(l[g]);
            }
        }

        /** Warp g's step: tile max, rescaling α, weights e^{score − m}, and their sum in the shuffle tree's order. */
        private static void softmaxStep(float[] weights, int g, int n, float[] m, float[] l, float[] alpha) {
            int at = g * THREADS;
            float tileMax = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < THREADS; j++) tileMax = Math.max(tileMax, weights[at + j]);
            float mNew = Math.max(m[g], tileMax);
            alpha[g] = m[g] == Float.NEGATIVE_INFINITY ? 0f : (float) Math.exp(m[g] - mNew);
            float[] laneSums = new float[32];
            for (int lane = 0; lane < 32; lane++) {
                for (int j = lane; j < THREADS; j += 32) {
                    float p = j < n ? (float) Math.exp(weights[at + j] - mNew) : 0f;
                    weights[at + j] = p;
                    laneSums[lane] += p;
                }
            }
            for (int offset = 16; offset > 0; offset >>= 1) {
                float[] next = new float[32];
                for (int lane = 0; lane < 32; lane++) next[lane] = laneSums[lane] + laneSums[lane ^ offset];
                laneSums = next;
            }
            m[g] = mNew;
            l[g] = l[g] * alpha[g] + laneSums[0];
        }
    }

    private static void check(FlatCodebooks books) {
        KvLayout l = books.layout();
        int vn = books.values().dims();
        if (l.groupSize() > MAX_GROUP) throw new IllegalArgumentException("GQA group of " + l.groupSize() + " query heads per KV head; the kernel serves up to " + MAX_GROUP);
        if (vn != 1 && vn != 2 && vn != 4 && vn != 8) throw new IllegalArgumentException("value sub-vectors of " + vn + " dims; the kernel has d1, d2, d4 and d8");
        if (books.valueSubspaces() > THREADS) throw new IllegalArgumentException(books.valueSubspaces() + " value sub-spaces; the kernel serves up to " + THREADS);
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
