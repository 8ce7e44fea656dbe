package io.vecinfer.cuda.decoder;

import io.vecinfer.cuda.CudaDevice;
import io.vecinfer.cuda.DeviceBuffer;
import io.vecinfer.cuda.PinnedStaging;
import io.vecinfer.cuda.attention.BatchDecodeAttention;
import io.vecinfer.cuda.attention.DecodeAttention;
import io.vecinfer.cuda.attention.Fp16KvRing;
import io.vecinfer.cuda.vq.VqAttentionKernel;
import io.vecinfer.cuda.vq.VqCodeLayout;
import io.vecinfer.cuda.vq.VqSequenceCodes;
import io.vecinfer.decoder.Sequence;
import io.vecinfer.kvcache.KvLayout;
import io.vecinfer.quant.ResidualWindow;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A decode step of VQ caches of one method for the whole batch in five launches per layer, whatever the batch size,
 * where the per-sequence path ({@link DeviceVqKvCache#appendAndAttend}) costs about as many per sequence:
 * <ol>
 *   <li>store the new keys and values into each cache's window ring and attend each ring's window [c(p), p]
 *       ({@link BatchDecodeAttention} with window R: store, split, combine, lse kept);</li>
 *   <li>attend each cache's compressed positions [0, c(p)) in its own code arrays (the decoder's {@link VqAttentionKernel}
 *       plan over {@link VqSequenceCodes} tables: row r is sequence r);</li>
 *   <li>merge the two parts by log-sum-exp.</li>
 * </ol>
 * c(p) = {@link ResidualWindow#compressedTokens}(p + 1, R), as the per-sequence path splits. A block
 * that leaves the window is encoded before the step, per cache ({@link DeviceWindowedKvCache#beginBatchStep}), so
 * the layers launch the same kernels every step: what changes (positions, code arrays when they grow) is in tables
 * {@link #begin} uploads, and {@link #generation} changes when a recorded step ({@link DecodeGraph}) would be stale.
 *
 * <p>The VQ plan is made for the batch's longest compressed length rounded up to eighths of its power of two
 * ({@link #planLength}), so that it, and with it the grid, changes a few times per doubling of the context rather
 * than every block: the last split of a plan takes whatever is left, so a longer plan loses no token, and rows with
 * fewer compressed tokens write empty splits.
 */
final class VqDecodeBatch implements AutoCloseable {
    private final CudaDevice device;
    private DeviceVqMethod method;
    private BatchDecodeAttention window;
    private DeviceBuffer tables, windowLse, compressedO, compressedLse;
    private PinnedStaging staging;
    private VqAttentionKernel.Plan plan;
    private VqSequenceCodes codes;
    /** The rows' sequences and positions in {@link #tables}, as the VQ kernel reads them. */
    private DeviceBuffer.Slice rowSequence, rowPosition;
    private List<DeviceVqKvCache> caches = List.of();
    private int batch, generation, windowGeneration = -1, scratchGeneration = -1;
    /** Shared with nothing else: a recording of this step never equals one of the dense step ({@link DecodeGraph.Shape} holds the step too). */
    private static final AtomicInteger GENERATIONS = new AtomicInteger();

    VqDecodeBatch(CudaDevice device) {
        this.device = device;
    }

    /** A step of one new token for every sequence, each with a {@link DeviceVqKvCache} of one method past any exact prompt. */
    static boolean applies(List<Sequence<DeviceKvCache>> sequences, List<int[]> newTokens) {
        DeviceVqMethod first = null;
        for (int s = 0; s < sequences.size(); s++) {
            if (newTokens.get(s).length != 1) return false;
            if (!(sequences.get(s).cache() instanceof DeviceVqKvCache cache) || !cache.takesBatchSteps()) return false;
            if (first == null) first = cache.method();
            if (cache.method() != first || !DecodeAttention.supports(cache.layout().headDim())) return false;
        }
        return first != null;
    }

    /** The compressed length a plan is made for: at least 1024, rounded up to a multiple of an eighth of its power of two. */
    static int planLength(int maxCompressed) {
        if (maxCompressed <= 1024) return 1024;
        int eighth = Integer.highestOneBit(maxCompressed) / 8;
        return (int) Math.min(Integer.MAX_VALUE, ((long) maxCompressed + eighth - 1) / eighth * eighth);
    }

    /** Starts a step when it {@link #applies}: encodes flushed blocks, plans, uploads the tables; false (nothing done) otherwise. */
    boolean begin(List<Sequence<DeviceKvCache>> sequences, List<int[]> newTokens) {
        caches = List.of();
        if (!applies(sequences, newTokens)) return false;
        int n = sequences.size();
        List<DeviceVqKvCache> stepCaches = new ArrayList<>(n);
        List<Fp16KvRing> rings = new ArrayList<>(n);
        int[] positions = new int[n];
        int maxCompressed = 0;
        for (int s = 0; s < n; s++) {
            DeviceVqKvCache cache = (DeviceVqKvCache) sequences.get(s).cache();
            positions[s] = sequences.get(s).position();
            rings.add(cache.beginBatchStep(positions[s]));
            stepCaches.add(cache);
            maxCompressed = Math.max(maxCompressed, (int) ResidualWindow.compressedTokens(positions[s] + 1L, cache.window));
        }
        DeviceVqMethod stepMethod = stepCaches.get(0).method();
        KvLayout layout = rings.get(0).layout();
        boolean moved = stepMethod != method || n != batch;
        if (window == null || !window.layout().equals(layout) || window.window() != stepCaches.get(0).window) {
            if (window != null) window.close();
            window = new BatchDecodeAttention(device, layout, stepCaches.get(0).window);
            moved = true;
        }
        method = stepMethod;
        window.prepare(rings, positions);
        VqAttentionKernel.Plan wanted = method.attention.plan(method.flat, n, planLength(maxCompressed));
        method.attention.reserveScratch(method.flat, wanted, n);
        moved |= !wanted.equals(plan) || window.generation() != windowGeneration || method.attention.scratchGeneration() != scratchGeneration;
        plan = wanted;
        windowGeneration = window.generation();
        scratchGeneration = method.attention.scratchGeneration();
        batch = n;
        moved |= upload(stepCaches, positions, layout);
        if (moved) generation = GENERATIONS.incrementAndGet();
        caches = stepCaches;
        return true;
    }

    /**
     * One asynchronous copy of the step's tables (from pinned memory): each cache's key and value array addresses [batch] (8 bytes each), their capacities,
     * the rows' sequences (row r is sequence r) and positions [batch] (4 bytes each). Returns whether a buffer moved.
     */
    private boolean upload(List<DeviceVqKvCache> stepCaches, int[] positions, KvLayout layout) {
        int n = stepCaches.size();
        TableLayout t = new TableLayout(n);
        long bytes = t.bytes();
        if (staging == null) staging = new PinnedStaging(device);
        ByteBuffer table = staging.begin(bytes);
        VqCodeLayout keyShape = null, valueShape = null;
        for (int s = 0; s < n; s++) {
            DeviceVqKvCache cache = stepCaches.get(s);
            VqCodeLayout keys = cache.keyLayout(), values = cache.valueLayout();
            if (!VqSequenceCodes.aligned(keys, values, keys.capacity())) {
                throw new IllegalStateException("sequence " + s + ": code arrays of " + keys.capacity() + " positions are not 16-byte aligned per run");
            }
            if (keyShape == null || keys.capacity() < keyShape.capacity()) {
                keyShape = keys;
                valueShape = values;
            }
            table.putLong(t.keyArray(s), cache.keyCodes().address());
            table.putLong(t.valueArray(s), cache.valueCodes().address());
            table.putInt(t.capacity(s), keys.capacity());
            table.putInt(t.rowSequence(s), s);
            table.putInt(t.rowPosition(s), positions[s]);
        }
        DeviceBuffer oldTables = tables, oldLse = windowLse, oldO = compressedO, oldCompressedLse = compressedLse;
        long states = (long) n * layout.queryHeads();
        tables = device.grow(tables, bytes);
        windowLse = device.grow(windowLse, 4 * states);
        compressedO = device.grow(compressedO, 4 * states * layout.headDim());
        compressedLse = device.grow(compressedLse, 4 * states);
        staging.copy(0, bytes, tables, 0);
        codes = new VqSequenceCodes(at(t.keyArray(0)), at(t.valueArray(0)), at(t.capacity(0)), keyShape, valueShape);
        rowSequence = at(t.rowSequence(0));
        rowPosition = at(t.rowPosition(0));
        return tables != oldTables || windowLse != oldLse || compressedO != oldO || compressedLse != oldCompressedLse;
    }

    private DeviceBuffer.Slice at(int byteOffset) {
        return new DeviceBuffer.Slice(tables, byteOffset);
    }

    /**
     * Where the step's tables sit in the one uploaded buffer, in bytes: key and value code array addresses [batch]
     * (8 bytes each), then capacities, row sequences and row positions [batch] (4 bytes each).
     */
    private record TableLayout(int batch) {
        int keyArray(int s) {
            return 8 * s;
        }

        int valueArray(int s) {
            return 8 * (batch + s);
        }

        int capacity(int s) {
            return 16 * batch + 4 * s;
        }

        int rowSequence(int s) {
            return 20 * batch + 4 * s;
        }

        int rowPosition(int s) {
            return 24 * batch + 4 * s;
        }

        int bytes() {
            return 28 * batch;
        }
    }

    /** Layer {@code layer} of the step begun: rows are sequences; out (batch × queryHeads × headDim) gets the merged attention. */
    void storeAndAttend(int layer, DeviceBuffer.Slice q, DeviceBuffer.Slice k, DeviceBuffer.Slice v, float scale, DeviceBuffer.Slice out) {
        int n = batch, r = window.window();
        KvLayout layout = window.layout();
        window.storeAndAttend(layer, q, k, v, scale, out, windowLse.from(0));
        method.attention.launch(method.deviceBooks, layer, plan, q, n, rowSequence, rowPosition, r, scale, codes, compressedO, compressedLse);
        method.merge.launch(out, windowLse, compressedO, compressedLse, n * layout.queryHeads(), layout.headDim(), out, windowLse);
    }

    /** Ends the step: every cache holds the new token in every layer. */
    void end() {
        for (DeviceVqKvCache cache : caches) cache.endBatchStep();
        caches = List.of();
    }

    /** Changes whenever a recorded step of this batch size would be stale: a new method, plan, window or moved table or scratch. */
    int generation() {
        return generation;
    }

    @Override
    public void close() {
        if (window != null) window.close();
        for (DeviceBuffer b : new DeviceBuffer[]{tables, windowLse, compressedO, compressedLse}) if (b != null) b.close();
        if (staging != null) staging.close();
        window = null;
        staging = null;
        tables = windowLse = compressedO = compressedLse = null;
    }
}
