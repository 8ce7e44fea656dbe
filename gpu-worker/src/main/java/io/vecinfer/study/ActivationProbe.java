package io.vecinfer.study;

import io.vecinfer.kvcache.DenseKvCache;
import io.vecinfer.kvcache.KvCache;
import io.vecinfer.kvcache.KvLayout;

import java.util.Arrays;

/**
 * An fp32 cache that also keeps every key, value and query it is given, per layer, so that a
 * compressed cache can later be replayed on exactly the activations of real inference.
 */
final class ActivationProbe implements KvCache {
    private final DenseKvCache exact;
    private final KvLayout layout;
    final float[][] keys, values, queries;
    final int[] tokens;

    ActivationProbe(KvLayout layout) {
        this.layout = layout;
        exact = new DenseKvCache(layout, DenseKvCache.Precision.FP32);
        keys = new float[layout.layers()][0];
        values = new float[layout.layers()][0];
        queries = new float[layout.layers()][0];
        tokens = new int[layout.layers()];
    }

    @Override
    public KvLayout layout() {
        return layout;
    }

    @Override
    public void append(int layer, float[] k, int kOffset, float[] v, int vOffset) {
        int w = layout.tokenWidth(), t = tokens[layer];
        keys[layer] = grow(keys[layer], (t + 1) * w);
        values[layer] = grow(values[layer], (t + 1) * w);
        System.arraycopy(k, kOffset, keys[layer], t * w, w);
        System.arraycopy(v, vOffset, values[layer], t * w, w);
        exact.append(layer, k, kOffset, v, vOffset);
    }

    @Override
    public void attend(int layer, float[] q, int qOffset, float scale, float[] out, int outOffset) {
        int qw = layout.queryHeads() * layout.headDim(), t = tokens[layer];
        queries[layer] = grow(queries[layer], (t + 1) * qw);
        System.arraycopy(q, qOffset, queries[layer], t * qw, qw);
        tokens[layer]++;
        exact.attend(layer, q, qOffset, scale, out, outOffset);
    }

    private static float[] grow(float[] a, int needed) {
        return needed <= a.length ? a : Arrays.copyOf(a, Math.max(needed, a.length * 2));
    }

    @Override
    public int length(int layer) {
        return exact.length(layer);
    }

    @Override
    public long storedBytes() {
        return exact.storedBytes();
    }
}
