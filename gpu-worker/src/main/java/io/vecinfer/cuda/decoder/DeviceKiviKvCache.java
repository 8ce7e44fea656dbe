package io.vecinfer.cuda.decoder;

import io.vecinfer.cuda.DeviceBuffer;
import io.vecinfer.cuda.attention.Fp16KvRing;
import io.vecinfer.cuda.kivi.KiviEncodeKernel;
import io.vecinfer.cuda.kivi.KiviLayout;
import io.vecinfer.kvcache.KvLayout;
import io.vecinfer.kvcache.Prefill;

/**
 * A KIVI cache on the GPU, the device twin of {@link io.vecinfer.quant.kivi.KiviKvCache}: the window and prefill logic
 * of {@link DeviceWindowedKvCache}, flushed blocks quantized by kivi_encode (keys per channel over G tokens, values per
 * token over VG channels, fp16 zero and scale, codes packed), and the encoded part attended by the split-KV kernel
 * with its dequantization fused (kivi_attention), merged with the window by log-sum-exp.
 */
final class DeviceKiviKvCache extends DeviceWindowedKvCache {
    private static final int INITIAL_CAPACITY = 1024;

    private final DeviceKiviMethod method;
    /** The shape alone, for counting bytes (which do not depend on capacity), also after close. */
    private final KiviLayout shape;
    private KiviEncodeKernel.Storage storage;
    private DeviceKiviMethod.Scratch scratch;

    DeviceKiviKvCache(DeviceKiviMethod method, KvLayout layout, Prefill prefill) {
        super(method.device, layout, method.spec.window(), prefill);
        this.method = method;
        KiviLayout initial;
        try {
            initial = KiviLayout.of(method.spec, layout, method.spec.window()).withCapacity(INITIAL_CAPACITY);
            storage = allocate(initial);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        shape = initial;
    }

    private KiviEncodeKernel.Storage allocate(KiviLayout l) {
        DeviceBuffer keyCodes = null, valueCodes = null, keyParams = null;
        try {
            keyCodes = method.device.allocate(4 * l.keyCodeWords());
            valueCodes = method.device.allocate(4 * l.valueCodeWords());
            keyParams = method.device.allocate(4 * l.keyParamFloats());
            DeviceBuffer valueParams = method.device.allocate(4 * l.valueParamFloats());
            return new KiviEncodeKernel.Storage(l, keyCodes, valueCodes, keyParams, valueParams);
        } catch (RuntimeException e) {
            for (DeviceBuffer b : new DeviceBuffer[]{keyCodes, valueCodes, keyParams}) if (b != null) b.close();
            throw e;
        }
    }

    /** Grows the arrays to hold {@code positions}, copying each (layer, head) run of encoded tokens to its new place. */
    @Override
    protected void reserve(int positions) {
        KiviLayout old = storage.layout();
        if (positions <= old.capacity()) return;
        KiviEncodeKernel.Storage from = storage, to = allocate(old.withCapacity(Math.max(positions, 2 * old.capacity())));
        KiviLayout grown = to.layout();
        for (int l = 0; l < layout.layers(); l++) {
            int n = encoded(l);
            if (n == 0) continue;
            for (int h = 0; h < layout.kvHeads(); h++) {
                int kw = old.keyWords(), vw = old.valueWords();
                copy(from.keyCodes(), to.keyCodes(), 4 * old.rowIndex(l, h, 0, kw), 4 * grown.rowIndex(l, h, 0, kw), 4L * n * kw);
                copy(from.valueCodes(), to.valueCodes(), 4 * old.rowIndex(l, h, 0, vw), 4 * grown.rowIndex(l, h, 0, vw), 4L * n * vw);
                long keyFloats = (long) n / old.window() * old.keyGroupsPerBlock() * old.headDim() * 2;
                copy(from.keyParams(), to.keyParams(), 4 * old.keyParamIndex(l, h, 0, 0), 4 * grown.keyParamIndex(l, h, 0, 0), 4 * keyFloats);
                long valueFloats = (long) n * old.valueGroupsPerToken() * 2;
                copy(from.valueParams(), to.valueParams(), 4 * old.valueParamIndex(l, h, 0, 0), 4 * grown.valueParamIndex(l, h, 0, 0), 4 * valueFloats);
            }
        }
        storage = to;
        close(from);
    }

    private static void copy(Object from, Object to, long fromByte, long toByte, long bytes) {
        ((DeviceBuffer) to).copyFrom((DeviceBuffer) from, fromByte, toByte, bytes);
    }

    @Override
    protected void encode(int layer, Fp16KvRing source, int from, int to) {
        method.encode.launch(source.keys(layer), source.values(layer), source.capacity(layer), layer, from, to, storage);
    }

    @Override
    protected DeviceBuffer.Slice windowLse(int tokens, int start) {
        scratch = method.scratch(layout, tokens);
        return scratch.windowLse().from(0);
    }

    @Override
    protected void attendEncodedAndMerge(int layer, DeviceBuffer.Slice q, int start, int tokens, int encodedTokens, float scale,
                                         DeviceBuffer.Slice out, DeviceBuffer.Slice windowLse) {
        method.attention.launch(storage, layer, q, start, tokens, layout.queryHeads(), scale, scratch.encodedO(), scratch.encodedLse());
        method.merge.launch(out, scratch.windowLse(), scratch.encodedO(), scratch.encodedLse(), tokens * layout.queryHeads(),
                layout.headDim(), out, scratch.windowLse());
    }

    /** Codes packed to their width and 2 bytes per fp16 zero and scale, as KiviKvCache counts them. */
    @Override
    protected long encodedBytes(int layer, int encodedTokens) {
        return shape.storedBytes(encodedTokens);
    }

    @Override
    protected void closeEncoded() {
        if (storage != null) close(storage);
        storage = null;
    }

    private static void close(KiviEncodeKernel.Storage s) {
        for (Object b : new Object[]{s.keyCodes(), s.valueCodes(), s.keyParams(), s.valueParams()}) {
            if (b != null) ((DeviceBuffer) b).close();
        }
    }
}
