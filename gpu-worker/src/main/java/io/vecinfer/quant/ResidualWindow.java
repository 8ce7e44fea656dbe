package io.vecinfer.quant;

import io.vecinfer.kvcache.KvLayout;
import io.vecinfer.kvcache.SoftmaxAccumulator;
import io.vecinfer.tensor.Half;

/**
 * The newest tokens of one layer, kept in fp16. Flush policy (method.md "Residual window"): the newest
 * R tokens always stay in fp16; once R more have arrived (2R in the window) the oldest R are encoded
 * as one block, so the window holds between R and 2R - 1 tokens after the first R. Block encoding
 * is what lets KIVI group keys over tokens and the GPU encode a whole tile at once.
 */
public final class ResidualWindow {
    private final KvLayout layout;
    private final int r;
    private final float[] keys;
    private final float[] values;
    private int size;

    public ResidualWindow(KvLayout layout, int r) {
        this.layout = layout;
        this.r = r;
        keys = new float[2 * r * layout.tokenWidth()];
        values = new float[2 * r * layout.tokenWidth()];
    }

    /** Tokens of a sequence of {@code length} that are encoded (the rest are in the window). */
    public static long compressedTokens(long length, int r) {
        return length < 2L * r ? 0 : (length - r) / r * r;
    }

    public void append(float[] k, int kOffset, float[] v, int vOffset) {
        int width = layout.tokenWidth(), at = size * width;
        for (int i = 0; i < width; i++) {
            keys[at + i] = Half.roundToFp16(k[kOffset + i]);
            values[at + i] = Half.roundToFp16(v[vOffset + i]);
        }
        size++;
    }

    public boolean full() {
        return size == 2 * r;
    }

    /** Keys of the window, token-major (tokens × kvHeads × headDim), oldest first. */
    public float[] keys() {
        return keys;
    }

    public float[] values() {
        return values;
    }

    /** Forgets the oldest R tokens, after they have been encoded. */
    public void dropBlock() {
        int width = layout.tokenWidth();
        System.arraycopy(keys, r * width, keys, 0, (size - r) * width);
        System.arraycopy(values, r * width, values, 0, (size - r) * width);
        size -= r;
    }

    public int size() {
        return size;
    }

    /** Adds every window token of {@code kvHead} to {@code acc} for one query head. */
    public void attend(int kvHead, float[] q, int qOffset, float scale, SoftmaxAccumulator acc) {
        int d = layout.headDim(), width = layout.tokenWidth();
        for (int t = 0; t < size; t++) {
            int base = t * width + kvHead * d;
            float dot = 0f;
            for (int i = 0; i < d; i++) dot += q[qOffset + i] * keys[base + i];
            acc.add(dot * scale, values, base);
        }
    }
}
