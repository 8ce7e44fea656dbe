package io.vecinfer.quant.calib;

import io.vecinfer.kvcache.KvLayout;
import io.vecinfer.quant.CodebookScope;
import io.vecinfer.quant.VqShape;
import io.vecinfer.quant.VqSpec;
import io.vecinfer.quant.vq.Codebook;
import io.vecinfer.quant.vq.CodebookSet;
import io.vecinfer.quant.vq.KMeans;
import io.vecinfer.quant.vq.KMeansConfig;
import io.vecinfer.quant.vq.KeyTransform;
import io.vecinfer.quant.vq.Provenance;
import io.vecinfer.quant.vq.SmoothFactors;

import java.util.SplittableRandom;

/**
 * Fits a {@link CodebookSet} from calibration samples: λ per (layer, KV head, channel) when smoothing,
 * then for each codebook of the scope, k-means over the sub-vectors it will encode (keys after the
 * transform, values as they are). Codewords are rounded to fp16, as the kernel stores them.
 */
public final class Calibration {
    /**
     * Sub-vectors kept per codebook for k-means: 64 per codeword, at most 65,536 (16 per codeword for
     * 12-bit books). The paper does not say; this keeps fits to seconds on a CPU.
     */
    public static final int MAX_POINTS_PER_CODEWORD = 64, MAX_POINTS = 1 << 16;

    private Calibration() {
    }

    public static CodebookSet fit(VqSpec spec, CalibrationSamples samples, String model, KMeansConfig kmeans) {
        KvLayout layout = samples.layout();
        spec.checkLayout(layout);
        int heads = layout.layers() * layout.kvHeads();
        float[][] lambdas = spec.smooth() ? new float[heads][] : null;
        float[][] keys = new float[heads][];
        float[][] values = new float[heads][];
        for (int l = 0; l < layout.layers(); l++) {
            for (int h = 0; h < layout.kvHeads(); h++) {
                int slot = l * layout.kvHeads() + h;
                float[] k = samples.keys(l, h);
                if (lambdas != null) lambdas[slot] = SmoothFactors.fit(k, samples.tokens(l), layout.headDim());
                keys[slot] = transformed(k, new KeyTransform(layout.headDim(), lambdas == null ? null : lambdas[slot], spec.hadamard()), layout.headDim());
                values[slot] = samples.values(l, h);
            }
        }
        Codebook[] keyBooks = fitSide("key", spec, spec.keys(), keys, samples, kmeans, 0);
        Codebook[] valueBooks = fitSide("value", spec, spec.values(), values, samples, kmeans, 1);
        return new CodebookSet(spec, layout, lambdas, keyBooks, valueBooks,
                new Provenance(model, samples.sha256(), kmeans.seed(), kmeans.iterations()));
    }

    private static float[] transformed(float[] keys, KeyTransform transform, int d) {
        float[] out = new float[keys.length], scratch = new float[d];
        for (int t = 0; t < keys.length / d; t++) {
            transform.key(keys, t * d, scratch);
            System.arraycopy(scratch, 0, out, t * d, d);
        }
        return out;
    }

    private static Codebook[] fitSide(String side, VqSpec spec, VqShape shape, float[][] perHead, CalibrationSamples samples,
                                      KMeansConfig kmeans, int sideIndex) {
        KvLayout layout = samples.layout();
        CodebookScope scope = spec.scope();
        int n = shape.dims(), subspaces = shape.subspaces(layout.headDim());
        int books = scope.count(layout, subspaces);
        int[] counts = new int[books];
        forEachSubvector(layout, subspaces, scope, samples, (book, slot, t, s) -> counts[book]++);
        // k-means cost grows with points × codewords; beyond MAX_POINTS_PER_CODEWORD points per codeword the
        // codebook stops improving, so each book keeps an even, deterministic stride of its sub-vectors.
        int[] stride = new int[books];
        float[][] points = new float[books][];
        for (int b = 0; b < books; b++) {
            if (counts[b] < shape.codewords()) {
                throw new IllegalArgumentException("calibration for '" + spec.spec() + "': " + side + " " + scope.describe(layout, b)
                        + " collected " + counts[b] + " sub-vectors but needs at least " + shape.codewords()
                        + " (2^" + shape.bits() + " codewords); run more calibration text or use a wider scope");
            }
            long cap = Math.min((long) MAX_POINTS_PER_CODEWORD * shape.codewords(), MAX_POINTS);
            stride[b] = (int) Math.max(1, (counts[b] + cap - 1) / cap);
            points[b] = new float[(counts[b] + stride[b] - 1) / stride[b] * n];
        }
        int[] seen = new int[books];
        int[] filled = new int[books];
        forEachSubvector(layout, subspaces, scope, samples, (book, slot, t, s) -> {
            if (seen[book]++ % stride[book] != 0) return;
            System.arraycopy(perHead[slot], t * layout.headDim() + s * n, points[book], filled[book] * n, n);
            filled[book]++;
        });
        Codebook[] out = new Codebook[books];
        for (int b = 0; b < books; b++) {
            // Each codebook gets its own seed derived from the run's seed, so codebooks are independent of fitting order.
            long seed = new SplittableRandom(kmeans.seed() ^ (0x9E3779B97F4A7C15L * (2L * b + sideIndex + 1))).nextLong();
            out[b] = KMeans.fit(points[b], filled[b], n, shape.codewords(),
                    new KMeansConfig(kmeans.iterations(), seed, kmeans.threads())).roundedToFp16();
        }
        return out;
    }

    private interface SubvectorVisitor {
        void visit(int book, int slot, int token, int subspace);
    }

    private static void forEachSubvector(KvLayout layout, int subspaces, CodebookScope scope, CalibrationSamples samples,
                                         SubvectorVisitor visitor) {
        for (int l = 0; l < layout.layers(); l++) {
            for (int h = 0; h < layout.kvHeads(); h++) {
                int slot = l * layout.kvHeads() + h;
                for (int t = 0; t < samples.tokens(l); t++) {
                    for (int s = 0; s < subspaces; s++) visitor.visit(scope.index(layout, l, h, s), slot, t, s);
                }
            }
        }
    }
}
