package io.vecinfer.quant;

import io.vecinfer.kvcache.DenseKvCache;
import io.vecinfer.kvcache.KvLayout;
import io.vecinfer.quant.bits.BitPacking;

/**
 * Exact bytes of one sequence's KV cache of {@code contextTokens} tokens, by part, and the ratio to an
 * fp16 cache (2 bytes × head_dim per token per KV head for K and again for V).
 *
 * <p>Codes are packed without padding, one bit stream per (layer, KV head, K or V), as the caches
 * store them. The fp16 window holds the tokens not yet encoded (see {@link ResidualWindow}). Model-wide
 * tables (codebooks in fp16, λ in fp16) are shared by every sequence; here they are charged in full
 * to this one sequence, i.e. amortised over {@code contextTokens}, which is the stated context length.
 *
 * <p>method.md's table ("bytes per token per KV head") counts one side, K or V alone, codes only:
 * d4b8 is 128/4 codes × 8 bits = 32 B, d8b12 16 × 12 bits = 24 B, d8b8 16 B; its 1.25-bit row
 * "24 K / 16 V" confirms the per-side reading. {@link #codeBytesPerTokenPerHead} gives that number.
 */
public record CacheFootprint(long contextTokens, double keyCodeBytes, double valueCodeBytes, double groupParamBytes,
                             double windowBytes, double codebookBytes, double smoothBytes, double fp16Bytes) {

    public double totalBytes() {
        return keyCodeBytes + valueCodeBytes + groupParamBytes + windowBytes + codebookBytes + smoothBytes;
    }

    public double bytesPerToken() {
        return totalBytes() / contextTokens;
    }

    /** fp16 bytes over these bytes: how many times smaller than an fp16 cache. */
    public double compressionRatio() {
        return fp16Bytes / totalBytes();
    }

    /** Steady-state code bytes of one side per token per KV head: the quantity in method.md's table. */
    public static double codeBytesPerTokenPerHead(VqShape shape, int headDim) {
        return shape.bitsPerVector(headDim) / 8.0;
    }

    public static CacheFootprint of(MethodSpec spec, KvLayout layout, long contextTokens) {
        if (contextTokens <= 0) throw new IllegalArgumentException("context length " + contextTokens + " must be positive");
        spec.checkLayout(layout);
        long heads = (long) layout.layers() * layout.kvHeads();
        int d = layout.headDim();
        double fp16 = 2.0 * contextTokens * heads * d * 2;
        if (spec instanceof DenseSpec dense) {
            double bytes = dense.precision() == DenseKvCache.Precision.FP32 ? 2 * fp16 : fp16;
            return new CacheFootprint(contextTokens, bytes / 2, bytes / 2, 0, 0, 0, 0, fp16);
        }
        if (spec instanceof VqSpec vq) {
            long c = ResidualWindow.compressedTokens(contextTokens, vq.window());
            VqShape k = vq.keys(), v = vq.values();
            double books = 2.0 * (vq.scope().count(layout, k.subspaces(d)) * (double) k.codewords() * k.dims()
                    + vq.scope().count(layout, v.subspaces(d)) * (double) v.codewords() * v.dims());
            return new CacheFootprint(contextTokens,
                    heads * BitPacking.bytesFor(c * k.subspaces(d), k.bits()),
                    heads * BitPacking.bytesFor(c * v.subspaces(d), v.bits()),
                    0, window(contextTokens - c, heads, d), books, vq.smooth() ? 2.0 * heads * d : 0, fp16);
        }
        KiviSpec kivi = (KiviSpec) spec;
        long c = ResidualWindow.compressedTokens(contextTokens, kivi.window());
        long r = kivi.window();
        // One fp16 zero and one fp16 scale (4 bytes) per group: keys group G tokens of a channel within
        // each block of R, values group G channels of a token.
        long keyGroups = c / r * ceilDiv(r, kivi.keys().group()) * d;
        long valueGroups = c * ceilDiv(d, kivi.values().group());
        return new CacheFootprint(contextTokens,
                heads * BitPacking.bytesFor(c * d, kivi.keys().bits()),
                heads * BitPacking.bytesFor(c * d, kivi.values().bits()),
                heads * 4.0 * (keyGroups + valueGroups), window(contextTokens - c, heads, d), 0, 0, fp16);
    }

    private static double window(long tokens, long heads, int d) {
        return 2.0 * tokens * heads * d * 2;
    }

    private static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }
}
