package io.vecinfer.cuda.decoder;

import io.vecinfer.cuda.CudaDevice;
import io.vecinfer.cuda.DeviceBuffer;
import io.vecinfer.cuda.attention.BatchPrefillAttention;
import io.vecinfer.cuda.attention.Fp16KvRing;
import io.vecinfer.decoder.Sequence;
import io.vecinfer.kvcache.KvLayout;

import java.util.ArrayList;
import java.util.List;

/**
 * A prefill pass of the whole batch in one store and one attention launch per layer ({@link BatchPrefillAttention}),
 * where the per-sequence path ({@link DeviceKvCache#appendAndAttend}) launches both once per sequence and layer: 8
 * sequences of 1024 tokens on the 8B's 32 layers were 256 attention launches and 256 stores a pass, now 32 of each.
 * The sums are the per-sequence path's, bit for bit (the same kernel code per CTA).
 *
 * <p>It takes a pass when every sequence's new tokens go to an fp16 dense cache, a {@link DenseDeviceKvCache} or a
 * compressed cache's exact prompt while it is still dense (prefill=exact, {@link DeviceWindowedKvCache#exactPrompt}),
 * of one layout with head_dim 64 or 128, and every sequence has enough new tokens for the tensor-core prefill kernel
 * ({@link Fp16KvRing#kernelFor} gives TENSOR_CORE_PREFILL: more than {@link Fp16KvRing#MAX_DECODE_TOKENS}). Anything
 * else (a decode step, a compressed cache past its prompt or under prefill=compressed, KIVI, other head sizes, a pass
 * that mixes any of these with batchable sequences) stays on the per-sequence path, whole; so does a pass of one
 * sequence, which launches once a layer either way: on the H200 its own kernels were 2–4 ms faster over the 8B's 4096-token
 * prefill (134.1–135.8 against 136.9–142.5 ms, decoder-e2e-batch-prefill-ab-h200.json and session 14's notes).
 */
final class PrefillBatch implements AutoCloseable {
    /**
     * Whether prefill passes take the batch path: yes unless -Dvecinfer.cuda.batchPrefill=false (benchmarks time the
     * per-sequence path beside it).
     */
    static final boolean BATCH_PREFILL = !"false".equalsIgnoreCase(System.getProperty("vecinfer.cuda.batchPrefill"));

    private final CudaDevice device;
    private boolean enabled = BATCH_PREFILL;
    private BatchPrefillAttention attention;
    /** The caches of the pass begun, and their new tokens; empty when none is. */
    private List<DenseDeviceKvCache> caches = List.of();
    private int[] tokens = new int[0];

    PrefillBatch(CudaDevice device) {
        this.device = device;
    }

    /** Off: no pass takes the batch path from now on (tests and benchmarks compare both paths in one JVM). */
    void enable(boolean on) {
        enabled = on;
    }

    /** The fp16 dense cache that {@code cache}'s new tokens go to (itself, or its exact prompt while dense), else null. */
    static DenseDeviceKvCache dense(DeviceKvCache cache) {
        return cache instanceof DenseDeviceKvCache d ? d : cache instanceof DeviceWindowedKvCache w ? w.exactPrompt() : null;
    }

    /** Whether the pass can take the batch path (see the class comment), regardless of the switch. */
    static boolean applies(List<Sequence<DeviceKvCache>> sequences, List<int[]> newTokens) {
        List<KvLayout> layouts = new ArrayList<>(sequences.size());
        int[] tokens = new int[sequences.size()];
        for (int s = 0; s < sequences.size(); s++) {
            DenseDeviceKvCache dense = dense(sequences.get(s).cache());
            layouts.add(dense == null ? null : dense.layout());
            tokens[s] = newTokens.get(s).length;
        }
        return applies(layouts, tokens);
    }

    /**
     * The rule itself: sequence s's new tokens go to an fp16 dense cache of {@code denseLayouts.get(s)} (null: to none),
     * {@code tokens[s]} of them. Two sequences or more, every one's must, of one layout, each taking the tensor-core prefill kernel.
     */
    static boolean applies(List<KvLayout> denseLayouts, int[] tokens) {
        if (denseLayouts.size() < 2) return false; // one sequence: its own launches (class comment)
        for (int s = 0; s < tokens.length; s++) {
            KvLayout layout = denseLayouts.get(s);
            if (layout == null || !layout.equals(denseLayouts.get(0))) return false;
            if (Fp16KvRing.kernelFor(layout, tokens[s]) != Fp16KvRing.AttentionKernel.TENSOR_CORE_PREFILL) return false;
        }
        return true;
    }

    /**
     * Starts a pass when it {@link #applies} (and the batch path is enabled): checks that every layer of every cache
     * holds the sequence's position, reserves room for its new tokens in every layer, then uploads the tables. Returns
     * false (and does nothing) when it does not apply.
     */
    boolean begin(List<Sequence<DeviceKvCache>> sequences, List<int[]> newTokens) {
        caches = List.of();
        if (!enabled || !applies(sequences, newTokens)) return false;
        int n = sequences.size();
        List<DenseDeviceKvCache> passCaches = new ArrayList<>(n);
        List<Fp16KvRing> rings = new ArrayList<>(n);
        int[] starts = new int[n], counts = new int[n];
        for (int s = 0; s < n; s++) {
            counts[s] = newTokens.get(s).length;
            starts[s] = sequences.get(s).position();
            DenseDeviceKvCache cache = dense(sequences.get(s).cache());
            rings.add(cache.reserveMore(starts[s], counts[s])); // before the tables: reserving may move the rings
            passCaches.add(cache);
        }
        KvLayout layout = rings.get(0).layout();
        if (attention == null || !attention.layout().equals(layout)) {
            if (attention != null) attention.close();
            attention = new BatchPrefillAttention(device, layout);
        }
        attention.prepare(rings, starts, counts);
        caches = passCaches;
        tokens = counts;
        return true;
    }

    /** Layer {@code layer} of the pass begun: stores every sequence's new keys and values, then attends (rows as the pass packs them). */
    void storeAndAttend(int layer, DeviceBuffer.Slice q, DeviceBuffer.Slice k, DeviceBuffer.Slice v, float scale, DeviceBuffer.Slice out) {
        attention.store(layer, k, v);
        attention.attend(layer, q, scale, out, null);
    }

    /** Ends the pass: every cache holds its new tokens in every layer. */
    void end() {
        for (int s = 0; s < caches.size(); s++) caches.get(s).storedMore(tokens[s]);
        caches = List.of();
    }

    @Override
    public void close() {
        if (attention != null) attention.close();
        attention = null;
    }
}
