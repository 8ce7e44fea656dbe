package io.vecinfer.decoder;

import io.vecinfer.kvcache.KvCache;

/** One sequence being decoded: its KV cache and how many tokens it has seen (the next position). */
public final class Sequence {
    private final KvCache cache;
    private int position;

    public Sequence(KvCache cache) {
        this.cache = cache;
    }

    public KvCache cache() {
        return cache;
    }

    public int position() {
        return position;
    }

    void advance(int tokens) {
        position += tokens;
    }
}
