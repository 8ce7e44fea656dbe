package io.vecinfer.quant.bits;

/**
 * Codes of any width 1..16 bits packed back to back, least significant bit first, with no padding
 * between codes (twelve 12-bit codes take 18 bytes, not 24). A code may straddle two longs or
 * three bytes.
 */
public final class BitPacking {
    private BitPacking() {
    }

    public static void checkWidth(int width) {
        if (width < 1 || width > 16) throw new IllegalArgumentException("code width " + width + " not in 1..16");
    }

    /** Longs needed for {@code count} codes of {@code width} bits. */
    public static int longsFor(long count, int width) {
        return Math.toIntExact((count * width + 63) / 64);
    }

    /** Bytes needed for {@code count} codes of {@code width} bits. */
    public static long bytesFor(long count, int width) {
        return (count * width + 7) / 8;
    }

    public static long[] pack(int[] codes, int width) {
        checkWidth(width);
        long[] words = new long[longsFor(codes.length, width)];
        for (int i = 0; i < codes.length; i++) put(words, (long) i * width, width, checkCode(codes[i], width, i));
        return words;
    }

    public static int[] unpack(long[] words, int width, int count) {
        checkWidth(width);
        if (longsFor(count, width) > words.length) throw new IllegalArgumentException(count + " codes of " + width + " bits do not fit in " + words.length + " longs");
        int[] codes = new int[count];
        for (int i = 0; i < count; i++) codes[i] = get(words, (long) i * width, width);
        return codes;
    }

    public static byte[] packBytes(int[] codes, int width) {
        checkWidth(width);
        byte[] bytes = new byte[Math.toIntExact(bytesFor(codes.length, width))];
        for (int i = 0; i < codes.length; i++) {
            long bit = (long) i * width;
            int at = (int) (bit >>> 3);
            int shifted = checkCode(codes[i], width, i) << (bit & 7); // at most 16 + 7 bits: three bytes
            for (int b = 0; b < 3 && at + b < bytes.length; b++) bytes[at + b] |= (byte) (shifted >>> (8 * b));
        }
        return bytes;
    }

    public static int[] unpackBytes(byte[] bytes, int width, int count) {
        checkWidth(width);
        if (bytesFor(count, width) > bytes.length) throw new IllegalArgumentException(count + " codes of " + width + " bits do not fit in " + bytes.length + " bytes");
        int[] codes = new int[count];
        int mask = (1 << width) - 1;
        for (int i = 0; i < count; i++) {
            long bit = (long) i * width;
            int at = (int) (bit >>> 3);
            int window = 0;
            for (int b = 0; b < 3 && at + b < bytes.length; b++) window |= (bytes[at + b] & 0xff) << (8 * b);
            codes[i] = (window >>> (bit & 7)) & mask;
        }
        return codes;
    }

    /** ORs {@code code} in at {@code bit}; the destination bits must be zero. */
    static void put(long[] words, long bit, int width, int code) {
        int w = (int) (bit >>> 6), shift = (int) (bit & 63);
        words[w] |= (long) code << shift;
        if (shift + width > 64) words[w + 1] |= (long) code >>> (64 - shift);
    }

    static int get(long[] words, long bit, int width) {
        int w = (int) (bit >>> 6), shift = (int) (bit & 63);
        long v = words[w] >>> shift;
        if (shift + width > 64) v |= words[w + 1] << (64 - shift);
        return (int) (v & ((1L << width) - 1));
    }

    private static int checkCode(int code, int width, int index) {
        if (code < 0 || code >= 1 << width) throw new IllegalArgumentException("code " + code + " at " + index + " does not fit in " + width + " bits");
        return code;
    }
}
