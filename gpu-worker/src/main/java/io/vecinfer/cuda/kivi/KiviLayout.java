package io.vecinfer.cuda.kivi;

import io.vecinfer.kvcache.KvLayout;
import io.vecinfer.quant.KiviSpec;

/**
 * Where a KIVI cache's encoded tokens live on the device (kivi_encode.cu writes them, kivi_attention.cu reads them),
 * for every (layer, KV head) and positions below {@code capacity} (a multiple of R):
 * <ul>
 *   <li>codes: one uint8 per element, [layer][kvHead][position][d], for keys and for values;</li>
 *   <li>key parameters: float {zero, scale} per [layer][kvHead][key group][d], key group = position / R · ⌈R / G⌉ +
 *       position % R / G (keys are grouped per channel over G tokens of one flushed block, as KiviKvCache groups them);</li>
 *   <li>value parameters: float {zero, scale} per [layer][kvHead][position][⌈D / VG⌉] (values per token over VG channels).</li>
 * </ul>
 * The parameters hold fp16-rounded values in floats; codes sit in bytes whatever their width (the CPU counts them packed).
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

    /** Code of element d of (layer, kvHead, position), an index into either side's code array. */
    public long codeIndex(int layer, int kvHead, int position, int d) {
        return (((long) layer * kvHeads + kvHead) * capacity + position) * headDim + d;
    }

    /** Float index of the zero of the key group holding (position, channel d); the scale follows it. */
    public long keyParamIndex(int layer, int kvHead, int position, int d) {
        return ((((long) layer * kvHeads + kvHead) * keyGroupsPerHead() + keyGroup(position)) * headDim + d) * 2;
    }

    /** Float index of the zero of the value group holding element d of the position's value; the scale follows it. */
    public long valueParamIndex(int layer, int kvHead, int position, int d) {
        return ((((long) layer * kvHeads + kvHead) * capacity + position) * valueGroupsPerToken() + d / valueGroup) * 2;
    }

    /** Codes per side. */
    public long codes() {
        return (long) layers * kvHeads * capacity * headDim;
    }

    /** Bytes of one side's code array, padded to 16. */
    public long codeBytes() {
        return (codes() + 15) / 16 * 16;
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
