package io.vecinfer.quant.bits;

import java.util.Arrays;

/** A growing stream of fixed-width codes, packed as {@link BitPacking} lays them out. */
public final class PackedCodes {
    private final int width;
    private long[] words = new long[16];
    private int count;

    public PackedCodes(int width) {
        BitPacking.checkWidth(width);
        this.width = width;
    }

    public void append(int code) {
        if (code < 0 || code >= 1 << width) throw new IllegalArgumentException("code " + code + " does not fit in " + width + " bits");
        long bit = (long) count * width;
        if (BitPacking.longsFor(count + 1L, width) > words.length) words = Arrays.copyOf(words, words.length * 2);
        BitPacking.put(words, bit, width, code);
        count++;
    }

    public int get(int index) {
        if (index < 0 || index >= count) throw new IndexOutOfBoundsException("code " + index + " of " + count);
        return BitPacking.get(words, (long) index * width, width);
    }

    public int size() {
        return count;
    }

    public int width() {
        return width;
    }

    /** Bytes the packed codes take. */
    public long bytes() {
        return BitPacking.bytesFor(count, width);
    }
}
