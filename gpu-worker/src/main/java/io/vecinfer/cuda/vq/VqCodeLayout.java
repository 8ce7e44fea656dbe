package io.vecinfer.cuda.vq;

/**
 * Where the codes of one side (keys or values) live on the device: one uint16 container per code,
 * whatever the code width (1..16 bits), at
 * {@code [sequence][layer][kvHead][position < capacity][subspace]}. Packing to the code width is a
 * footprint question (CacheFootprint reports it), not the kernels'.
 */
public record VqCodeLayout(int sequences, int layers, int kvHeads, int capacity, int subspaces) {
    public VqCodeLayout {
        if (sequences <= 0 || layers <= 0 || kvHeads <= 0 || capacity <= 0 || subspaces <= 0) {
            throw new IllegalArgumentException("bad code layout: " + sequences + " sequences, " + layers + " layers, "
                    + kvHeads + " KV heads, capacity " + capacity + ", " + subspaces + " sub-spaces");
        }
    }

    /** Index of code (position, subspace) of (sequence, layer, kvHead). */
    public long index(int sequence, int layer, int kvHead, int position, int subspace) {
        return ((((long) sequence * layers + layer) * kvHeads + kvHead) * capacity + position) * subspaces + subspace;
    }

    /** Codes in the whole array. */
    public long length() {
        return (long) sequences * layers * kvHeads * capacity * subspaces;
    }

    public long bytes() {
        return length() * Short.BYTES;
    }
}
