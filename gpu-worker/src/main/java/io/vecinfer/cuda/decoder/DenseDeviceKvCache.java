package io.vecinfer.cuda.decoder;

import io.vecinfer.cuda.CudaDevice;
import io.vecinfer.cuda.DeviceBuffer;
import io.vecinfer.cuda.attention.Fp16KvRing;
import io.vecinfer.kvcache.KvLayout;

/**
 * The fp16 cache on the GPU: every key and value rounded to fp16 (as {@code DenseKvCache} FP16 stores them) in a
 * ring that grows before it would wrap, so slot = position and attention covers the whole history (window 0).
 */
public final class DenseDeviceKvCache extends DeviceKvCache {
    private static final int INITIAL_CAPACITY = 256;

    private final Fp16KvRing ring;
    private final int[] lengths;

    public DenseDeviceKvCache(CudaDevice device, KvLayout layout) {
        super(layout);
        ring = new Fp16KvRing(device, layout, INITIAL_CAPACITY);
        lengths = new int[layout.layers()];
    }

    @Override
    public void appendAndAttend(int layer, DeviceBuffer.Slice q, DeviceBuffer.Slice k, DeviceBuffer.Slice v, int start, int tokens,
                                float scale, DeviceBuffer.Slice out) {
        if (start != lengths[layer]) {
            throw new IllegalStateException("layer " + layer + " holds " + lengths[layer] + " tokens; new tokens must start there, not at "
                    + start);
        }
        ring.reserve(layer, start + tokens, lengths[layer]);
        ring.store(layer, k, v, start, tokens);
        ring.attend(layer, q, start, tokens, 0, scale, out, null);
        lengths[layer] += tokens;
    }

    @Override
    public void reserveFor(int tokens) {
        for (int layer = 0; layer < lengths.length; layer++) ring.reserve(layer, lengths[layer] + tokens, lengths[layer]);
    }

    /**
     * Benchmarks only ({@link SyntheticKvFill}): stores {@code tokens} rows of k and v after what {@code layer} holds, not
     * attended, the ring first grown to at least {@code capacity} positions, so that the steps timed after do not double it.
     */
    void storeUnattended(int layer, DeviceBuffer.Slice k, DeviceBuffer.Slice v, int tokens, int capacity) {
        ring.reserve(layer, Math.max(capacity, lengths[layer] + tokens), lengths[layer]);
        ring.store(layer, k, v, lengths[layer], tokens);
        lengths[layer] += tokens;
    }

    /** The rings (slot = position), e.g. for a VQ cache under prefill=exact to encode its prompt from. */
    Fp16KvRing ring() {
        return ring;
    }

    /**
     * For a pass of a whole batch in one launch per kernel (a decode step, {@link DecodeBatch}; a prefill pass,
     * {@link PrefillBatch}): checks that every layer holds {@code position} tokens, as {@link #appendAndAttend} checks
     * each layer's, reserves room for {@code tokens} more in every layer, and returns the ring, whose slots then hold
     * [0, position + tokens). Reserving may move the rings ({@link Fp16KvRing#moves}): write tables of them after.
     */
    Fp16KvRing reserveMore(int position, int tokens) {
        for (int layer = 0; layer < lengths.length; layer++) {
            if (lengths[layer] != position) {
                throw new IllegalStateException("layer " + layer + " holds " + lengths[layer] + " tokens; new tokens must start there, not at " + position);
            }
        }
        reserveFor(tokens); // every layer holds position tokens: room for [0, position + tokens)
        return ring;
    }

    /** After a batch pass stored {@code tokens} tokens in every layer of the ring. */
    void storedMore(int tokens) {
        for (int layer = 0; layer < lengths.length; layer++) lengths[layer] += tokens;
    }

    @Override
    public int length(int layer) {
        return lengths[layer];
    }

    /** fp16: 2 bytes per stored key and value element, as DenseKvCache FP16 counts them. */
    @Override
    public long storedBytes() {
        long tokens = 0;
        for (int n : lengths) tokens += n;
        return tokens * layout.tokenWidth() * 2L * Short.BYTES;
    }

    @Override
    public void close() {
        ring.close();
    }
}
