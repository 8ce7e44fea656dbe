package io.vecinfer.cuda.kivi;

import io.vecinfer.cuda.CudaDevice;
import io.vecinfer.cuda.DeviceBuffer;
import io.vecinfer.cuda.KernelParams;
import io.vecinfer.cuda.vq.MergeStatesKernel;
import io.vecinfer.quant.ResidualWindow;

/**
 * Split-KV attention over a KIVI cache's encoded tokens with the dequantization fused (kivi_attention.cu): query token
 * i at position start + i attends positions [0, c(p)), c(p) = {@link ResidualWindow#compressedTokens}(p + 1, R), each
 * key and value read packed and used as zero + code · scale. The context is cut into {@link Plan#splits} ranges (so a
 * decode step of batch 1 fills the SMs), merged by {@link MergeStatesKernel#launchSplits}. Writes the normalised output
 * and the log-sum-exp (0 and -inf for a query with no encoded token) for the merge with the fp16 window.
 * {@link #reference} is its arithmetic.
 */
public final class KiviAttentionKernel implements AutoCloseable {
    /** As in kivi_attention.cu. */
    static final int THREADS = 128, MAX_VALUE_GROUPS = 32;
    /** Dynamic shared memory a plan may use for its staged value tile, and the most positions in a tile (one a thread). */
    static final int TILE_SHARED_BYTES = 32 * 1024, MAX_TILE_TOKENS = THREADS;
    /** Most splits, and the fewest positions a split gets (each split recomputes its key groups' query products). */
    static final int MAX_SPLITS = 64, MIN_SPLIT_POSITIONS = 256;
    /** CTAs per SM a plan aims for (the kernels hold 64 to 168 registers a thread: 3 to 8 CTAs of 128 fit). */
    static final int CTAS_PER_SM = 4;

    private final CudaDevice device;
    private final MergeStatesKernel merge;
    private DeviceBuffer partialO, partialLse;

    public KiviAttentionKernel(CudaDevice device) {
        this.device = device;
        merge = new MergeStatesKernel(device);
    }

    /**
     * How one launch is cut: {@code heads} per CTA (the kernel's H), {@code groupBlocks} CTAs per KV head's group,
     * {@code splits} ranges of {@code splitPositions} (a multiple of R), value tiles of {@code tileTokens} positions in
     * {@code sharedBytes} of dynamic shared memory.
     */
    public record Plan(int heads, int groupBlocks, int splits, int splitPositions, int tileTokens, int sharedBytes) {
    }

    /** The plan for {@code rows} query rows of which the longest attends {@code maxEncoded} positions, on {@code multiprocessors} SMs. */
    public static Plan plan(KiviLayout l, int queryHeads, int rows, int maxEncoded, int multiprocessors) {
        check(l, queryHeads);
        int group = queryHeads / l.kvHeads();
        int heads = group <= 2 ? 2 : group <= 4 ? 4 : 8;
        int groupBlocks = (group + heads - 1) / heads;
        long blocks = Math.max(1, (maxEncoded + l.window() - 1) / l.window());
        long minSplitBlocks = Math.max(1, (MIN_SPLIT_POSITIONS + l.window() - 1) / l.window());
        long perSplit = (long) rows * groupBlocks * l.kvHeads();
        long wanted = (CTAS_PER_SM * (long) multiprocessors + perSplit - 1) / perSplit;
        long affordable = Math.max(1, Math.min(MAX_SPLITS, blocks / minSplitBlocks));
        long splits = Math.max(1, Math.min(wanted, affordable));
        long splitBlocks = (blocks + splits - 1) / splits;
        splits = (blocks + splitBlocks - 1) / splitBlocks;
        int perToken = 4 * (l.valueWords() + 2 * l.valueGroupsPerToken());
        int tile = Math.min(MAX_TILE_TOKENS, TILE_SHARED_BYTES / perToken / 32 * 32);
        return new Plan(heads, groupBlocks, (int) splits, (int) (splitBlocks * l.window()), tile, tile * perToken);
    }

    static void check(KiviLayout l, int queryHeads) {
        if (queryHeads % l.kvHeads() != 0) throw new IllegalArgumentException(queryHeads + " query heads for " + l.kvHeads() + " KV heads");
        if (l.valueGroupsPerToken() > MAX_VALUE_GROUPS) {
            throw new IllegalArgumentException(l.valueGroupsPerToken() + " value groups per token (head_dim " + l.headDim() + ", VG = "
                    + l.valueGroup() + "); kivi_attention serves up to " + MAX_VALUE_GROUPS);
        }
    }

    /** The kernel of a plan: container bits of keys and values, heads per CTA. */
    static String kernelName(KiviLayout l, Plan plan) {
        return "kivi_attend_k" + KiviLayout.containerBits(l.keyBits()) + "_v" + KiviLayout.containerBits(l.valueBits()) + "_h" + plan.heads();
    }

    /** One sequence's query tokens (the decoder's cache): see the batch form. */
    public void launch(KiviEncodeKernel.Storage at, int layer, DeviceBuffer.Slice q, int start, int tokens, int queryHeads, float scale,
                       DeviceBuffer out, DeviceBuffer lse) {
        launch(at, layer, at.layout().layers(), 1, q, start, tokens, queryHeads, scale, out, lse);
    }

    /**
     * {@code sequences} sequences' query tokens at the same positions, sequence s's cache at layer slots s · layers + layer
     * of {@code at} (whose layout then has sequences · layers layers).
     *
     * @param q   sequences × tokens × queryHeads × headDim fp32, post-RoPE
     * @param out sequences × tokens × queryHeads × headDim fp32; lse sequences × tokens × queryHeads
     */
    public void launch(KiviEncodeKernel.Storage at, int layer, int layers, int sequences, DeviceBuffer.Slice q, int start, int tokens,
                       int queryHeads, float scale, DeviceBuffer out, DeviceBuffer lse) {
        KiviLayout l = at.layout();
        long last = ResidualWindow.compressedTokens((long) start + tokens, l.window());
        if (last > l.capacity()) throw new IllegalArgumentException("queries up to position " + (start + tokens - 1) + " read " + last + " tokens of " + l.capacity());
        if (layer < 0 || layer >= layers || (long) sequences * layers > l.layers()) {
            throw new IllegalArgumentException("layer " + layer + " of " + layers + " for " + sequences + " sequences in " + l.layers() + " layer slots");
        }
        int rows = sequences * tokens;
        Plan plan = plan(l, queryHeads, rows, (int) last, device.multiprocessorCount());
        long states = (long) rows * queryHeads;
        Object o = out, lseOut = lse;
        if (plan.splits() > 1) {
            partialO = device.grow(partialO, 4L * MAX_SPLITS * states * l.headDim());
            partialLse = device.grow(partialLse, 4L * MAX_SPLITS * states);
            o = partialO;
            lseOut = partialLse;
        }
        device.module("kivi_attention").kernel(kernelName(l, plan)).launch(rows * plan.groupBlocks(), l.kvHeads(), plan.splits(), THREADS,
                plan.sharedBytes(), params(at, layer, layers, q, o, lseOut, start, tokens, queryHeads, plan, scale));
        if (plan.splits() > 1) merge.launchSplits(partialO, partialLse, plan.splits(), (int) states, l.headDim(), out, lse);
    }

    /** The mirror of KiviAttentionParams (kivi_attention.cu), field by field: 120 bytes, as its static_assert says. */
    static KernelParams params(KiviEncodeKernel.Storage at, int layer, int layers, Object q, Object out, Object lse, int start, int tokens,
                               int queryHeads, Plan plan, float scale) {
        KiviLayout l = at.layout();
        return new KernelParams().pointer(q).pointer(at.keyCodes()).pointer(at.valueCodes()).pointer(at.keyParams()).pointer(at.valueParams())
                .pointer(out).pointer(lse).i32(start).i32(tokens).i32(layer).i32(layers).i32(queryHeads).i32(l.kvHeads()).i32(l.headDim())
                .i32(l.capacity()).i32(l.window()).i32(l.keyGroup()).i32(l.valueGroup()).i32(l.keyWords()).i32(l.valueWords())
                .i32(plan.splitPositions()).i32(plan.tileTokens()).f32(scale);
    }

    @Override
    public void close() {
        for (DeviceBuffer b : new DeviceBuffer[]{partialO, partialLse}) if (b != null) b.close();
        partialO = partialLse = null;
    }

    /**
     * The kernel on the host, one sequence (layer slot {@code layer}): fp32 scores q·k · scale over the dequantized keys,
     * max-subtracted exponentials, output Σ p·v / Σ p over the dequantized values and lse = max + ln Σ p. The kernel
     * visits the same terms split by split and tile by tile with an online max, and scores as q·scale·zero +
     * Σ (q·scale·key scale)·code, so only rounding differs.
     */
    public static void reference(KiviLayout l, int[] keyCodes, int[] valueCodes, float[] keyParams, float[] valueParams, int layer,
                                 float[] q, int start, int tokens, int queryHeads, float scale, float[] out, float[] lse) {
        int d = l.headDim(), group = queryHeads / l.kvHeads();
        float[] key = new float[d], value = new float[d];
        for (int i = 0; i < tokens; i++) {
            int n = (int) ResidualWindow.compressedTokens((long) start + i + 1, l.window()); // c(p), p = start + i
            for (int h = 0; h < queryHeads; h++) {
                int head = h / group, qo = (i * queryHeads + h) * d;
                float[] scores = new float[n];
                float max = Float.NEGATIVE_INFINITY;
                for (int j = 0; j < n; j++) {
                    dequantizeKey(l, keyCodes, keyParams, layer, head, j, key);
                    float dot = 0f;
                    for (int c = 0; c < d; c++) dot += q[qo + c] * key[c];
                    scores[j] = dot * scale;
                    max = Math.max(max, scores[j]);
                }
                float sum = 0f;
                float[] acc = new float[d];
                for (int j = 0; j < n; j++) {
                    float p = (float) Math.exp(scores[j] - max);
                    sum += p;
                    dequantizeValue(l, valueCodes, valueParams, layer, head, j, value);
                    for (int c = 0; c < d; c++) acc[c] += p * value[c];
                }
                for (int c = 0; c < d; c++) out[qo + c] = n == 0 ? 0f : acc[c] / sum;
                lse[i * queryHeads + h] = n == 0 ? Float.NEGATIVE_INFINITY : max + (float) Math.log(sum);
            }
        }
    }

    static void dequantizeKey(KiviLayout l, int[] codes, float[] params, int layer, int head, int position, float[] out) {
        long row = l.rowIndex(layer, head, position, l.keyWords());
        for (int c = 0; c < l.headDim(); c++) {
            int at = (int) l.keyParamIndex(layer, head, position, c);
            out[c] = KiviEncodeKernel.decode(KiviLayout.code(codes, row, c, l.keyBits()), params[at], params[at + 1]);
        }
    }

    static void dequantizeValue(KiviLayout l, int[] codes, float[] params, int layer, int head, int position, float[] out) {
        long row = l.rowIndex(layer, head, position, l.valueWords());
        for (int c = 0; c < l.headDim(); c++) {
            int at = (int) l.valueParamIndex(layer, head, position, c);
            out[c] = KiviEncodeKernel.decode(KiviLayout.code(codes, row, c, l.valueBits()), params[at], params[at + 1]);
        }
    }
}
