package io.vecinfer.quant.kivi;

import io.vecinfer.kvcache.KvCache;
import io.vecinfer.kvcache.KvCacheFactory;
import io.vecinfer.kvcache.KvLayout;
import io.vecinfer.kvcache.SoftmaxAccumulator;
import io.vecinfer.quant.KiviSpec;
import io.vecinfer.quant.WindowedKvCache;
import io.vecinfer.quant.bits.PackedCodes;

/**
 * KIVI (arXiv 2402.02750): keys quantized per channel over groups of G tokens (key outliers live in
 * channels), values per token over groups of G channels, fp16 residual window. A group that does not
 * fill G (G not dividing R, or G above head_dim) is quantized as the shorter group it is.
 * Attention dequantizes; there is no lookup-table form of scalar codes worth modelling.
 */
public final class KiviKvCache extends WindowedKvCache {

    public static KvCacheFactory factory(KiviSpec spec) {
        return new KvCacheFactory() {
            @Override
            public KvCache create(KvLayout layout) {
                return new KiviKvCache(spec, layout);
            }

            @Override
            public String spec() {
                return spec.spec();
            }
        };
    }

    private final KiviSpec spec;
    private final AsymmetricQuantizer keyQuantizer;
    private final AsymmetricQuantizer valueQuantizer;
    private final int keyGroupsPerBlock;
    private final int valueGroupsPerToken;
    /** Per (layer, KV head): codes token-major, and fp16 {zero, scale} pairs in the order groups were made. */
    private final PackedCodes[] keyCodes;
    private final PackedCodes[] valueCodes;
    private final FloatList[] keyParams;
    private final FloatList[] valueParams;
    private final float[] key;
    private final float[] value;

    public KiviKvCache(KiviSpec spec, KvLayout layout) {
        super(layout, spec.window());
        this.spec = spec;
        keyQuantizer = new AsymmetricQuantizer(spec.keys().bits());
        valueQuantizer = new AsymmetricQuantizer(spec.values().bits());
        keyGroupsPerBlock = ceilDiv(spec.window(), spec.keys().group());
        valueGroupsPerToken = ceilDiv(layout.headDim(), spec.values().group());
        int heads = layout.layers() * layout.kvHeads();
        keyCodes = new PackedCodes[heads];
        valueCodes = new PackedCodes[heads];
        keyParams = new FloatList[heads];
        valueParams = new FloatList[heads];
        for (int i = 0; i < heads; i++) {
            keyCodes[i] = new PackedCodes(spec.keys().bits());
            valueCodes[i] = new PackedCodes(spec.values().bits());
            keyParams[i] = new FloatList();
            valueParams[i] = new FloatList();
        }
        key = new float[layout.headDim()];
        value = new float[layout.headDim()];
    }

    static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    @Override
    protected void encodeBlock(int layer, float[] keys, float[] values, int tokens) {
        int d = layout.headDim(), width = layout.tokenWidth(), g = spec.keys().group();
        for (int head = 0; head < layout.kvHeads(); head++) {
            int slot = layer * layout.kvHeads() + head;
            for (int start = 0; start < tokens; start += g) {
                int count = Math.min(g, tokens - start), first = keyParams[slot].size();
                for (int i = 0; i < d; i++) keyParams[slot].add(keyQuantizer.fit(keys, start * width + head * d + i, width, count));
                for (int t = start; t < start + count; t++) {
                    for (int i = 0; i < d; i++) {
                        int p = first + 2 * i;
                        keyCodes[slot].append(keyQuantizer.code(keys[t * width + head * d + i], keyParams[slot].get(p), keyParams[slot].get(p + 1)));
                    }
                }
            }
            int vg = spec.values().group();
            for (int t = 0; t < tokens; t++) {
                int base = t * width + head * d;
                for (int start = 0; start < d; start += vg) {
                    int count = Math.min(vg, d - start), p = valueParams[slot].size();
                    valueParams[slot].add(valueQuantizer.fit(values, base + start, 1, count));
                    for (int i = start; i < start + count; i++) {
                        valueCodes[slot].append(valueQuantizer.code(values[base + i], valueParams[slot].get(p), valueParams[slot].get(p + 1)));
                    }
                }
            }
        }
    }

    @Override
    protected void attendCompressed(int layer, int kvHead, float[] q, int qOffset, float scale, SoftmaxAccumulator acc) {
        int slot = layer * layout.kvHeads() + kvHead, d = layout.headDim();
        for (int j = 0, n = compressedLength(layer); j < n; j++) {
            decodeKey(slot, j);
            decodeValue(slot, j);
            float dot = 0f;
            for (int i = 0; i < d; i++) dot += q[qOffset + i] * key[i];
            acc.add(dot * scale, value, 0);
        }
    }

    private void decodeKey(int slot, int token) {
        int d = layout.headDim(), r = spec.window();
        int group = token / r * keyGroupsPerBlock + token % r / spec.keys().group();
        for (int i = 0; i < d; i++) {
            int p = 2 * (group * d + i);
            key[i] = AsymmetricQuantizer.decode(keyCodes[slot].get(token * d + i), keyParams[slot].get(p), keyParams[slot].get(p + 1));
        }
    }

    private void decodeValue(int slot, int token) {
        int d = layout.headDim(), g = spec.values().group();
        for (int i = 0; i < d; i++) {
            int p = 2 * (token * valueGroupsPerToken + i / g);
            value[i] = AsymmetricQuantizer.decode(valueCodes[slot].get(token * d + i), valueParams[slot].get(p), valueParams[slot].get(p + 1));
        }
    }

    @Override
    protected long compressedBytes() {
        long bytes = 0;
        for (int i = 0; i < keyCodes.length; i++) {
            // Each fp16 zero and scale is 2 bytes.
            bytes += keyCodes[i].bytes() + valueCodes[i].bytes() + 2L * (keyParams[i].size() + valueParams[i].size());
        }
        return bytes;
    }
}
