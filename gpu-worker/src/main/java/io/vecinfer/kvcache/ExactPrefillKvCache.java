package io.vecinfer.kvcache;

/**
 * {@link Prefill#EXACT} around a compressed cache: until {@link #endPrefill()} the prompt lives in an
 * fp16 {@link DenseKvCache} and attends exactly; then every prompt token is appended, in order, to the
 * compressed cache, which encodes all of them but its residual window, exactly as if it had received
 * them one by one. From then on appends and attention go to the compressed cache.
 */
final class ExactPrefillKvCache implements KvCache {
    private final KvLayout layout;
    private final KvCache compressed;
    private DenseKvCache prompt;

    ExactPrefillKvCache(KvLayout layout, KvCache compressed) {
        this.layout = layout;
        this.compressed = compressed;
        this.prompt = new DenseKvCache(layout, DenseKvCache.Precision.FP16);
    }

    private KvCache current() {
        return prompt != null ? prompt : compressed;
    }

    @Override
    public KvLayout layout() {
        return layout;
    }

    @Override
    public void append(int layer, float[] k, int kOffset, float[] v, int vOffset) {
        current().append(layer, k, kOffset, v, vOffset);
    }

    @Override
    public void attend(int layer, float[] q, int qOffset, float scale, float[] out, int outOffset) {
        current().attend(layer, q, qOffset, scale, out, outOffset);
    }

    /** Encodes the prompt; later calls (a task that ends its prompt twice) change nothing. */
    @Override
    public void endPrefill() {
        if (prompt == null) return;
        prompt.replayInto(compressed);
        prompt = null;
    }

    @Override
    public int length(int layer) {
        return current().length(layer);
    }

    @Override
    public long storedBytes() {
        return current().storedBytes();
    }

    @Override
    public void close() {
        compressed.close();
    }
}
