package io.vecinfer.kvcache;

/**
 * One sequence's KV cache on the Java heap, as the CPU decoder drives it. The decoder appends each token's
 * post-RoPE key and value, then asks the cache to attend: the cache owns attention because a compressed cache
 * computes scores from its own representation (a lookup table over codes) instead of handing keys back.
 *
 * <p>Causality comes from order: the decoder appends token t of a layer and then attends with token
 * t's queries, so every query sees exactly the tokens before it and itself, in prefill as in decode.
 * A cache is used by one thread at a time.
 */
public interface KvCache extends SequenceCache {

    /** Stores the next token of {@code layer}: kvHeads × headDim floats of key and of value from the offsets. */
    void append(int layer, float[] k, int kOffset, float[] v, int vOffset);

    /**
     * Writes, for every query head h, softmax(q_h · K_g(h)ᵀ · scale) · V_g(h) over all tokens of {@code layer},
     * with g(h) = h / groupSize. q and out hold queryHeads × headDim floats from the offsets.
     */
    void attend(int layer, float[] q, int qOffset, float scale, float[] out, int outOffset);
}
