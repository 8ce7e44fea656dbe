package io.vecinfer.cuda.attention;

import io.vecinfer.cuda.CudaDevice;
import io.vecinfer.cuda.DeviceBuffer;
import io.vecinfer.cuda.KernelParams;
import io.vecinfer.kvcache.KvLayout;

/**
 * The attention_decode family (attention_decode.cu): split-KV attention for a few query tokens over long contexts,
 * with exactly the semantics of {@link WindowAttention#attend} (CPU reference: {@link WindowAttention#attendReference}).
 * The positions are cut into {@link Plan#splits} ranges, one CTA per (range, KV head, block of {@link #ROWS_PER_BLOCK}
 * query rows), each writing a partial (max, sum, Σ p·v) to scratch that this object owns; a second kernel merges them
 * by log-sum-exp. The split runs on tensor cores with fp32 accuracy (queries and softmax weights split into fp16
 * hi + lo, keys and values as stored).
 */
public final class DecodeAttention implements AutoCloseable {
    static final int THREADS = 128; // as in attention_decode.cu
    /** Query rows (token, head of the group) a CTA serves: the mma's N, MMA_ROWS in attention_decode.cu. */
    public static final int ROWS_PER_BLOCK = 8;
    private static final int STAGES = 3, TILE_POSITIONS = 16, WARPS = THREADS / 32; // SPLIT_STAGES, MMA_TILE, MMA_WARPS

    /**
     * Dynamic shared memory of the split kernel, as mma_ring_bytes(D, SPLIT_STAGES) in attention_decode.cu: each of the
     * 4 warps' rings of 3 tiles of 16 positions' keys and values: 96 KB at head_dim 128, 48 KB at 64.
     */
    static int ringBytes(int headDim) {
        return WARPS * STAGES * 2 * TILE_POSITIONS * headDim * 2;
    }
    /**
     * Split CTAs resident on an SM at once: two 96 KB rings fill its shared memory at head_dim 128 (at 64 more would fit;
     * planning for two leaves those splits longer, which costs little). The plans aim at one wave of them.
     */
    public static final int RESIDENT_CTAS_PER_SM = 2;
    /**
     * Fewest positions per split: 4 of a CTA's iterations (4 warps × 16 positions each), so that a split's fixed costs
     * (its queries' fragments, the ring's first fill, the warps' merge, its partial written and merged) stay small
     * against its stream. Measured on the 8B's batch-1 step at 4096 positions (decode-attention-notes.md, call 3):
     * 16 splits of 256 positions 13.65 µs a layer, 33 of 124 14.33, 66 of 62 18.92.
     */
    public static final int MIN_SPLIT_POSITIONS = 256;

    private final CudaDevice device;
    private DeviceBuffer scratch;

    public DecodeAttention(CudaDevice device) {
        this.device = device;
    }

    /** Head sizes with an instantiation of the kernels. */
    public static boolean supports(int headDim) {
        return headDim == 64 || headDim == 128;
    }

    /**
     * How one call is cut: row blocks of {@link #ROWS_PER_BLOCK} per KV head, and splits of splitPositions consecutive
     * positions (splits · splitPositions ≥ the longest block's positions).
     */
    public record Plan(int rowBlocks, int splits, int splitPositions) {
        public int ctas(KvLayout layout) {
            return splits * layout.kvHeads() * rowBlocks;
        }
    }

    /**
     * The split of a call of {@code tokens} queries at positions start..: the first token has the lowest window start,
     * so span = start + tokens - lo(start) bounds every row block's positions. Splits fill one wave of
     * {@link #RESIDENT_CTAS_PER_SM} CTAs per SM but keep at least {@link #MIN_SPLIT_POSITIONS} positions each (a short
     * context gets one split).
     */
    public static Plan plan(KvLayout layout, int start, int tokens, int window, int multiprocessors) {
        return plan(layout, start, tokens, window, multiprocessors, RESIDENT_CTAS_PER_SM);
    }

    /** The same rule aiming at {@code ctasPerSm} CTAs per SM (the benchmark sweeps it). */
    public static Plan plan(KvLayout layout, int start, int tokens, int window, int multiprocessors, int ctasPerSm) {
        int pairs = tokens * layout.groupSize();
        int rowBlocks = (pairs + ROWS_PER_BLOCK - 1) / ROWS_PER_BLOCK;
        long span = (long) start + tokens - WindowAttention.windowStart(start, window);
        long wanted = ((long) ctasPerSm * multiprocessors + (long) layout.kvHeads() * rowBlocks - 1) / ((long) layout.kvHeads() * rowBlocks);
        long most = Math.max(1, span / MIN_SPLIT_POSITIONS);
        int splits = (int) Math.max(1, Math.min(wanted, most));
        int splitPositions = (int) ((span + splits - 1) / splits);
        splits = (int) ((span + splitPositions - 1) / splitPositions); // no split left empty by the rounding up
        return new Plan(rowBlocks, splits, splitPositions);
    }

    /** See {@link WindowAttention#attend}; head_dim must be 64 or 128 ({@link #supports}). */
    public void attend(DeviceBuffer.Slice q, DeviceBuffer keyRing, DeviceBuffer valueRing, KvLayout layout, int capacity, int window,
                       int start, int tokens, float scale, DeviceBuffer.Slice out, DeviceBuffer.Slice lse) {
        attend(plan(layout, start, tokens, window, device.multiprocessorCount()), q, keyRing, valueRing, layout, capacity, window, start,
                tokens, scale, out, lse);
    }

    /** With a given plan (tests force several splits on short contexts with it). */
    public void attend(Plan plan, DeviceBuffer.Slice q, DeviceBuffer keyRing, DeviceBuffer valueRing, KvLayout layout, int capacity, int window,
                       int start, int tokens, float scale, DeviceBuffer.Slice out, DeviceBuffer.Slice lse) {
        if (!supports(layout.headDim())) throw new IllegalArgumentException("the decode kernel has head_dim 64 and 128, not " + layout.headDim());
        long span = (long) start + tokens - WindowAttention.windowStart(start, window);
        if ((long) plan.splits() * plan.splitPositions() < span) {
            throw new IllegalArgumentException(plan + " covers fewer than the " + span + " positions of the call");
        }
        int d = layout.headDim();
        long rows = (long) tokens * layout.queryHeads(), partials = rows * plan.splits();
        // scratch: acc [rows][splits][D], then max [rows][splits], then sum [rows][splits], all fp32
        scratch = device.grow(scratch, 4L * partials * (d + 2));
        KernelParams params = params(q, keyRing, valueRing, scratch.from(0), scratch.from(partials * d), scratch.from(partials * (d + 1)),
                out, lse, start, tokens, capacity, window, layout, plan, scale);
        var module = device.module("attention_decode");
        module.kernel("attend_decode_d" + d).launch(plan.splits(), layout.kvHeads(), plan.rowBlocks(), THREADS, ringBytes(d), params);
        module.kernel("decode_combine_d" + d).launch(Math.toIntExact(rows), 1, 1, d, Float.BYTES * plan.splits(), params);
    }

    /** The mirror of DecodeParams (attention_decode.cu), field by field: 104 bytes, as its static_assert says. */
    static KernelParams params(Object q, Object keyRing, Object valueRing, Object partialAcc, Object partialMax, Object partialSum, Object out,
                               Object lse, int start, int tokens, int capacity, int window, KvLayout layout, Plan plan, float scale) {
        return new KernelParams().pointer(q).pointer(keyRing).pointer(valueRing).pointer(partialAcc).pointer(partialMax).pointer(partialSum)
                .pointer(out).pointer(lse).i32(start).i32(tokens).i32(capacity).i32(window).i32(layout.queryHeads()).i32(layout.kvHeads())
                .i32(plan.splits()).i32(plan.splitPositions()).f32(scale);
    }

    @Override
    public void close() {
        if (scratch != null) scratch.close();
        scratch = null;
    }
}
