package io.vecinfer.cuda.decoder;

import io.vecinfer.cuda.CudaDevice;
import io.vecinfer.cuda.DeviceBuffer;
import io.vecinfer.cuda.attention.BatchDecodeAttention;
import io.vecinfer.cuda.attention.DecodeAttention;
import io.vecinfer.cuda.attention.Fp16KvRing;
import io.vecinfer.decoder.Sequence;
import io.vecinfer.kvcache.KvLayout;

import java.util.ArrayList;
import java.util.List;

/**
 * A decode step of the whole batch in one attention launch per kernel per layer, where the per-sequence path
 * ({@link DeviceKvCache#appendAndAttend}) launches its kernels once per sequence. Two kinds of step:
 * <ul>
 *   <li>fp16 dense caches: {@link BatchDecodeAttention} (store, split, combine);</li>
 *   <li>VQ caches of one method: {@link VqDecodeBatch} (window store and attention, VQ attention, merge).</li>
 * </ul>
 * It takes a step when every sequence has exactly one new token and caches of one kind, with head_dim 64 or 128;
 * anything else (prefill chunks, KIVI caches, mixed batches, other head sizes) stays on the per-sequence path.
 */
final class DecodeBatch implements AutoCloseable {
    /** Whether VQ steps take the batch path: yes unless -Dvecinfer.cuda.batchVq=false (benchmarks time the per-sequence path beside it). */
    static final boolean BATCH_VQ = !"false".equalsIgnoreCase(System.getProperty("vecinfer.cuda.batchVq"));

    private final CudaDevice device;
    private BatchDecodeAttention attention;
    private final VqDecodeBatch vq;
    private List<DenseDeviceKvCache> caches = List.of();
    /** The step begun: {@link #attention} (dense), {@link #vq}, or null. */
    private Object step;

    DecodeBatch(CudaDevice device) {
        this.device = device;
        this.vq = new VqDecodeBatch(device);
    }

    /** Whether the step can take the batch path (see the class comment). */
    static boolean applies(List<Sequence<DeviceKvCache>> sequences, List<int[]> newTokens) {
        return appliesDense(sequences, newTokens) || (BATCH_VQ && VqDecodeBatch.applies(sequences, newTokens));
    }

    private static boolean appliesDense(List<Sequence<DeviceKvCache>> sequences, List<int[]> newTokens) {
        for (int s = 0; s < sequences.size(); s++) {
            if (newTokens.get(s).length != 1) return false;
            if (!(sequences.get(s).cache() instanceof DenseDeviceKvCache cache)) return false;
            if (!DecodeAttention.supports(cache.layout().headDim())) return false;
        }
        return !sequences.isEmpty();
    }

    /**
     * Starts a step when it {@link #applies}: reserves one more slot in every sequence's rings and uploads the tables.
     * Returns false (and does nothing) when it does not apply.
     */
    boolean begin(List<Sequence<DeviceKvCache>> sequences, List<int[]> newTokens) {
        caches = List.of();
        step = null;
        if (BATCH_VQ && vq.begin(sequences, newTokens)) {
            step = vq;
            return true;
        }
        if (!appliesDense(sequences, newTokens)) return false;
        List<DenseDeviceKvCache> stepCaches = new ArrayList<>(sequences.size());
        List<Fp16KvRing> rings = new ArrayList<>(sequences.size());
        int[] positions = new int[sequences.size()];
        for (int s = 0; s < sequences.size(); s++) {
            DenseDeviceKvCache cache = (DenseDeviceKvCache) sequences.get(s).cache();
            positions[s] = sequences.get(s).position();
            rings.add(cache.reserveMore(positions[s], 1));
            stepCaches.add(cache);
        }
        KvLayout layout = rings.get(0).layout();
        if (attention == null || !attention.layout().equals(layout)) {
            if (attention != null) attention.close();
            attention = new BatchDecodeAttention(device, layout);
        }
        attention.prepare(rings, positions);
        caches = stepCaches;
        step = attention;
        return true;
    }

    /** Layer {@code layer} of the step begun: rows are sequences. */
    void storeAndAttend(int layer, DeviceBuffer.Slice q, DeviceBuffer.Slice k, DeviceBuffer.Slice v, float scale, DeviceBuffer.Slice out) {
        if (step == vq) vq.storeAndAttend(layer, q, k, v, scale, out);
        else attention.storeAndAttend(layer, q, k, v, scale, out);
    }

    /** Ends the step: every cache holds the new token in every layer. */
    void end() {
        if (step == vq) vq.end();
        for (DenseDeviceKvCache cache : caches) cache.storedMore(1);
        caches = List.of();
        step = null;
    }

    /** The step begun (its kernels' owner), for {@link DecodeGraph.Shape}: a recording of one kind never replays for the other. */
    Object step() {
        return step;
    }

    /** See {@link BatchDecodeAttention#generation} and {@link VqDecodeBatch#generation}: of the step begun. */
    int generation() {
        if (step == vq) return vq.generation();
        return attention == null ? -1 : attention.generation();
    }

    @Override
    public void close() {
        if (attention != null) attention.close();
        attention = null;
        vq.close();
    }
}
