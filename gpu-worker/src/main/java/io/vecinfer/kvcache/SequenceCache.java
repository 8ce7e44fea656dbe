package io.vecinfer.kvcache;

/**
 * One sequence's KV cache, wherever it lives: what every backend's caches share, and all that tasks and runners read
 * from one (its length, its bytes). How a decoder stores into it and attends it is the backend's: a {@link KvCache}
 * on the heap is appended and attended token by token by the CPU decoder; a device cache is handed whole chunks by the
 * CUDA decoder. A decoder is typed by the caches it attends ({@code DecoderBackend<C>}), so a cache of one backend
 * cannot reach another's decoder.
 */
public interface SequenceCache extends AutoCloseable {

    KvLayout layout();

    /**
     * The prompt is complete: a cache under {@link Prefill#EXACT} encodes it now. Tasks call it (through
     * {@code Sequence.endPrompt}) after the prompt's forward pass, before the first generated token; other
     * caches need nothing.
     */
    default void endPrefill() {
    }

    /** Tokens stored in {@code layer}. */
    int length(int layer);

    /** Bytes this cache's contents take in the representation it models (fp16 storage counts 2 bytes). */
    long storedBytes();

    /** Frees what the cache holds outside the Java heap (device memory); heap caches need nothing. */
    @Override
    default void close() {
    }
}
