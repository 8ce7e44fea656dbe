package io.vecinfer.spark.report;

import io.vecinfer.kvcache.DenseKvCache;
import io.vecinfer.quant.DenseSpec;
import io.vecinfer.quant.KiviSpec;
import io.vecinfer.quant.MethodSpec;
import io.vecinfer.quant.VqSpec;

/**
 * What the report plots a KV-cache method by, from its spec string: the family (fp16, fp32, kivi, rawvq,
 * vecinfer), the nominal bits per cached element, and for VecInfer the key transform it keeps.
 *
 * <p>Bits per element are the code bits alone, averaged over keys and values: a VQ shape {@code d{n}b{m}}
 * stores m bits per n elements, KIVI {@code b{bits}} stores bits per element. The fp16 residual window and
 * KIVI's per-group scales are not in it: those are what {@code kv_bytes_per_token} measures.
 *
 * @param transform for VecInfer, which key transforms are on: {@code both}, {@code smooth}, {@code Hadamard}
 *                  or {@code none}; null for the other families, which have none to switch
 */
public record MethodTraits(String family, double bitsPerElement, String transform) {
    public static final String BOTH = "both";

    public static MethodTraits of(String method) {
        MethodSpec spec;
        try {
            spec = MethodSpec.parse(method);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("metrics row with method '" + method + "': " + e.getMessage(), e);
        }
        if (spec instanceof DenseSpec d) {
            boolean half = d.precision() == DenseKvCache.Precision.FP16;
            return new MethodTraits(half ? "fp16" : "fp32", half ? 16 : 32, null);
        }
        if (spec instanceof KiviSpec k) return new MethodTraits("kivi", (k.keys().bits() + k.values().bits()) / 2.0, null);
        VqSpec v = (VqSpec) spec;
        double bits = ((double) v.keys().bits() / v.keys().dims() + (double) v.values().bits() / v.values().dims()) / 2;
        return new MethodTraits(v.method().label(), bits, v.method() == VqSpec.Method.VECINFER ? transform(v.smooth(), v.hadamard()) : null);
    }

    /** The family as a legend names it: VecInfer variants with a transform switched off say which one they keep. */
    public String label() {
        return transform == null || transform.equals(BOTH) ? family : family + " (" + transform + ")";
    }

    private static String transform(boolean smooth, boolean hadamard) {
        if (smooth && hadamard) return BOTH;
        if (smooth) return "smooth";
        return hadamard ? "Hadamard" : "none";
    }
}
