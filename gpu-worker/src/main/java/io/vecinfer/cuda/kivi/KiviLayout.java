package io.vecinfer.cuda.kivi;

import io.vecinfer.kvcache.KvLayout;
import io.vecinfer.quant.KiviSpec;

/**
 * Where a KIVI cache's encoded tokens live on the device (kivi_encode.cu writes them, kivi_attention.cu reads them),
 * for every (layer, KV head) and positions below {@code capacity} (a multiple of R):
 * <ul>
 *   <li>codes: packed (kivi_common.cuh), [layer][kvHead][position][word], for keys and for values: a code of b bits in a
 *       container of {@link #containerBits}(b) bits (1, 2, 4 or 8), 32 / container codes per little-endian int word,
 *       channel d in word d / perWord at bit (d % perWord) · container; a position's row is {@link #keyWords} (or
 *       {@link #valueWords}) words, a multiple of 4 (16 bytes), the padding channels 0;</li>
 *   <li>key parameters: float {zero, scale} per [layer][kvHead][key group][d], key group = position / R · ⌈R / G⌉ +
 *       position % R / G (keys are grouped per channel over G tokens of one flushed block, as KiviKvCache groups them);</li>
 *   <li>value parameters: float {zero, scale} per [layer][kvHead][position][⌈D / VG⌉] (values per token over VG channels).</li>
 * </ul>
 * The parameters hold fp16-rounded values in floats. The containers round 3, 5, 6 and 7 bits up ({@link #storedBytes}
 * counts the exact width, as the CPU cache does; {@link #deviceBytes} what the device holds).
 * Kernels may index the layers dimension as [sequence][layer] (several sequences' caches in one array).
 */
public record KiviLayout(int layers, int kvHeads, int headDim, int capacity, int window, int keyGroup, int valueGroup, int keyBits,
                         int valueBits) {
    public static final int MAX_HEAD_DIM = 256; // kivi_attention.cu's KIVI_MAX_HEAD_DIM

    public KiviLayout {
        if (layers <= 0 || kvHeads <= 0 || headDim <= 0 || headDim > MAX_HEAD_DIM || window <= 0 || capacity <= 0 || capacity % window != 0
                || keyGroup <= 0 || valueGroup <= 0 || keyBits < 1 || keyBits > 8 || valueBits < 1 || valueBits > 8) {
            throw new IllegalArgumentException("bad KIVI layout: " + layers + " layers, " + kvHeads + " KV heads, head_dim " + headDim
                    + " (at most " + MAX_HEAD_DIM + "), capacity " + capacity + " (a multiple of R = " + window + "), groups " + keyGroup
                    + "/" + valueGroup + ", bits " + keyBits + "/" + valueBits);
        }
    }

    public static KiviLayout of(KiviSpec spec, KvLayout layout, int capacity) {
        return new KiviLayout(layout.layers(), layout.kvHeads(), layout.headDim(), capacity, spec.window(), spec.keys().group(),
                spec.values().group(), spec.keys().bits(), spec.values().bits());
    }

    /** The same layout with room for {@code positions} rounded up to a multiple of R. */
    public KiviLayout withCapacity(int positions) {
        return new KiviLayout(layers, kvHeads, headDim, (positions + window - 1) / window * window, window, keyGroup, valueGroup, keyBits, valueBits);
    }

    public int keyGroupsPerBlock() {
        return (window + keyGroup - 1) / keyGroup;
    }

    public int valueGroupsPerToken() {
        return (headDim + valueGroup - 1) / valueGroup;
    }

    long keyGroupsPerHead() {
        return (long) capacity / window * keyGroupsPerBlock();
    }

    /** The key group of a position: its block's groups, then its place in the block. */
    public int keyGroup(int position) {
        return position / window * keyGroupsPerBlock() + position % window / keyGroup;
    }

    /** Float index of the zero of the key group holding (position, channel d); the scale follows it. */
    public long keyParamIndex(int layer, int kvHead, int position, int d) {
        return ((((long) layer * kvHeads + kvHead) * keyGroupsPerHead() + keyGroup(position)) * headDim + d) * 2;
    }

    /** Float index of the zero of the value group holding element d of the position's value; the scale follows it. */
    public long valueParamIndex(int layer, int kvHead, int position, int d) {
        return ((((long) layer * kvHeads + kvHead) * capacity + position) * valueGroupsPerToken() + d / valueGroup) * 2;
    }

    /** Bits of the container a code of {@code bits} bits sits in: 1, 2, 4 or 8. */
    public static int containerBits(int bits) {
        return bits <= 1 ? 1 : bits <= 2 ? 2 : bits <= 4 ? 4 : 8;
    }

    /** Words of one position's row for codes of {@code bits}: whole 16-byte chunks. */
    static int rowWords(int headDim, int bits) {
        int perWord = 32 / containerBits(bits);
        return ((headDim + perWord - 1) / perWord + 3) / 4 * 4;
    }

    public int keyWords() {
        return rowWords(headDim, keyBits);
    }

    public int valueWords() {
        return rowWords(headDim, valueBits);
    }

    /** Index of the first word of (layer, kvHead, position)'s row in a code array of {@code words} words per row. */
    public long rowIndex(int layer, int kvHead, int position, int words) {
        return (((long) layer * kvHeads + kvHead) * capacity + position) * words;
    }

    /** Code of channel d in the row starting at word {@code row}. */
    public static int code(int[] codes, long row, int d, int bits) {
        int container = containerBits(bits), perWord = 32 / container;
        return (codes[(int) (row + d / perWord)] >>> (d % perWord * container)) & ((1 << container) - 1);
    }

    /** The words of one row from its codes (padding channels 0), as kivi_encode packs them. */
    public static void packRow(int[] codes, long row, int words, int bits, int headDim, java.util.function.IntUnaryOperator codeOf) {
        int container = containerBits(bits), perWord = 32 / container;
        for (int w = 0; w < words; w++) {
            int word = 0;
            for (int e = 0; e < perWord; e++) {
                int d = w * perWord + e;
                if (d < headDim) word |= codeOf.applyAsInt(d) << (e * container);
            }
            codes[(int) (row + w)] = word;
        }
    }

    /** Words of the key code array (values: {@link #valueCodeWords}). */
    public long keyCodeWords() {
        return (long) layers * kvHeads * capacity * keyWords();
    }

    public long valueCodeWords() {
        return (long) layers * kvHeads * capacity * valueWords();
    }

    /** Bytes the device holds for {@code tokens} encoded tokens of one layer: packed containers and float parameters. */
    public long deviceBytes(int tokens) {
        long params = 2L * ((long) tokens / window * keyGroupsPerBlock() * headDim + (long) tokens * valueGroupsPerToken());
        return (long) kvHeads * (4L * tokens * (keyWords() + valueWords()) + 4 * params);
    }

    public long keyParamFloats() {
        return (long) layers * kvHeads * keyGroupsPerHead() * headDim * 2;
    }

    public long valueParamFloats() {
        return (long) layers * kvHeads * capacity * valueGroupsPerToken() * 2;
    }

    /**
     * Bytes of {@code tokens} encoded tokens (whole blocks) of one layer as KiviKvCache counts them: codes packed to their
     * width per (layer, KV head), and 2 bytes for each fp16 zero and scale.
     */
    public long storedBytes(int tokens) {
        long codes = (long) tokens * headDim;
        long params = 2L * ((long) tokens / window * keyGroupsPerBlock() * headDim + (long) tokens * valueGroupsPerToken());
        return kvHeads * (io.vecinfer.quant.bits.BitPacking.bytesFor(codes, keyBits) + io.vecinfer.quant.bits.BitPacking.bytesFor(codes, valueBits)
                + 2L * params);
    }
}
