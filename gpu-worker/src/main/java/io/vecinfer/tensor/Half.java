package io.vecinfer.tensor;

/**
 * IEEE binary16 and bfloat16 conversions. Java 17 has no Float.float16ToFloat, so fp16 decoding goes
 * through a 64k-entry table (exact), and encoding rounds to nearest even as CUDA's __float2half_rn does.
 */
public final class Half {
    private static final float[] FP16_TO_FLOAT = new float[1 << 16];

    static {
        for (int h = 0; h < FP16_TO_FLOAT.length; h++) FP16_TO_FLOAT[h] = decode((short) h);
    }

    private Half() {
    }

    public static float toFloat(short fp16) {
        return FP16_TO_FLOAT[fp16 & 0xffff];
    }

    public static float bf16ToFloat(short bf16) {
        return Float.intBitsToFloat((bf16 & 0xffff) << 16);
    }

    /** Rounds to the nearest bfloat16, ties to even (NaN stays NaN). */
    public static short floatToBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) return (short) ((bits >>> 16) | 0x40);
        int rounding = 0x7fff + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }

    /** Rounds to the nearest fp16, ties to even; overflow gives infinity. */
    public static short fromFloat(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int exp = (bits >>> 23) & 0xff;
        int mant = bits & 0x7fffff;
        if (exp == 0xff) return (short) (sign | 0x7c00 | (mant != 0 ? 0x200 : 0));
        int e = exp - 127 + 15;
        if (e >= 0x1f) return (short) (sign | 0x7c00);
        if (e <= 0) {
            if (e < -10) return (short) sign;
            mant |= 0x800000;
            int shift = 14 - e;
            int half = mant >>> shift;
            int rest = mant & ((1 << shift) - 1);
            int halfway = 1 << (shift - 1);
            if (rest > halfway || (rest == halfway && (half & 1) != 0)) half++;
            return (short) (sign | half);
        }
        int half = sign | (e << 10) | (mant >>> 13);
        int rest = mant & 0x1fff;
        if (rest > 0x1000 || (rest == 0x1000 && (half & 1) != 0)) half++;
        return (short) half;
    }

    /** Rounds a float through fp16 and back: what storing it in an fp16 cache does to it. */
    public static float roundToFp16(float f) {
        return toFloat(fromFloat(f));
    }

    private static float decode(short h) {
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1f;
        int mant = h & 0x3ff;
        if (exp == 0x1f) return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        if (exp == 0) {
            float v = mant * 0x1p-24f;
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | ((exp - 15 + 127) << 23) | (mant << 13));
    }
}
