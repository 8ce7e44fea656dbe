package io.vecinfer.cuda.attention;

import io.vecinfer.cuda.CudaDevice;
import io.vecinfer.cuda.DeviceBuffer;
import io.vecinfer.cuda.KernelParams;
import io.vecinfer.kvcache.KvLayout;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * The batch kernel of attention_decode.cu: a decode step of a whole batch (one new token per sequence, each sequence
 * with its own fp16 ring and length) in one launch per layer, whatever the batch size, which stores the new keys and
 * values, runs the split-KV attention and combines the splits (its last CTA of each row block, by a ticket). Window 0 attends every position (the fp16 dense cache); window R the
 * positions [windowStart(p, R), p] of a compressed cache's residual-window ring, whose log-sum-exp the caller then
 * merges with the compressed part's. CPU reference: {@link #reference}, which is per sequence
 * {@link WindowAttention#storeReference} then {@link WindowAttention#attendReference}.
 *
 * <p>What differs between sequences (their rings, capacities, positions) sits in device tables that {@link #prepare}
 * uploads in one asynchronous copy from pinned memory per step ({@link RingTables}), and the grid depends on the
 * batch size only ({@link #plan}): for one batch size and the same q/k/v/out buffers a step's launches are identical
 * every step, which is what a CUDA graph replay needs.
 */
public final class BatchDecodeAttention implements AutoCloseable {

    private final CudaDevice device;
    private final KvLayout layout;
    private final int window;
    private final RingTables tables;
    private DeviceBuffer scratch, tickets;
    private int batch;
    private Plan plan;
    private int minSplitPositions = DecodeAttention.MIN_SPLIT_POSITIONS;
    private int generation;
    /** Generations are unique in the JVM, so that two instances' never compare equal. */
    private static final java.util.concurrent.atomic.AtomicInteger GENERATIONS = new java.util.concurrent.atomic.AtomicInteger();

    /** For rings of {@code layout} (every layer of every sequence); head_dim 64 or 128 ({@link DecodeAttention#supports}); window 0. */
    public BatchDecodeAttention(CudaDevice device, KvLayout layout) {
        this(device, layout, 0);
    }

    /** As above, each new token attending its ring's positions [windowStart(p, window), p]. */
    public BatchDecodeAttention(CudaDevice device, KvLayout layout, int window) {
        if (!DecodeAttention.supports(layout.headDim())) {
            throw new IllegalArgumentException("the batch decode kernels have head_dim 64 and 128, not " + layout.headDim());
        }
        if (window < 0) throw new IllegalArgumentException("window " + window);
        this.device = device;
        this.layout = layout;
        this.window = window;
        this.tables = new RingTables(device, layout);
    }

    public int window() {
        return window;
    }

    public KvLayout layout() {
        return layout;
    }

    /**
     * How a batch is cut: row blocks of {@link DecodeAttention#ROWS_PER_BLOCK} of a sequence's GQA group per KV head, and
     * at most {@code splits} position ranges per sequence, chosen from the batch size so that the grid fills one wave of
     * {@link DecodeAttention#RESIDENT_CTAS_PER_SM} CTAs per SM when every sequence is long, never more; if one wave
     * leaves a sequence fewer than 2 ranges, two waves (a second wave evens out the CTAs' uneven pace, which one long
     * range per sequence cannot). Measured on the 8B heads at 4096 positions (decode-attention-notes.md, calls 2 and 3):
     * one wave at batch 8 (4 splits) 43.6-43.7 µs a layer against 47.0-47.2 for two; at batch 32 two waves (2 splits)
     * 137.2 against one's 134.2-142.5 (the calls disagree); at batch 1 the shortest ranges decide (33 splits are cut to
     * 16 by {@link DecodeAttention#MIN_SPLIT_POSITIONS}). Each sequence then cuts its own positions into ranges of
     * max({@link DecodeAttention#MIN_SPLIT_POSITIONS}, ceil(span / splits)) on the device.
     */
    public record Plan(int rowBlocks, int splits) {
    }

    public static Plan plan(KvLayout layout, int batch, int multiprocessors) {
        int rowBlocks = (layout.groupSize() + DecodeAttention.ROWS_PER_BLOCK - 1) / DecodeAttention.ROWS_PER_BLOCK;
        long perSplit = (long) layout.kvHeads() * rowBlocks * batch, wave = (long) DecodeAttention.RESIDENT_CTAS_PER_SM * multiprocessors;
        long splits = wave / perSplit;
        if (splits < 2) splits = 2 * wave / perSplit;
        return new Plan(rowBlocks, (int) Math.max(1, splits));
    }

    /** The split a sequence with its new token at {@code position} uses, as sequence_splits in attention_decode.cu. */
    public static int[] sequenceSplits(int position, int window, int splits, int minPositions) {
        int span = position + 1 - (int) WindowAttention.windowStart(position, window);
        int positions = Math.max(minPositions, (span + splits - 1) / splits);
        return new int[]{positions, (span + positions - 1) / positions};
    }

    /**
     * Uploads a step's tables, in one copy: sequence s stores its new token at {@code positions[s]} of
     * {@code rings.get(s)} and attends its positions [windowStart(positions[s], window), positions[s]]. Every ring must
     * hold them (capacity > the span).
     */
    public void prepare(List<Fp16KvRing> rings, int[] positions) {
        prepare(rings, positions, 0);
    }

    /**
     * As {@link #prepare(List, int[])} with {@code splits} position ranges per sequence instead of the plan's (0: the
     * plan's), for benchmarks that time another split count against the plan's.
     */
    public void prepare(List<Fp16KvRing> rings, int[] positions, int splits) {
        prepare(rings, positions, splits, DecodeAttention.MIN_SPLIT_POSITIONS);
    }

    /**
     * As {@link #prepare(List, int[], int)} with at least {@code minSplitPositions} positions per range instead of
     * {@link DecodeAttention#MIN_SPLIT_POSITIONS}, for benchmarks that time shorter ranges of short contexts.
     */
    public void prepare(List<Fp16KvRing> rings, int[] positions, int splits, int minSplitPositions) {
        if (minSplitPositions < 1) throw new IllegalArgumentException("minSplitPositions " + minSplitPositions + " < 1");
        int n = rings.size(), layers = layout.layers();
        if (positions.length != n) throw new IllegalArgumentException(n + " rings but " + positions.length + " positions");
        RingTables.Layout t = new RingTables.Layout(layers, n);
        // The rings' part (addresses and capacities, 20 bytes a layer and sequence) is rewritten only when the rings or
        // where they live changed since the last step: a decode step's host work is then the positions alone.
        ByteBuffer bytes = tables.stage(t, rings);
        for (int s = 0; s < n; s++) {
            Fp16KvRing ring = rings.get(s);
            long span = positions[s] + 1L - WindowAttention.windowStart(positions[s], window); // window 0: position + 1
            if (positions[s] < 0 || span > ring.minCapacity()) {
                throw new IllegalArgumentException("sequence " + s + ": position " + positions[s] + " (window " + window
                        + ") does not fit a ring of " + ring.minCapacity() + " slots (reserve it first)");
            }
            bytes.putInt(Math.toIntExact(t.position(s)), positions[s]);
        }
        Plan wanted = plan(layout, n, device.multiprocessorCount());
        if (splits > 0) wanted = new Plan(wanted.rowBlocks(), splits);
        // A new plan is a new grid: a recorded step of the old one must not be replayed (generation below).
        boolean replanned = !wanted.equals(plan) || minSplitPositions != this.minSplitPositions;
        plan = wanted;
        this.minSplitPositions = minSplitPositions;
        batch = n;
        // Both only grow, so that the addresses in a step's launch parameters stay valid until generation() changes.
        DeviceBuffer oldScratch = scratch, oldTickets = tickets;
        boolean tablesMoved = tables.upload(t);
        long partials = (long) n * layout.queryHeads() * plan.splits();
        scratch = device.grow(scratch, 4L * partials * (layout.headDim() + 2));
        // One ticket per (sequence, KV head, row block): zero between launches (the kernel's last CTA of each resets its own).
        tickets = device.grow(tickets, 4L * n * layout.kvHeads() * plan.rowBlocks());
        if (tickets != oldTickets) tickets.clear();
        if (replanned || tablesMoved || scratch != oldScratch || tickets != oldTickets) generation = GENERATIONS.incrementAndGet();
    }

    /**
     * Layer {@code layer} of the prepared step: stores k and v (batch × kvHeads × headDim fp32, post-RoPE) and writes
     * out (batch × queryHeads × headDim) = each sequence's new query row's attention over its positions [0, position].
     */
    public void storeAndAttend(int layer, DeviceBuffer.Slice q, DeviceBuffer.Slice k, DeviceBuffer.Slice v, float scale, DeviceBuffer.Slice out) {
        storeAndAttend(layer, q, k, v, scale, out, null);
    }

    /** As above, and each row's natural log-sum-exp of its scaled scores into {@code lse} (batch × queryHeads), unless null. */
    public void storeAndAttend(int layer, DeviceBuffer.Slice q, DeviceBuffer.Slice k, DeviceBuffer.Slice v, float scale, DeviceBuffer.Slice out,
                               DeviceBuffer.Slice lse) {
        if (plan == null) throw new IllegalStateException("prepare a step first");
        int d = layout.headDim();
        KernelParams params = params(layer, q, k, v, out, lse, scale);
        device.module("attention_decode").kernel("attend_decode_batch_d" + d)
                .launch(plan.splits(), layout.kvHeads(), batch * plan.rowBlocks(), DecodeAttention.THREADS, DecodeAttention.ringBytes(d), params);
    }

    /**
     * Changes whenever the tables or the scratch move to new device memory or the plan (the grid) changes: a recorded
     * step (a CUDA graph) of the same batch size stays valid while this stays the same.
     */
    public int generation() {
        return generation;
    }

    /** The plan of the prepared step. */
    public Plan plan() {
        return plan;
    }

    /** Layer {@code layer}'s launch parameters over the prepared tables and scratch. */
    private KernelParams params(int layer, DeviceBuffer.Slice q, DeviceBuffer.Slice k, DeviceBuffer.Slice v, DeviceBuffer.Slice out,
                                DeviceBuffer.Slice lse, float scale) {
        RingTables.Layout t = new RingTables.Layout(layout.layers(), batch);
        long partials = (long) batch * layout.queryHeads() * plan.splits();
        return params(q, k, v, tables.at(t.keyRing(layer, 0)), tables.at(t.valueRing(layer, 0)), tables.at(t.capacity(layer, 0)),
                tables.at(t.position(0)), scratch.from(0), scratch.from(partials * layout.headDim()),
                scratch.from(partials * (layout.headDim() + 1)), out, lse, tickets, batch, layout, plan, minSplitPositions, window, scale);
    }

    /** The mirror of BatchDecodeParams (attention_decode.cu), field by field: 136 bytes, as its static_assert says. */
    static KernelParams params(Object q, Object k, Object v, Object keyRings, Object valueRings, Object capacities, Object positions,
                               Object partialAcc, Object partialMax, Object partialSum, Object out, Object lse, Object tickets, int batch,
                               KvLayout layout, Plan plan, int minSplitPositions, int window, float scale) {
        return new KernelParams().pointer(q).pointer(k).pointer(v).pointer(keyRings).pointer(valueRings).pointer(capacities).pointer(positions)
                .pointer(partialAcc).pointer(partialMax).pointer(partialSum).pointer(out).pointer(lse).pointer(tickets).i32(batch).i32(layout.queryHeads())
                .i32(layout.kvHeads()).i32(layout.headDim()).i32(plan.splits()).i32(minSplitPositions).i32(window).f32(scale);
    }

    /**
     * The batch kernels' function: for each sequence s, store_kv of its new key and value rows (k and v hold batch ×
     * tokenWidth floats) into slot positions[s] % capacities[s] of its rings, then its one query row's attention over
     * positions [windowStart(positions[s], window), positions[s]] into out (batch × queryHeads × headDim) and, unless null,
     * lse (batch × queryHeads), as {@link WindowAttention#attendReference}.
     */
    public static void reference(float[] q, float[] k, float[] v, short[][] keyRings, short[][] valueRings, int[] capacities, int[] positions,
                                 KvLayout layout, int window, float scale, float[] out, float[] lse) {
        int width = layout.tokenWidth(), rowWidth = layout.queryHeads() * layout.headDim();
        for (int s = 0; s < positions.length; s++) {
            float[] ks = java.util.Arrays.copyOfRange(k, s * width, (s + 1) * width), vs = java.util.Arrays.copyOfRange(v, s * width, (s + 1) * width);
            WindowAttention.storeReference(ks, vs, keyRings[s], valueRings[s], layout, capacities[s], positions[s], 1);
            float[] qs = java.util.Arrays.copyOfRange(q, s * rowWidth, (s + 1) * rowWidth), os = new float[rowWidth];
            float[] ls = lse == null ? null : new float[layout.queryHeads()];
            WindowAttention.attendReference(qs, keyRings[s], valueRings[s], layout, capacities[s], window, positions[s], 1, scale, os, ls);
            System.arraycopy(os, 0, out, s * rowWidth, rowWidth);
            if (ls != null) System.arraycopy(ls, 0, lse, s * layout.queryHeads(), ls.length);
        }
    }

    @Override
    public void close() {
        tables.close();
        if (scratch != null) scratch.close();
        if (tickets != null) tickets.close();
        scratch = tickets = null;
    }
}
