package io.vecinfer.study;

import io.vecinfer.kvcache.DenseKvCache;
import io.vecinfer.kvcache.KvCache;
import io.vecinfer.kvcache.KvCacheFactory;
import io.vecinfer.kvcache.KvLayout;
import io.vecinfer.quant.vq.Codebook;
import io.vecinfer.quant.vq.CodebookSet;
import io.vecinfer.quant.vq.KeyTransform;

/**
 * Errors of a compressed cache on recorded activations: every layer's keys and values are replayed
 * token by token into the method's cache and into an fp32 cache, and every {@code stride}-th query
 * attends to both. Errors are relative: ‖ours − exact‖ / ‖exact‖, summed over all probed outputs.
 */
final class ReplayErrors {
    private ReplayErrors() {
    }

    static double attentionOutput(ActivationProbe probe, KvCacheFactory method, int stride) {
        KvLayout layout = probe.layout();
        KvCache tested = method.create(layout);
        KvCache exact = new DenseKvCache(layout, DenseKvCache.Precision.FP32);
        int w = layout.tokenWidth(), qw = layout.queryHeads() * layout.headDim();
        float scale = (float) (1.0 / Math.sqrt(layout.headDim()));
        float[] a = new float[qw], b = new float[qw];
        double diff = 0, norm = 0;
        for (int l = 0; l < layout.layers(); l++) {
            for (int t = 0; t < probe.tokens[l]; t++) {
                tested.append(l, probe.keys[l], t * w, probe.values[l], t * w);
                exact.append(l, probe.keys[l], t * w, probe.values[l], t * w);
                if (t % stride != stride - 1) continue;
                tested.attend(l, probe.queries[l], t * qw, scale, a, 0);
                exact.attend(l, probe.queries[l], t * qw, scale, b, 0);
                for (int i = 0; i < qw; i++) {
                    diff += (a[i] - b[i]) * (double) (a[i] - b[i]);
                    norm += b[i] * (double) b[i];
                }
            }
        }
        return Math.sqrt(diff / norm);
    }

    /** Relative reconstruction error of the keys: transform, nearest codewords, decode, inverse transform. */
    static double keyReconstruction(ActivationProbe probe, CodebookSet books) {
        KvLayout layout = probe.layout();
        int d = layout.headDim(), w = layout.tokenWidth();
        int n = books.spec().keys().dims();
        float[] tilde = new float[d];
        double diff = 0, norm = 0;
        for (int l = 0; l < layout.layers(); l++) {
            for (int h = 0; h < layout.kvHeads(); h++) {
                KeyTransform transform = books.keyTransform(l, h);
                for (int t = 0; t < probe.tokens[l]; t++) {
                    int at = t * w + h * d;
                    transform.key(probe.keys[l], at, tilde);
                    for (int s = 0; s < d / n; s++) {
                        Codebook book = books.keyBook(l, h, s);
                        book.decode(book.nearest(tilde, s * n), tilde, s * n);
                    }
                    transform.keyInverse(tilde);
                    for (int i = 0; i < d; i++) {
                        double e = tilde[i] - probe.keys[l][at + i];
                        diff += e * e;
                        norm += probe.keys[l][at + i] * (double) probe.keys[l][at + i];
                    }
                }
            }
        }
        return Math.sqrt(diff / norm);
    }
}
