package io.vecinfer.quant;

import io.vecinfer.kvcache.DenseKvCache;

import java.util.Locale;

/** The uncompressed reference caches: {@code fp16} (every element rounded through fp16) and {@code fp32}. */
public record DenseSpec(DenseKvCache.Precision precision) implements MethodSpec {

    static DenseSpec parse(String whole, String name, String options) {
        if (options != null) throw new IllegalArgumentException("bad KV-cache spec '" + whole + "': " + name + " takes no options");
        return new DenseSpec(DenseKvCache.Precision.valueOf(name.toUpperCase(Locale.ROOT)));
    }

    @Override
    public String spec() {
        return precision.name().toLowerCase(Locale.ROOT);
    }

    @Override
    public String toString() {
        return spec();
    }
}
