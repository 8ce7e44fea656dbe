package io.vecinfer.quant;

import io.vecinfer.kvcache.KvCache;
import io.vecinfer.kvcache.KvLayout;
import io.vecinfer.kvcache.SoftmaxAccumulator;

/**
 * What every compressed cache shares: an fp16 {@link ResidualWindow} per layer that hands blocks of R
 * tokens to the subclass to encode, and attention as two online softmaxes, one over the compressed
 * tokens and one over the window, merged by log-sum-exp (the Flash-Decoding split merge).
 */
public abstract class WindowedKvCache implements KvCache {
    protected final KvLayout layout;
    private final int r;
    private final ResidualWindow[] windows;
    private final int[] compressed;
    private final SoftmaxAccumulator compressedPart;
    private final SoftmaxAccumulator windowPart;

    protected WindowedKvCache(KvLayout layout, int r) {
        this.layout = layout;
        this.r = r;
        windows = new ResidualWindow[layout.layers()];
        for (int l = 0; l < windows.length; l++) windows[l] = new ResidualWindow(layout, r);
        compressed = new int[layout.layers()];
        compressedPart = new SoftmaxAccumulator(layout.headDim());
        windowPart = new SoftmaxAccumulator(layout.headDim());
    }

    /** Encodes the {@code tokens} oldest tokens of {@code keys}/{@code values} (token-major, fp16-rounded) after those already encoded. */
    protected abstract void encodeBlock(int layer, float[] keys, float[] values, int tokens);

    /** Adds the compressed tokens of {@code kvHead} to {@code acc} for the query head at {@code qOffset}. */
    protected abstract void attendCompressed(int layer, int kvHead, float[] q, int qOffset, float scale, SoftmaxAccumulator acc);

    /** Bytes of the compressed part: packed codes and per-group parameters, not model-wide codebooks. */
    protected abstract long compressedBytes();

    @Override
    public KvLayout layout() {
        return layout;
    }

    @Override
    public void append(int layer, float[] k, int kOffset, float[] v, int vOffset) {
        ResidualWindow w = windows[layer];
        w.append(k, kOffset, v, vOffset);
        if (w.full()) {
            encodeBlock(layer, w.keys(), w.values(), r);
            compressed[layer] += r;
            w.dropBlock();
        }
    }

    @Override
    public void attend(int layer, float[] q, int qOffset, float scale, float[] out, int outOffset) {
        int d = layout.headDim();
        for (int h = 0; h < layout.queryHeads(); h++) {
            int kvHead = h / layout.groupSize(), qo = qOffset + h * d;
            compressedPart.reset();
            if (compressed[layer] > 0) attendCompressed(layer, kvHead, q, qo, scale, compressedPart);
            windowPart.reset();
            windows[layer].attend(kvHead, q, qo, scale, windowPart);
            compressedPart.merge(windowPart);
            compressedPart.finish(out, outOffset + h * d);
        }
    }

    /** Encoded tokens of {@code layer}. */
    protected int compressedLength(int layer) {
        return compressed[layer];
    }

    @Override
    public int length(int layer) {
        return compressed[layer] + windows[layer].size();
    }

    @Override
    public long storedBytes() {
        long windowTokens = 0;
        for (ResidualWindow w : windows) windowTokens += w.size();
        return compressedBytes() + windowTokens * layout.tokenWidth() * 2L * 2L;
    }
}
