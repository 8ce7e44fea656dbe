package io.vecinfer.cuda.decoder;

import io.vecinfer.cuda.CudaDevice;
import io.vecinfer.cuda.DeviceBuffer;
import io.vecinfer.cuda.attention.Fp16KvRing;
import io.vecinfer.decoder.Batching;
import io.vecinfer.kvcache.KvLayout;
import io.vecinfer.kvcache.Prefill;
import io.vecinfer.quant.ResidualWindow;

/**
 * What the compressed device caches share, the device twin of {@link io.vecinfer.quant.WindowedKvCache}: the newest
 * tokens in an fp16 ring of 2R + 512 positions, older ones encoded by the subclass. A chunk of new tokens is handled as
 * the CPU cache handles them one by one: the ring stores them; every block the CPU would have flushed by the chunk's
 * end is encoded (codes do not depend on when a token is encoded); then each new query at position p attends the
 * encoded tokens [0, c(p)) and the fp16 tokens [c(p), p], merged by log-sum-exp, with
 * c(p) = {@link ResidualWindow#compressedTokens}(p + 1, R), exactly the CPU's split at that token.
 *
 * <p>Under {@link Prefill#EXACT} (the device twin of {@code ExactPrefillKvCache}) the prompt first goes to a
 * {@link DenseDeviceKvCache}, so it attends itself exactly with the fp16 attention kernels. At {@link #endPrefill}
 * each layer's prompt is encoded at once, every token but the residual window and every KV head, from that cache's
 * ring; the window moves into the window ring and the prompt ring is freed. The state is then the one the CPU cache
 * reaches by replaying the prompt token by token: c(n) tokens encoded, the rest in fp16.
 */
abstract class DeviceWindowedKvCache extends DeviceKvCache {
    protected final int window;
    protected final Fp16KvRing ring;
    private final int[] lengths;
    private final int[] encoded;
    /** The prompt, attended exactly in fp16, until {@link #endPrefill} (prefill=exact); null otherwise. */
    private DenseDeviceKvCache prompt;

    /** Subclasses allocate their own storage after this and close the cache if that fails. */
    protected DeviceWindowedKvCache(CudaDevice device, KvLayout layout, int window, Prefill prefill) {
        super(layout);
        this.window = window;
        this.ring = new Fp16KvRing(device, layout, 2 * window + Batching.CHUNK_ROWS);
        lengths = new int[layout.layers()];
        encoded = new int[layout.layers()];
        try {
            if (prefill == Prefill.EXACT) prompt = new DenseDeviceKvCache(device, layout);
        } catch (RuntimeException e) {
            ring.close();
            throw e;
        }
    }

    /** Makes room for positions [0, positions) of every layer, keeping what {@link #encoded} says is there. */
    protected abstract void reserve(int positions);

    /** Encodes positions [from, to) of {@code layer} (whole blocks of R), read from {@code source}'s ring (slot = position % capacity). */
    protected abstract void encode(int layer, Fp16KvRing source, int from, int to);

    /**
     * The attention of {@code tokens} queries at positions start.. over their encoded tokens [0, c(p)), merged into
     * {@code out}, which holds their window part, with that part's log-sum-exp in {@code windowLse}.
     */
    protected abstract void attendEncodedAndMerge(int layer, DeviceBuffer.Slice q, int start, int tokens, int encodedTokens, float scale,
                                                  DeviceBuffer.Slice out, DeviceBuffer.Slice windowLse);

    /** Scratch for the window part's log-sum-exp: tokens × queryHeads floats. */
    protected abstract DeviceBuffer.Slice windowLse(int tokens, int start);

    /** Bytes of the encoded tokens [0, encodedTokens) of {@code layer}, counted as the CPU cache counts them. */
    protected abstract long encodedBytes(int layer, int encodedTokens);

    /** Frees the subclass's storage. */
    protected abstract void closeEncoded();

    /**
     * Benchmarks only: fills positions [0, positions) of every layer's encoded storage (already reserved) with valid
     * codes of no particular meaning, for timing ({@link #fillUnattended}). Caches that cannot do so refuse.
     */
    protected void fillEncoded(int positions, long seed) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " has no synthetic fill");
    }

    /** Tokens of {@code layer} encoded so far. */
    protected final int encoded(int layer) {
        return encoded[layer];
    }

    /** The window ring holds the residual window and one chunk of the CPU's size (also while an exact prompt is dense). */
    @Override
    public final int maxTokensPerPass() {
        return Batching.CHUNK_ROWS;
    }

    @Override
    public final void appendAndAttend(int layer, DeviceBuffer.Slice q, DeviceBuffer.Slice k, DeviceBuffer.Slice v, int start, int tokens,
                                      float scale, DeviceBuffer.Slice out) {
        if (prompt != null) {
            prompt.appendAndAttend(layer, q, k, v, start, tokens, scale, out);
            return;
        }
        if (start != lengths[layer]) {
            throw new IllegalStateException("layer " + layer + " holds " + lengths[layer] + " tokens; new tokens must start there, not at " + start);
        }
        if (tokens > Batching.CHUNK_ROWS) {
            throw new IllegalArgumentException(tokens + " new tokens in one pass; the ring holds chunks of at most " + Batching.CHUNK_ROWS);
        }
        int end = start + tokens;
        ring.store(layer, k, v, start, tokens);
        int compressed = (int) ResidualWindow.compressedTokens(end, window);
        encodeUpTo(layer, compressed);
        DeviceBuffer.Slice lse = windowLse(tokens, start);
        ring.attend(layer, q, start, tokens, window, scale, out, lse);
        if (compressed > 0) attendEncodedAndMerge(layer, q, start, tokens, compressed, scale, out, lse);
        lengths[layer] = end;
    }

    /**
     * The exact prompt's fp16 cache while it is dense (prefill=exact, before {@link #endPrefill}): what
     * {@link #appendAndAttend} hands the new tokens to, and a batch prefill pass ({@link PrefillBatch}) takes in its
     * place; null otherwise.
     */
    final DenseDeviceKvCache exactPrompt() {
        return prompt;
    }

    /** The exact prompt's ring while it is dense (it grows with the prompt); the window ring and the codes are the subclass's. */
    @Override
    public final void reserveFor(int tokens) {
        if (prompt != null) prompt.reserveFor(tokens);
    }

    /** Whether a decode step of a whole batch ({@link VqDecodeBatch}) can take this cache: not while an exact prompt is dense. */
    final boolean takesBatchSteps() {
        return prompt == null;
    }

    /**
     * For a decode step of a whole batch ({@link VqDecodeBatch}), before it: checks that every layer holds {@code position}
     * tokens, and encodes in every layer the block that the new token at {@code position} pushes out of the window, as
     * {@link #appendAndAttend} would (those tokens are older than the window, so they are in the ring already; codes do not
     * depend on when a token is encoded). Returns the window ring, where the step stores the new token.
     */
    final Fp16KvRing beginBatchStep(int position) {
        if (prompt != null) throw new IllegalStateException("an exact prompt is still dense: end the prefill before a batch decode step");
        int compressed = (int) ResidualWindow.compressedTokens(position + 1L, window);
        for (int l = 0; l < layout.layers(); l++) {
            if (lengths[l] != position) {
                throw new IllegalStateException("layer " + l + " holds " + lengths[l] + " tokens; the new token must go there, not at " + position);
            }
        }
        for (int l = 0; l < layout.layers(); l++) encodeUpTo(l, compressed);
        return ring;
    }

    /** Encodes {@code layer}'s window-ring positions [encoded, compressed), the blocks the CPU cache would have flushed by now. */
    private void encodeUpTo(int layer, int compressed) {
        if (compressed <= encoded[layer]) return;
        reserve(compressed);
        encode(layer, ring, encoded[layer], compressed);
        encoded[layer] = compressed;
    }

    /** After a batch decode step stored and attended one token in every layer. */
    final void endBatchStep() {
        for (int l = 0; l < layout.layers(); l++) lengths[l]++;
    }

    /**
     * Benchmarks only ({@link SyntheticKvFill}): brings an empty cache to {@code tokens} tokens in every layer without
     * attending them: the encoded positions [0, c(n)) by {@link #fillEncoded}, the window [c(n), n) stored from the first
     * rows of {@code k} and {@code v} ({@code rows} of them, reused when the window is longer). Room for {@code spare} more
     * positions is reserved, so that the steps timed after do not grow the code arrays.
     */
    final void fillUnattended(int tokens, int spare, DeviceBuffer.Slice k, DeviceBuffer.Slice v, int rows, long seed) {
        for (int l = 0; l < layout.layers(); l++) {
            if (prompt != null || lengths[l] != 0) throw new IllegalStateException("a synthetic fill needs an empty cache under prefill=compressed");
        }
        int compressed = (int) ResidualWindow.compressedTokens(tokens, window);
        reserve((int) ResidualWindow.compressedTokens((long) tokens + spare, window));
        if (compressed > 0) fillEncoded(compressed, seed);
        for (int l = 0; l < layout.layers(); l++) {
            for (int at = compressed; at < tokens; at += rows) ring.store(l, k, v, at, Math.min(rows, tokens - at));
            encoded[l] = compressed;
            lengths[l] = tokens;
        }
    }

    /**
     * Encodes the exact prompt (a no-op after the first call, and for prefill=compressed): per layer, positions
     * [0, c(n)) of the prompt ring at once, all tokens and KV heads; positions [c(n), n) copied into the window ring.
     */
    @Override
    public final void endPrefill() {
        if (prompt == null) return;
        Fp16KvRing whole = prompt.ring();
        int longest = 0;
        for (int l = 0; l < layout.layers(); l++) longest = Math.max(longest, (int) ResidualWindow.compressedTokens(prompt.length(l), window));
        reserve(longest);
        for (int l = 0; l < layout.layers(); l++) {
            int n = prompt.length(l), compressed = (int) ResidualWindow.compressedTokens(n, window);
            if (compressed > 0) encode(l, whole, 0, compressed);
            whole.copyPositions(l, compressed, n, ring);
            encoded[l] = compressed;
            lengths[l] = n;
        }
        prompt.close();
        prompt = null;
    }

    @Override
    public final int length(int layer) {
        return prompt != null ? prompt.length(layer) : lengths[layer];
    }

    /** The method's representation: the encoded tokens (as the subclass counts them) plus the fp16 window; before an exact prompt is encoded, the fp16 prompt. */
    @Override
    public final long storedBytes() {
        if (prompt != null) return prompt.storedBytes();
        long bytes = 0;
        for (int l = 0; l < layout.layers(); l++) {
            bytes += encodedBytes(l, encoded[l]) + (long) (lengths[l] - encoded[l]) * layout.tokenWidth() * 2L * Short.BYTES;
        }
        return bytes;
    }

    @Override
    public final void close() {
        try {
            if (prompt != null) prompt.close();
            ring.close();
        } finally {
            closeEncoded();
        }
    }
}
