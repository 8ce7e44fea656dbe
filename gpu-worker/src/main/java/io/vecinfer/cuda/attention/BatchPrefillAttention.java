package io.vecinfer.cuda.attention;

import io.vecinfer.cuda.CudaDevice;
import io.vecinfer.cuda.DeviceBuffer;
import io.vecinfer.cuda.KernelParams;
import io.vecinfer.kvcache.KvLayout;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A prefill pass of a whole batch in two launches per layer, whatever the batch size: the batch entry points of the
 * prefill kernels ({@link PrefillAttention}'s, {@code attend_prefill_*_batch}: attention_prefill.cu and
 * attention_prefill_wgmma.cu) and of the ring store ({@code store_kv_batch}, attention_window.cu), where
 * {@link Fp16KvRing#store} and {@link Fp16KvRing#attend} launch once per sequence. Each sequence has its own rings,
 * capacity, first position and number of new tokens (its rows packed after the previous sequence's in q, k, v and out,
 * as the decoder packs them), and every CTA computes what the same CTA of that sequence's own launch computes, with
 * the same code: the sums are the per-sequence path's, bit for bit. CPU reference, per sequence:
 * {@link WindowAttention#storeReference} then {@link WindowAttention#attendReference}.
 *
 * <p>The grid is a work list ({@link #work}): one item per (sequence, row tile) of the kernel's rows, the items with
 * the most keys first over the whole batch (one sequence's own launch runs its tiles backwards for the same reason:
 * the longest CTAs start first), and no empty tile, so sequences of very different lengths waste no CTA. The tables
 * (the rings per layer and sequence, {@link RingTables}, then the row starts and the work list) are uploaded in one
 * asynchronous copy per pass by {@link #prepare}.
 */
public final class BatchPrefillAttention implements AutoCloseable {
    private final CudaDevice device;
    private final KvLayout layout;
    private final int window;
    private final PrefillAttention.Kernel kernel;
    private final RingTables tables;
    /** The prepared pass: its tables' layout, sequences, rows and work items; null before the first. */
    private Pass pass;

    private record Pass(RingTables.Layout tables, int batch, int rows, int workItems) {
        long rowStarts() {
            return tables.extra();
        }

        long work() {
            return workOffset(tables, batch);
        }
    }

    /** For rings of {@code layout} (head_dim 64 or 128, {@link PrefillAttention#supports}), window 0, the default kernel. */
    public BatchPrefillAttention(CudaDevice device, KvLayout layout) {
        this(device, layout, 0, new PrefillAttention(device).kernel());
    }

    /**
     * Each query attending its ring's positions [windowStart(p, window), p], computed by {@code kernel} where it runs
     * (else the one a call takes in its place: {@link PrefillAttention#kernelFor}).
     */
    public BatchPrefillAttention(CudaDevice device, KvLayout layout, int window, PrefillAttention.Kernel kernel) {
        if (!PrefillAttention.supports(layout.headDim())) {
            throw new IllegalArgumentException("the prefill kernels have head_dim 64 and 128, not " + layout.headDim());
        }
        if (window < 0) throw new IllegalArgumentException("window " + window);
        this.device = device;
        this.layout = layout;
        this.window = window;
        this.kernel = new PrefillAttention(device, kernel).kernelFor(layout.headDim());
        this.tables = new RingTables(device, layout);
    }

    public KvLayout layout() {
        return layout;
    }

    /** The kernel the launches run. */
    public PrefillAttention.Kernel kernel() {
        return kernel;
    }

    /**
     * The grid's work items, {sequence, row tile} pairs flattened: every row tile of {@code blockRows} (token, head) pairs
     * of every sequence with {@code tokens[s]} new tokens from position {@code starts[s]}, those with the most keys
     * first (ties: by sequence, then the later tile first), none for a sequence without tokens. A tile's keys are the
     * positions its CTA reads: [windowStart(position of its first row), position of its last row].
     */
    public static int[] work(KvLayout layout, int blockRows, int window, int[] starts, int[] tokens) {
        int group = layout.groupSize();
        record Item(int sequence, int tile, long keys) {
        }
        List<Item> items = new ArrayList<>();
        for (int s = 0; s < starts.length; s++) {
            long pairs = (long) tokens[s] * group;
            for (int tile = 0; (long) tile * blockRows < pairs; tile++) {
                long first = (long) tile * blockRows, last = Math.min(first + blockRows, pairs) - 1;
                long lo = WindowAttention.windowStart(starts[s] + first / group, window), hi = starts[s] + last / group;
                items.add(new Item(s, tile, hi - lo + 1));
            }
        }
        items.sort(Comparator.comparingLong(Item::keys).reversed().thenComparingInt(Item::sequence)
                .thenComparing(Comparator.comparingInt(Item::tile).reversed()));
        int[] work = new int[2 * items.size()];
        for (int i = 0; i < items.size(); i++) {
            work[2 * i] = items.get(i).sequence();
            work[2 * i + 1] = items.get(i).tile();
        }
        return work;
    }

    /** Where the work list starts in the tables: after the row starts ([batch + 1] ints), 8-byte aligned (int2). */
    static long workOffset(RingTables.Layout t, int batch) {
        return (t.extra() + 4L * (batch + 1) + 7) / 8 * 8;
    }

    /** The tables' layout of a pass of {@code batch} sequences and {@code workItems} work items. */
    static RingTables.Layout tableLayout(int layers, int batch, int workItems) {
        RingTables.Layout rings = new RingTables.Layout(layers, batch);
        return new RingTables.Layout(layers, batch, workOffset(rings, batch) - rings.extra() + 8L * workItems);
    }

    /**
     * Uploads a pass's tables, in one copy: sequence s stores and attends {@code tokens[s]} new tokens (≥ 1) at
     * positions {@code starts[s]}.. of {@code rings.get(s)}, its rows after those of the sequences before it. Every
     * layer's ring must hold the positions a query reads and the new ones (reserve it first).
     */
    public void prepare(List<Fp16KvRing> rings, int[] starts, int[] tokens) {
        int n = rings.size();
        if (starts.length != n || tokens.length != n) {
            throw new IllegalArgumentException(n + " rings but " + starts.length + " starts and " + tokens.length + " token counts");
        }
        if (n == 0) throw new IllegalArgumentException("no sequences");
        int rows = 0;
        for (int s = 0; s < n; s++) {
            long span = (long) starts[s] + tokens[s] - WindowAttention.windowStart(starts[s], window);
            if (starts[s] < 0 || tokens[s] < 1 || span > rings.get(s).minCapacity()) {
                throw new IllegalArgumentException("sequence " + s + ": " + tokens[s] + " tokens at position " + starts[s] + " (window " + window
                        + ") do not fit a ring of " + rings.get(s).minCapacity() + " slots (reserve it first)");
            }
            rows = Math.addExact(rows, tokens[s]);
        }
        int[] work = work(layout, kernel.rows, window, starts, tokens);
        Pass p = new Pass(tableLayout(layout.layers(), n, work.length / 2), n, rows, work.length / 2);
        ByteBuffer bytes = tables.stage(p.tables(), rings);
        int rowStart = 0;
        for (int s = 0; s < n; s++) {
            bytes.putInt(Math.toIntExact(p.tables().position(s)), starts[s]);
            bytes.putInt(Math.toIntExact(p.rowStarts() + 4L * s), rowStart);
            rowStart += tokens[s];
        }
        bytes.putInt(Math.toIntExact(p.rowStarts() + 4L * n), rowStart);
        for (int i = 0; i < work.length; i++) bytes.putInt(Math.toIntExact(p.work() + 4L * i), work[i]);
        tables.upload(p.tables());
        pass = p;
    }

    /** Layer {@code layer} of the prepared pass: rounds k and v (rows × kvHeads × headDim fp32, post-RoPE) into the rings. */
    public void store(int layer, DeviceBuffer.Slice k, DeviceBuffer.Slice v) {
        Pass p = prepared();
        int width = layout.tokenWidth();
        RingTables.Layout t = p.tables();
        KernelParams params = storeParams(k, v, tables.at(t.keyRing(layer, 0)), tables.at(t.valueRing(layer, 0)), tables.at(t.capacity(layer, 0)),
                tables.at(t.position(0)), tables.at(p.rowStarts()), p.batch(), width);
        device.module("attention_window").kernel("store_kv_batch")
                .launch((width + WindowAttention.THREADS - 1) / WindowAttention.THREADS, p.rows(), 1, WindowAttention.THREADS, 0, params);
    }

    /**
     * Layer {@code layer} of the prepared pass: out (rows × queryHeads × headDim) = each query row's attention over its
     * ring positions [windowStart(p, window), p], and its natural log-sum-exp into {@code lse} (rows × queryHeads) unless null.
     */
    public void attend(int layer, DeviceBuffer.Slice q, float scale, DeviceBuffer.Slice out, DeviceBuffer.Slice lse) {
        Pass p = prepared();
        int d = layout.headDim();
        RingTables.Layout t = p.tables();
        KernelParams params = params(q, tables.at(t.keyRing(layer, 0)), tables.at(t.valueRing(layer, 0)), tables.at(t.capacity(layer, 0)),
                tables.at(t.position(0)), tables.at(p.rowStarts()), tables.at(p.work()), out, lse, window, layout, scale);
        device.module(kernel.module).kernel(kernel.name(d) + "_batch")
                .launch(p.workItems(), layout.kvHeads(), 1, kernel.threads, kernel.sharedBytes(d), params);
    }

    private Pass prepared() {
        if (pass == null) throw new IllegalStateException("prepare a pass first");
        return pass;
    }

    /** The mirror of PrefillBatchParams (attention_prefill_rows.cuh), field by field: 88 bytes, as its static_assert says. */
    static KernelParams params(Object q, Object keyRings, Object valueRings, Object capacities, Object starts, Object rowStarts, Object work,
                               Object out, Object lse, int window, KvLayout layout, float scale) {
        return new KernelParams().pointer(q).pointer(keyRings).pointer(valueRings).pointer(capacities).pointer(starts).pointer(rowStarts)
                .pointer(work).pointer(out).pointer(lse).i32(window).i32(layout.queryHeads()).i32(layout.kvHeads()).f32(scale);
    }

    /** The mirror of StoreBatchParams (attention_window.cu), field by field: 64 bytes, as its static_assert says. */
    static KernelParams storeParams(Object k, Object v, Object keyRings, Object valueRings, Object capacities, Object starts, Object rowStarts,
                                    int sequences, int width) {
        return new KernelParams().pointer(k).pointer(v).pointer(keyRings).pointer(valueRings).pointer(capacities).pointer(starts)
                .pointer(rowStarts).i32(sequences).i32(width);
    }

    @Override
    public void close() {
        tables.close();
    }
}
