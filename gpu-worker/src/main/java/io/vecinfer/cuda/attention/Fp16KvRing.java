package io.vecinfer.cuda.attention;

import io.vecinfer.cuda.CudaDevice;
import io.vecinfer.cuda.DeviceBuffer;
import io.vecinfer.kvcache.KvLayout;

/**
 * Per-layer fp16 rings of keys and values on the device (ring[slot][kvHead][d], slot = position % capacity) with
 * the window attention over them: the storage of the fp16 dense cache (capacity grown so that it never wraps,
 * window 0) and of a VQ cache's residual window (fixed capacity, e.g. 2R + 512, window R).
 */
public final class Fp16KvRing implements AutoCloseable {
    private final CudaDevice device;
    private final KvLayout layout;
    private final WindowAttention attention;
    private final PrefillAttention prefill;
    private final DecodeAttention decode;
    private final DeviceBuffer[] keys, values;
    private final int[] capacity;
    /** Reallocations so far (any layer): device tables of the rings' addresses are stale when it changes. */
    private int moves;
    /** The least of {@link #capacity}, kept by allocate. */
    private int minCapacity;

    /** Rings of {@code capacity} positions for every layer. */
    public Fp16KvRing(CudaDevice device, KvLayout layout, int capacity) {
        WindowAttention.checkHeadDim(layout.headDim());
        this.device = device;
        this.layout = layout;
        this.attention = new WindowAttention(device);
        this.prefill = new PrefillAttention(device);
        this.decode = new DecodeAttention(device);
        keys = new DeviceBuffer[layout.layers()];
        values = new DeviceBuffer[layout.layers()];
        this.capacity = new int[layout.layers()];
        try {
            for (int l = 0; l < layout.layers(); l++) allocate(l, capacity);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    private void allocate(int layer, int positions) {
        long bytes = (long) positions * layout.tokenWidth() * Short.BYTES;
        keys[layer] = device.allocate(bytes);
        values[layer] = device.allocate(bytes);
        capacity[layer] = positions;
        moves++;
        minCapacity = Integer.MAX_VALUE;
        for (int c : capacity) minCapacity = Math.min(minCapacity, c);
    }

    /**
     * Changes whenever a layer's rings move to new device memory (they grew): a table of {@link #keys}, {@link #values}
     * and {@link #capacity} written earlier is still right while it is unchanged.
     */
    public int moves() {
        return moves;
    }

    public KvLayout layout() {
        return layout;
    }

    public int capacity(int layer) {
        return capacity[layer];
    }

    /** The smallest layer's capacity: the positions every layer holds without wrapping (a decode step checks it per sequence). */
    public int minCapacity() {
        return minCapacity;
    }

    /** The fp16 keys of a layer (capacity × kvHeads × headDim), e.g. for encoding the oldest block of a window. */
    public DeviceBuffer keys(int layer) {
        return keys[layer];
    }

    public DeviceBuffer values(int layer) {
        return values[layer];
    }

    /**
     * Grows a layer's rings to hold positions [0, positions) without wrapping, at least doubling, keeping the contents of
     * its first {@code held} positions (a fresh sequence's rings, which hold none, copy nothing). Only for rings that have
     * never wrapped (every stored position below the old capacity): slots then equal positions.
     */
    public void reserve(int layer, int positions, int held) {
        if (positions <= capacity[layer]) return;
        if (held < 0 || held > capacity[layer]) {
            throw new IllegalArgumentException("layer " + layer + " cannot hold " + held + " positions in " + capacity[layer] + " slots");
        }
        long heldBytes = (long) held * layout.tokenWidth() * Short.BYTES;
        DeviceBuffer oldKeys = keys[layer], oldValues = values[layer];
        allocate(layer, Math.max(positions, 2 * capacity[layer]));
        if (heldBytes > 0) {
            keys[layer].copyFrom(oldKeys, heldBytes);
            values[layer].copyFrom(oldValues, heldBytes);
        }
        oldKeys.close();
        oldValues.close();
    }

    /**
     * Copies positions [from, to) of a layer into {@code target}'s ring of the same layer, each to its slot there
     * (position % target capacity): how an exact prompt's residual window moves from the whole-prompt ring into a
     * VQ cache's window ring. Both rings must still hold those positions (to - from ≤ either capacity).
     */
    public void copyPositions(int layer, int from, int to, Fp16KvRing target) {
        int fromCapacity = capacity[layer], toCapacity = target.capacity[layer];
        if (to - from > Math.min(fromCapacity, toCapacity)) {
            throw new IllegalArgumentException("positions [" + from + ", " + to + ") do not fit rings of " + fromCapacity + " and " + toCapacity);
        }
        long rowBytes = (long) layout.tokenWidth() * Short.BYTES;
        for (int position = from; position < to; ) {
            int source = position % fromCapacity, slot = position % toCapacity;
            int run = Math.min(to - position, Math.min(fromCapacity - source, toCapacity - slot)); // rows until either ring wraps
            target.keys[layer].copyFrom(keys[layer], source * rowBytes, slot * rowBytes, run * rowBytes);
            target.values[layer].copyFrom(values[layer], source * rowBytes, slot * rowBytes, run * rowBytes);
            position += run;
        }
    }

    /** Stores {@code tokens} new post-RoPE rows of k and v (tokens × kvHeads × headDim fp32) at positions start.. */
    public void store(int layer, DeviceBuffer.Slice k, DeviceBuffer.Slice v, int start, int tokens) {
        attention.store(k, v, keys[layer], values[layer], layout, capacity[layer], start, tokens);
    }

    /**
     * Attention of {@code tokens} query rows at positions start.. over the ring's positions [lo(p), p]: see
     * {@link WindowAttention#attend}, computed by the kernel {@link #kernelFor} picks. The ring must still hold all of
     * them: capacity ≥ (p - lo(start)) + tokens.
     */
    public void attend(int layer, DeviceBuffer.Slice q, int start, int tokens, int window, float scale, DeviceBuffer.Slice out,
                       DeviceBuffer.Slice lse) {
        long span = (long) start + tokens - WindowAttention.windowStart(start, window);
        if (span > capacity[layer]) {
            throw new IllegalStateException("layer " + layer + ": " + tokens + " tokens at position " + start + " (window " + window
                    + ") read " + span + " positions, more than the ring's capacity of " + capacity[layer]);
        }
        switch (kernelFor(layout, tokens)) {
            case SPLIT_KV_DECODE -> decode.attend(q, keys[layer], values[layer], layout, capacity[layer], window, start, tokens, scale, out, lse);
            case TENSOR_CORE_PREFILL -> prefill.attend(q, keys[layer], values[layer], layout, capacity[layer], window, start, tokens, scale, out, lse);
            case WINDOW -> attention.attend(q, keys[layer], values[layer], layout, capacity[layer], window, start, tokens, scale, out, lse);
        }
    }

    /** The attention kernels over the ring; all compute the same function ({@link WindowAttention#attendReference}). */
    public enum AttentionKernel { SPLIT_KV_DECODE, TENSOR_CORE_PREFILL, WINDOW }

    /** Query tokens up to which a call is a decode step (one token per step, a few with speculation). */
    public static final int MAX_DECODE_TOKENS = 4;

    /**
     * The one dispatch rule. A call of few tokens ({@link #MAX_DECODE_TOKENS} or fewer) reads every key and value for very
     * little arithmetic, so it is memory bound: the split-KV decode kernel spreads the positions over enough CTAs to
     * fill the GPU, where one CTA per (token, KV head) would leave most SMs idle. Many tokens (a prefill chunk) reuse each
     * K/V tile for 64 query rows: the tensor-core kernel. Both exist for head_dim 64 and 128 only; other sizes (the tiny
     * test models' 16 and 32, or 256) take the CUDA-core window kernel, which handles any multiple of 8 up to 256.
     */
    public static AttentionKernel kernelFor(KvLayout layout, int tokens) {
        int d = layout.headDim();
        if (tokens <= MAX_DECODE_TOKENS && DecodeAttention.supports(d)) return AttentionKernel.SPLIT_KV_DECODE;
        if (tokens > MAX_DECODE_TOKENS && PrefillAttention.supports(d)) return AttentionKernel.TENSOR_CORE_PREFILL;
        return AttentionKernel.WINDOW;
    }

    @Override
    public void close() {
        decode.close();
        for (int l = 0; l < keys.length; l++) {
            if (keys[l] != null) keys[l].close();
            if (values[l] != null) values[l].close();
            keys[l] = values[l] = null;
        }
    }
}
