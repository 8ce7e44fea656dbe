package io.vecinfer.quant.calib;

import io.vecinfer.kvcache.DenseKvCache;
import io.vecinfer.kvcache.KvCache;
import io.vecinfer.kvcache.KvCacheFactory;
import io.vecinfer.kvcache.KvLayout;

/**
 * A dense cache that also hands every appended post-RoPE key and value to {@link CalibrationSamples}:
 * run calibration text through the decoder with this factory and the samples are what the codebooks
 * are fitted on. Attention is the dense cache's, so calibration sees the model's own activations.
 */
public final class RecordingKvCache implements KvCache {

    public static KvCacheFactory factory(DenseKvCache.Precision precision, CalibrationSamples sink) {
        return new KvCacheFactory() {
            @Override
            public KvCache create(KvLayout layout) {
                return new RecordingKvCache(new DenseKvCache(layout, precision), sink);
            }

            @Override
            public String spec() {
                return precision.name().toLowerCase(java.util.Locale.ROOT);
            }
        };
    }

    private final DenseKvCache delegate;
    private final CalibrationSamples sink;

    public RecordingKvCache(DenseKvCache delegate, CalibrationSamples sink) {
        KvLayout a = delegate.layout(), b = sink.layout();
        if (a.layers() != b.layers() || a.kvHeads() != b.kvHeads() || a.headDim() != b.headDim()) {
            throw new IllegalArgumentException("calibration samples for " + b + " cannot record a cache of " + a);
        }
        this.delegate = delegate;
        this.sink = sink;
    }

    @Override
    public KvLayout layout() {
        return delegate.layout();
    }

    @Override
    public void append(int layer, float[] k, int kOffset, float[] v, int vOffset) {
        sink.add(layer, k, kOffset, v, vOffset);
        delegate.append(layer, k, kOffset, v, vOffset);
    }

    @Override
    public void attend(int layer, float[] q, int qOffset, float scale, float[] out, int outOffset) {
        delegate.attend(layer, q, qOffset, scale, out, outOffset);
    }

    @Override
    public int length(int layer) {
        return delegate.length(layer);
    }

    @Override
    public long storedBytes() {
        return delegate.storedBytes();
    }
}
