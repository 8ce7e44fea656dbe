package io.vecinfer.kvcache;

import java.util.Locale;

/**
 * When a compressed cache starts compressing. {@link #EXACT} is how deployments run (VecInfer, KIVI,
 * kvpress): the prompt attends itself in fp16, its KV is encoded once when prefill ends, and only the
 * generated tokens attend codes plus the residual window. {@link #COMPRESSED} encodes from the first
 * token, so every prompt position already attends the compressed past: what perplexity and fidelity
 * measure. For an uncompressed cache both are the same.
 */
public enum Prefill {
    EXACT, COMPRESSED;

    /** The value as sweep files, config hashes and result rows spell it. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Prefill parse(String text) {
        for (Prefill p : values()) {
            if (p.label().equals(text)) return p;
        }
        throw new IllegalArgumentException("unknown prefill '" + text + "' (known: exact, compressed)");
    }

    /** Caches whose prompt is attended exactly and then encoded by {@code compressed}'s caches; the spec stays the method's. */
    public <C extends SequenceCache> CacheFactory<C> apply(CacheFactory<C> compressed) {
        if (this == COMPRESSED) return compressed;
        return new CacheFactory<>() {
            @Override
            public C create(KvLayout layout) {
                return compressed.createExactPrefill(layout);
            }

            @Override
            public C createExactPrefill(KvLayout layout) {
                return compressed.createExactPrefill(layout);
            }

            @Override
            public String spec() {
                return compressed.spec();
            }
        };
    }
}
