package io.vecinfer.cuda.decoder;

import io.vecinfer.cuda.DeviceBuffer;
import io.vecinfer.cuda.attention.Fp16KvRing;
import io.vecinfer.cuda.vq.VqAttentionKernel;
import io.vecinfer.cuda.vq.VqCodeLayout;
import io.vecinfer.kvcache.KvLayout;
import io.vecinfer.kvcache.Prefill;
import io.vecinfer.quant.bits.BitPacking;

/**
 * A VQ cache on the GPU, the device twin of {@link io.vecinfer.quant.vq.VqKvCache}: the window and prefill logic of
 * {@link DeviceWindowedKvCache}, tokens encoded by nearest codeword (one vq_encode launch per flush, or per layer
 * for a whole exact prompt), and the encoded part attended by lookup table.
 */
final class DeviceVqKvCache extends DeviceWindowedKvCache {
    private static final int INITIAL_CODE_CAPACITY = 1024;

    private final DeviceVqMethod method;
    private DeviceBuffer keyCodes, valueCodes;
    private VqCodeLayout keyLayout, valueLayout;
    private DeviceVqMethod.Scratch scratch;

    DeviceVqKvCache(DeviceVqMethod method, KvLayout layout, Prefill prefill) {
        super(method.device, checked(method, layout), method.books.spec().window(), prefill);
        this.method = method;
        try {
            allocateCodes(INITIAL_CODE_CAPACITY);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    private static KvLayout checked(DeviceVqMethod method, KvLayout layout) {
        KvLayout books = method.flat.layout();
        if (books.layers() != layout.layers() || books.kvHeads() != layout.kvHeads() || books.headDim() != layout.headDim()) {
            throw new IllegalArgumentException("codebooks for " + books + " cannot serve a cache of " + layout);
        }
        return layout;
    }

    /** Capacities are multiples of 16 positions, so every (layer, KV head) run of any code width starts 16-byte aligned. */
    private void allocateCodes(int positions) {
        int capacity = (positions + 15) / 16 * 16;
        keyLayout = VqCodeLayout.of(1, layout.layers(), layout.kvHeads(), capacity, method.flat.keySubspaces(), method.flat.keys().bits());
        valueLayout = VqCodeLayout.of(1, layout.layers(), layout.kvHeads(), capacity, method.flat.valueSubspaces(), method.flat.values().bits());
        keyCodes = method.device.allocate(keyLayout.bytes());
        valueCodes = method.device.allocate(valueLayout.bytes());
    }

    DeviceVqMethod method() {
        return method;
    }

    /** The code arrays and their layouts as they are now (they move when {@link #reserve} grows them). */
    DeviceBuffer keyCodes() {
        return keyCodes;
    }

    DeviceBuffer valueCodes() {
        return valueCodes;
    }

    VqCodeLayout keyLayout() {
        return keyLayout;
    }

    VqCodeLayout valueLayout() {
        return valueLayout;
    }

    /** Positions the code arrays hold now (tests: a synthetic fill reserves them ahead). */
    int codeCapacity() {
        return keyLayout.capacity();
    }

    /** Grows the code arrays to hold {@code positions}, copying each (layer, head) run to its new place. */
    @Override
    protected void reserve(int positions) {
        if (positions <= keyLayout.capacity()) return;
        DeviceBuffer oldKeys = keyCodes, oldValues = valueCodes;
        VqCodeLayout oldKeyLayout = keyLayout, oldValueLayout = valueLayout;
        allocateCodes(Math.max(positions, 2 * keyLayout.capacity()));
        for (int l = 0; l < layout.layers(); l++) {
            for (int h = 0; h < layout.kvHeads(); h++) {
                copyRun(oldKeys, oldKeyLayout, keyCodes, keyLayout, l, h);
                copyRun(oldValues, oldValueLayout, valueCodes, valueLayout, l, h);
            }
        }
        oldKeys.close();
        oldValues.close();
    }

    private void copyRun(DeviceBuffer from, VqCodeLayout fromLayout, DeviceBuffer to, VqCodeLayout toLayout, int layer, int head) {
        int b = fromLayout.codeBytes();
        long bytes = (long) encoded(layer) * fromLayout.subspaces() * b;
        if (bytes == 0) return;
        to.copyFrom(from, fromLayout.index(0, layer, head, 0, 0) * b, toLayout.index(0, layer, head, 0, 0) * b, bytes);
    }

    @Override
    protected void encode(int layer, Fp16KvRing source, int from, int to) {
        method.encode.launch(method.deviceBooks, source.keys(layer), source.values(layer), source.capacity(layer), 0, layer, from, to,
                keyCodes, keyLayout, valueCodes, valueLayout);
    }

    /** Uniform random codes below 2^bits in the whole code arrays: for timing, where the step's cost does not depend on them. */
    @Override
    protected void fillEncoded(int positions, long seed) {
        SyntheticKvFill.randomCodes(method.device, keyCodes, keyLayout.codeBytes(), method.flat.keys().bits(), seed);
        SyntheticKvFill.randomCodes(method.device, valueCodes, valueLayout.codeBytes(), method.flat.values().bits(), seed + 1);
    }

    @Override
    protected DeviceBuffer.Slice windowLse(int tokens, int start) {
        scratch = method.scratch(tokens, start);
        return scratch.windowLse().from(0);
    }

    @Override
    protected void attendEncodedAndMerge(int layer, DeviceBuffer.Slice q, int start, int tokens, int encodedTokens, float scale,
                                         DeviceBuffer.Slice out, DeviceBuffer.Slice windowLse) {
        VqAttentionKernel.Plan plan = method.attention.plan(method.flat, tokens, encodedTokens);
        method.attention.launch(method.deviceBooks, layer, plan, q, tokens, scratch.sequenceZeros(), scratch.positions(), window,
                scale, keyCodes, keyLayout, valueCodes, valueLayout, scratch.compressedO(), scratch.compressedLse());
        method.merge.launch(out, scratch.windowLse(), scratch.compressedO(), scratch.compressedLse(), tokens * layout.queryHeads(),
                layout.headDim(), out, scratch.windowLse());
    }

    /**
     * Codes packed to their width per (layer, KV head), as the CPU cache counts them. (On the device each code sits
     * in an 8-bit container, or a 16-bit one above 8 bits.)
     */
    @Override
    protected long encodedBytes(int layer, int encodedTokens) {
        var spec = method.books.spec();
        long keyCodesPerHead = (long) encodedTokens * method.flat.keySubspaces();
        long valueCodesPerHead = (long) encodedTokens * method.flat.valueSubspaces();
        return layout.kvHeads() * (BitPacking.bytesFor(keyCodesPerHead, spec.keys().bits())
                + BitPacking.bytesFor(valueCodesPerHead, spec.values().bits()));
    }

    @Override
    protected void closeEncoded() {
        if (keyCodes != null) keyCodes.close();
        if (valueCodes != null) valueCodes.close();
    }
}
