package io.vecinfer.quant;

import io.vecinfer.kvcache.DenseKvCache;
import io.vecinfer.kvcache.KvCacheFactory;
import io.vecinfer.quant.kivi.KiviKvCache;
import io.vecinfer.quant.vq.CodebookSet;
import io.vecinfer.quant.vq.VqKvCache;

/** The one place a method spec becomes a cache factory. */
public final class KvCacheFactories {
    private KvCacheFactories() {
    }

    /**
     * @param codebooks the calibrated codebooks for a vecinfer or rawvq spec (ignored otherwise); they
     *                  must have been fitted for the same spec, up to the window r
     */
    public static KvCacheFactory of(MethodSpec spec, CodebookSet codebooks, AttentionPath path) {
        if (spec instanceof DenseSpec dense) return DenseKvCache.factory(dense.precision());
        if (spec instanceof KiviSpec kivi) return KiviKvCache.factory(kivi);
        VqSpec vq = (VqSpec) spec;
        if (codebooks == null) throw new IllegalArgumentException("'" + spec.spec() + "' needs calibrated codebooks");
        return VqKvCache.factory(codebooks.spec().equals(vq) ? codebooks : codebooks.withSpec(vq), path);
    }
}
