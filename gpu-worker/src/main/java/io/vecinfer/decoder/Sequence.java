package io.vecinfer.decoder;

import io.vecinfer.kvcache.SequenceCache;

/**
 * One sequence being decoded: its KV cache and how many tokens it has seen (the next position). Closing it frees the cache.
 * It is typed by its cache, as a decoder is by the caches it attends ({@code DecoderBackend<C>}): a sequence reaches only
 * a decoder of its cache's backend.
 */
public final class Sequence<C extends SequenceCache> implements AutoCloseable {
    private final C cache;
    private int position;

    public Sequence(C cache) {
        this.cache = cache;
    }

    public C cache() {
        return cache;
    }

    public int position() {
        return position;
    }

    /** Called by a backend once the tokens' keys and values are in the cache. */
    public void advance(int tokens) {
        position += tokens;
    }

    /** The prompt has been run: from the next token on this sequence decodes (see {@link io.vecinfer.kvcache.Prefill}). */
    public void endPrompt() {
        cache.endPrefill();
    }

    @Override
    public void close() {
        cache.close();
    }

    /** Closes every sequence (their device caches), also when one close fails. */
    public static void closeAll(java.util.Collection<? extends Sequence<?>> sequences) {
        RuntimeException failure = null;
        for (Sequence<?> s : sequences) {
            try {
                s.close();
            } catch (RuntimeException e) {
                if (failure == null) failure = e;
                else failure.addSuppressed(e);
            }
        }
        if (failure != null) throw failure;
    }
}
