package io.vecinfer.kvcache;

import io.vecinfer.tensor.FloatMath;
import io.vecinfer.tensor.Half;
import io.vecinfer.tensor.Parallel;

import java.util.Arrays;

/**
 * The uncompressed cache, in fp32 or with every element rounded through fp16 as an fp16 cache stores
 * it. It is the reference every compressed cache is measured against.
 */
public final class DenseKvCache implements KvCache {

    public enum Precision {
        FP32(4), FP16(2);
        final int bytes;

        Precision(int bytes) {
            this.bytes = bytes;
        }
    }

    public static KvCacheFactory factory(Precision precision) {
        return new KvCacheFactory() {
            @Override
            public KvCache create(KvLayout layout) {
                return new DenseKvCache(layout, precision);
            }

            @Override
            public String spec() {
                return precision.name().toLowerCase(java.util.Locale.ROOT);
            }
        };
    }

    private final KvLayout layout;
    private final Precision precision;
    private final float[][] keys;
    private final float[][] values;
    private final int[] lengths;
    private final SoftmaxAccumulator[] softmax;

    public DenseKvCache(KvLayout layout, Precision precision) {
        this.layout = layout;
        this.precision = precision;
        keys = new float[layout.layers()][layout.tokenWidth() * 16];
        values = new float[layout.layers()][layout.tokenWidth() * 16];
        lengths = new int[layout.layers()];
        softmax = new SoftmaxAccumulator[layout.queryHeads()];
        for (int h = 0; h < softmax.length; h++) softmax[h] = new SoftmaxAccumulator(layout.headDim());
    }

    @Override
    public KvLayout layout() {
        return layout;
    }

    @Override
    public void append(int layer, float[] k, int kOffset, float[] v, int vOffset) {
        int width = layout.tokenWidth();
        int at = lengths[layer] * width;
        if (at + width > keys[layer].length) {
            keys[layer] = Arrays.copyOf(keys[layer], keys[layer].length * 2);
            values[layer] = Arrays.copyOf(values[layer], values[layer].length * 2);
        }
        for (int i = 0; i < width; i++) {
            keys[layer][at + i] = store(k[kOffset + i]);
            values[layer][at + i] = store(v[vOffset + i]);
        }
        lengths[layer]++;
    }

    private float store(float x) {
        return precision == Precision.FP16 ? Half.roundToFp16(x) : x;
    }

    @Override
    public void attend(int layer, float[] q, int qOffset, float scale, float[] out, int outOffset) {
        int d = layout.headDim(), width = layout.tokenWidth(), n = lengths[layer];
        float[] k = keys[layer], v = values[layer];
        // Heads are independent: split them over the pool once the context makes it worth a fork.
        Parallel.forRange(layout.queryHeads(), n >= 256 ? 1 : layout.queryHeads(), (from, to) -> {
            for (int h = from; h < to; h++) {
                int head = (h / layout.groupSize()) * d;
                int qo = qOffset + h * d;
                SoftmaxAccumulator acc = softmax[h];
                acc.reset();
                for (int t = 0; t < n; t++) {
                    int base = t * width + head;
                    acc.add(FloatMath.dot(q, qo, k, base, d) * scale, v, base);
                }
                acc.finish(out, outOffset + h * d);
            }
        });
    }

    /** Appends every stored token to {@code target}, layer by layer in token order, as the decoder appended them here. */
    void replayInto(KvCache target) {
        int width = layout.tokenWidth();
        for (int layer = 0; layer < layout.layers(); layer++) {
            for (int t = 0; t < lengths[layer]; t++) target.append(layer, keys[layer], t * width, values[layer], t * width);
        }
    }

    @Override
    public int length(int layer) {
        return lengths[layer];
    }

    @Override
    public long storedBytes() {
        long tokens = 0;
        for (int n : lengths) tokens += n;
        return tokens * layout.tokenWidth() * 2L * precision.bytes;
    }
}
