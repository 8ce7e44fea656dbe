package io.vecinfer.cuda.vq;

/**
 * Where the codes of one side (keys or values) live on the device: one container of {@code codeBytes} bytes
 * per code (uint8 for codes of at most 8 bits, uint16 up to 16 bits; little-endian), at
 * {@code [sequence][layer][kvHead][position < capacity][subspace]}. {@link #of} picks the narrowest container
 * for a code width; the five-argument constructor keeps uint16. The array is padded to a multiple of 16 bytes
 * (the attention kernel stages codes in 16-byte chunks). Packing below 8 bits is a footprint question
 * (CacheFootprint reports it), not the kernels'.
 */
public record VqCodeLayout(int sequences, int layers, int kvHeads, int capacity, int subspaces, int codeBytes) {
    public VqCodeLayout {
        if (sequences <= 0 || layers <= 0 || kvHeads <= 0 || capacity <= 0 || subspaces <= 0 || (codeBytes != 1 && codeBytes != 2)) {
            throw new IllegalArgumentException("bad code layout: " + sequences + " sequences, " + layers + " layers, "
                    + kvHeads + " KV heads, capacity " + capacity + ", " + subspaces + " sub-spaces, " + codeBytes + "-byte codes");
        }
    }

    /** uint16 containers. */
    public VqCodeLayout(int sequences, int layers, int kvHeads, int capacity, int subspaces) {
        this(sequences, layers, kvHeads, capacity, subspaces, 2);
    }

    /** The narrowest container for codes of {@code bits} bits: uint8 up to 8 bits, else uint16. */
    public static VqCodeLayout of(int sequences, int layers, int kvHeads, int capacity, int subspaces, int bits) {
        return new VqCodeLayout(sequences, layers, kvHeads, capacity, subspaces, bits <= 8 ? 1 : 2);
    }

    /** Index of code (position, subspace) of (sequence, layer, kvHead), in codes (times {@link #codeBytes} for bytes). */
    public long index(int sequence, int layer, int kvHead, int position, int subspace) {
        return ((((long) sequence * layers + layer) * kvHeads + kvHead) * capacity + position) * subspaces + subspace;
    }

    /** Codes in the whole array. */
    public long length() {
        return (long) sequences * layers * kvHeads * capacity * subspaces;
    }

    /** Bytes of the array, padded to a multiple of 16. */
    public long bytes() {
        return (length() * codeBytes + 15) / 16 * 16;
    }

    /** The codes (values below 2^16 in shorts) as the device stores them, little-endian, {@link #bytes} long. */
    public java.nio.ByteBuffer pack(short[] codes) {
        java.nio.ByteBuffer out = java.nio.ByteBuffer.allocateDirect(Math.toIntExact(bytes())).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < codes.length; i++) {
            if (codeBytes == 1) out.put(i, (byte) codes[i]);
            else out.putShort(2 * i, codes[i]);
        }
        return out;
    }
}
