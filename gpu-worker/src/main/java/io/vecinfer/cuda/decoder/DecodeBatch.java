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
 * A decode step of fp16 dense caches in one attention launch per layer for the whole batch ({@link BatchDecodeAttention}:
 * store, split, combine), where the per-sequence path ({@link DeviceKvCache#appendAndAttend}) costs those three per
 * sequence. It takes a step when every sequence has exactly one new token and a {@link DenseDeviceKvCache}, with head_dim
 * 64 or 128; anything else (prefill chunks, VQ caches, other head sizes) stays on the per-sequence path.
 */
final class DecodeBatch implements AutoCloseable {
    private final CudaDevice device;
    private BatchDecodeAttention attention;
    private List<DenseDeviceKvCache> caches = List.of();

    DecodeBatch(CudaDevice device) {
        this.device = device;
    }

    /** Whether the step can take the batch path (see the class comment). */
    static boolean applies(List<Sequence<DeviceKvCache>> sequences, List<int[]> newTokens) {
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
        if (!applies(sequences, newTokens)) return false;
        List<DenseDeviceKvCache> stepCaches = new ArrayList<>(sequences.size());
        List<Fp16KvRing> rings = new ArrayList<>(sequences.size());
        int[] positions = new int[sequences.size()];
        for (int s = 0; s < sequences.size(); s++) {
            DenseDeviceKvCache cache = (DenseDeviceKvCache) sequences.get(s).cache();
            positions[s] = sequences.get(s).position();
            rings.add(cache.reserveOneMore(positions[s]));
            stepCaches.add(cache);
        }
        KvLayout layout = rings.get(0).layout();
        if (attention == null || !attention.layout().equals(layout)) {
            if (attention != null) attention.close();
            attention = new BatchDecodeAttention(device, layout);
        }
        attention.prepare(rings, positions);
        caches = stepCaches;
        return true;
    }

    /** Layer {@code layer} of the step begun: rows are sequences. */
    void storeAndAttend(int layer, DeviceBuffer.Slice q, DeviceBuffer.Slice k, DeviceBuffer.Slice v, float scale, DeviceBuffer.Slice out) {
        attention.storeAndAttend(layer, q, k, v, scale, out);
    }

    /** Ends the step: every cache holds the new token in every layer. */
    void end() {
        for (DenseDeviceKvCache cache : caches) cache.storedOneMore();
        caches = List.of();
    }

    /** See {@link BatchDecodeAttention#generation}. */
    int generation() {
        return attention == null ? -1 : attention.generation();
    }

    @Override
    public void close() {
        if (attention != null) attention.close();
        attention = null;
    }
}
