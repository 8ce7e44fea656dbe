package io.vecinfer.quant.kivi;

import io.vecinfer.tensor.Half;

/**
 * b-bit asymmetric (min/max) scalar quantization of one group: x ≈ zero + code·scale with
 * zero = min and scale = (max − min)/(2^b − 1), both kept in fp16 as KIVI keeps them.
 */
final class AsymmetricQuantizer {
    private final int levels;

    AsymmetricQuantizer(int bits) {
        levels = (1 << bits) - 1;
    }

    /** The fp16 {zero, scale} of the {@code count} elements {@code stride} apart from {@code offset}. */
    float[] fit(float[] x, int offset, int stride, int count) {
        float min = Float.POSITIVE_INFINITY, max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < count; i++) {
            float v = x[offset + i * stride];
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        return new float[]{Half.roundToFp16(min), Half.roundToFp16((max - min) / levels)};
    }

    int code(float x, float zero, float scale) {
        if (scale == 0f) return 0;
        int c = Math.round((x - zero) / scale);
        return Math.max(0, Math.min(levels, c));
    }

    static float decode(int code, float zero, float scale) {
        return zero + code * scale;
    }
}
