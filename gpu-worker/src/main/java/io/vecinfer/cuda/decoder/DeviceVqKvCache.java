package io.vecinfer.cuda.decoder;

import io.vecinfer.cuda.DeviceBuffer;
import io.vecinfer.cuda.attention.Fp16KvRing;
import io.vecinfer.cuda.vq.VqAttentionKernel;
import io.vecinfer.cuda.vq.VqCodeLayout;
import io.vecinfer.decoder.Batching;
import io.vecinfer.kvcache.KvLayout;
import io.vecinfer.quant.ResidualWindow;
import io.vecinfer.quant.bits.BitPacking;

/**
 * A VQ cache on the GPU, the device twin of {@link io.vecinfer.quant.vq.VqKvCache}: the newest tokens in an
 * fp16 ring of 2R + 512 positions, older ones as codes. A chunk of new tokens is handled as the CPU cache
 * handles them one by one: the ring stores them; every block the CPU would have flushed by the chunk's end is
 * encoded (codes do not depend on when a token is encoded); then each new query at position p attends the
 * codes of [0, c(p)) by lookup table and the fp16 tokens of [c(p), p], merged by log-sum-exp, with
 * c(p) = {@link ResidualWindow#compressedTokens}(p + 1, R), exactly the CPU's split at that token.
 */
final class DeviceVqKvCache extends DeviceKvCache {
    private static final int INITIAL_CODE_CAPACITY = 1024;

    private final DeviceVqMethod method;
    private final int window;
    private final Fp16KvRing ring;
    private final int[] lengths;
    private final int[] encoded;
    private DeviceBuffer keyCodes, valueCodes;
    private VqCodeLayout keyLayout, valueLayout;

    DeviceVqKvCache(DeviceVqMethod method, KvLayout layout) {
        super(layout);
        KvLayout books = method.flat.layout();
        if (books.layers() != layout.layers() || books.kvHeads() != layout.kvHeads() || books.headDim() != layout.headDim()) {
            throw new IllegalArgumentException("codebooks for " + books + " cannot serve a cache of " + layout);
        }
        this.method = method;
        this.window = method.books.spec().window();
        this.ring = new Fp16KvRing(method.device, layout, 2 * window + Batching.CHUNK_ROWS);
        lengths = new int[layout.layers()];
        encoded = new int[layout.layers()];
        try {
            allocateCodes(INITIAL_CODE_CAPACITY);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    private void allocateCodes(int capacity) {
        keyLayout = VqCodeLayout.of(1, layout.layers(), layout.kvHeads(), capacity, method.flat.keySubspaces(), method.flat.keys().bits());
        valueLayout = VqCodeLayout.of(1, layout.layers(), layout.kvHeads(), capacity, method.flat.valueSubspaces(), method.flat.values().bits());
        keyCodes = method.device.allocate(keyLayout.bytes());
        valueCodes = method.device.allocate(valueLayout.bytes());
    }

    /** Grows the code arrays to hold {@code positions}, copying each (layer, head) run to its new place. */
    private void reserveCodes(int positions) {
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
        long bytes = (long) encoded[layer] * fromLayout.subspaces() * b;
        if (bytes == 0) return;
        to.copyFrom(from, fromLayout.index(0, layer, head, 0, 0) * b, toLayout.index(0, layer, head, 0, 0) * b, bytes);
    }

    /** The ring holds the residual window and one chunk of the CPU's size. */
    @Override
    public int maxTokensPerPass() {
        return Batching.CHUNK_ROWS;
    }

    @Override
    public void appendAndAttend(int layer, DeviceBuffer.Slice q, DeviceBuffer.Slice k, DeviceBuffer.Slice v, int start, int tokens,
                                float scale, DeviceBuffer.Slice out) {
        if (start != lengths[layer]) {
            throw new IllegalStateException("layer " + layer + " holds " + lengths[layer] + " tokens; new tokens must start there, not at " + start);
        }
        if (tokens > Batching.CHUNK_ROWS) {
            throw new IllegalArgumentException(tokens + " new tokens in one pass; the ring holds chunks of at most " + Batching.CHUNK_ROWS);
        }
        int end = start + tokens;
        ring.store(layer, k, v, start, tokens);
        int compressed = (int) ResidualWindow.compressedTokens(end, window);
        if (compressed > encoded[layer]) {
            reserveCodes(compressed);
            method.encode.launch(method.deviceBooks, ring.keys(layer), ring.values(layer), ring.capacity(layer), 0, layer,
                    encoded[layer], compressed, keyCodes, keyLayout, valueCodes, valueLayout);
            encoded[layer] = compressed;
        }
        DeviceVqMethod.Scratch scratch = method.scratch(tokens, start);
        ring.attend(layer, q, start, tokens, window, scale, out, scratch.windowLse().from(0));
        if (compressed > 0) {
            VqAttentionKernel.Plan plan = method.attention.plan(method.flat, tokens, compressed);
            method.attention.launch(method.deviceBooks, layer, plan, q, tokens, scratch.sequenceZeros(), scratch.positions(), window,
                    scale, keyCodes, keyLayout, valueCodes, valueLayout, scratch.compressedO(), scratch.compressedLse());
            method.merge.launch(out, scratch.windowLse(), scratch.compressedO(), scratch.compressedLse(), tokens * layout.queryHeads(),
                    layout.headDim(), out, scratch.windowLse());
        }
        lengths[layer] = end;
    }

    @Override
    public int length(int layer) {
        return lengths[layer];
    }

    /**
     * The bytes of the method's representation, counted as the CPU cache counts them: codes packed to their
     * width per (layer, KV head), plus the fp16 window. (On the device each code sits in an 8-bit container, or a 16-bit one above 8 bits.)
     */
    @Override
    public long storedBytes() {
        long bytes = 0;
        var spec = method.books.spec();
        for (int l = 0; l < layout.layers(); l++) {
            long keyCodesPerHead = (long) encoded[l] * method.flat.keySubspaces();
            long valueCodesPerHead = (long) encoded[l] * method.flat.valueSubspaces();
            bytes += layout.kvHeads() * (BitPacking.bytesFor(keyCodesPerHead, spec.keys().bits())
                    + BitPacking.bytesFor(valueCodesPerHead, spec.values().bits()));
            bytes += (long) (lengths[l] - encoded[l]) * layout.tokenWidth() * 2L * Short.BYTES;
        }
        return bytes;
    }

    @Override
    public void close() {
        ring.close();
        if (keyCodes != null) keyCodes.close();
        if (valueCodes != null) valueCodes.close();
    }
}
