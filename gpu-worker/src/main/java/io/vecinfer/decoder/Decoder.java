package io.vecinfer.decoder;

import io.vecinfer.kvcache.KvCache;
import io.vecinfer.model.Model;
import io.vecinfer.model.ModelConfig;
import io.vecinfer.model.Rope;
import io.vecinfer.model.Weights;
import io.vecinfer.tensor.DotKernel;
import io.vecinfer.tensor.FloatMath;
import io.vecinfer.tensor.Parallel;
import io.vecinfer.tensor.WeightMatrix;

import java.util.List;

/**
 * The Llama-family forward pass on the CPU, for a batch of sequences of any lengths. Prefill and decode
 * are one path: every new token of every sequence is a row; projections run over all rows at once
 * (each weight row is read once per batch), and attention runs per sequence in token order through the
 * sequence's KV cache, which is where a compressed cache changes the result.
 */
public final class Decoder implements DecoderBackend<KvCache> {
    private final ModelConfig config;
    private final Weights weights;
    private final Rope rope;
    private final DotKernel kernel;
    private final float attentionScale;

    public Decoder(Model model) {
        this(model, DotKernel.best());
    }

    public Decoder(Model model, DotKernel kernel) {
        this.config = model.config();
        this.weights = model.weights();
        this.rope = new Rope(config);
        this.kernel = kernel;
        this.attentionScale = (float) (1.0 / Math.sqrt(config.headDim()));
    }

    @Override
    public ModelConfig config() {
        return config;
    }

    @Override
    public String backend() {
        return "cpu";
    }

    @Override
    public String device() {
        return "cpu:" + Runtime.getRuntime().availableProcessors() + "-cores";
    }

    @Override
    public float[][] forwardLast(List<Sequence<KvCache>> sequences, List<int[]> newTokens) {
        return forward(sequences, newTokens, false);
    }

    @Override
    public float[][] forwardAll(List<Sequence<KvCache>> sequences, List<int[]> newTokens) {
        return forward(sequences, newTokens, true);
    }

    private float[][] forward(List<Sequence<KvCache>> sequences, List<int[]> newTokens, boolean everyPosition) {
        return Batching.forward(config, sequences, newTokens, everyPosition, this::run);
    }

    private float[][] run(List<Sequence<KvCache>> sequences, List<int[]> newTokens, boolean everyPosition) {
        int dim = config.hiddenSize(), headDim = config.headDim();
        int qDim = config.numHeads() * headDim, kvDim = config.numKvHeads() * headDim;
        int rows = 0;
        for (int[] t : newTokens) rows += t.length;
        int[] rowStart = new int[sequences.size() + 1];
        for (int s = 0; s < sequences.size(); s++) rowStart[s + 1] = rowStart[s] + newTokens.get(s).length;

        float[] x = new float[rows * dim];
        for (int s = 0; s < sequences.size(); s++) {
            int[] tokens = newTokens.get(s);
            for (int i = 0; i < tokens.length; i++) weights.embedding().row(tokens[i], x, (rowStart[s] + i) * dim);
        }
        float[] xb = new float[rows * dim];
        float[] q = new float[rows * qDim], k = new float[rows * kvDim], v = new float[rows * kvDim];
        float[] attended = new float[rows * qDim];
        float[] projected = new float[rows * dim];
        float[] gate = new float[rows * config.intermediateSize()], up = new float[rows * config.intermediateSize()];

        for (int layer = 0; layer < config.numLayers(); layer++) {
            Weights.Layer w = weights.layers().get(layer);
            normRows(x, w.attentionNorm(), xb, rows, dim);
            project(w.wq(), xb, rows, q, w.bq());
            project(w.wk(), xb, rows, k, w.bk());
            project(w.wv(), xb, rows, v, w.bv());
            positionQueriesAndKeys(sequences, rowStart, w, q, k);
            int l = layer;
            Parallel.forRange(sequences.size(), 1, (from, to) -> {
                for (int s = from; s < to; s++) {
                    var cache = sequences.get(s).cache();
                    for (int r = rowStart[s]; r < rowStart[s + 1]; r++) {
                        cache.append(l, k, r * kvDim, v, r * kvDim);
                        cache.attend(l, q, r * qDim, attentionScale, attended, r * qDim);
                    }
                }
            });
            // The residual add after the whole product (CudaDecoder does it in the projection's store: the same rounding).
            w.wo().matmul(kernel, attended, rows, projected);
            for (int i = 0; i < x.length; i++) x[i] += projected[i];

            normRows(x, w.ffnNorm(), xb, rows, dim);
            w.gate().matmul(kernel, xb, rows, gate);
            w.up().matmul(kernel, xb, rows, up);
            FloatMath.siluMul(gate, up, gate.length);
            w.down().matmul(kernel, gate, rows, projected);
            for (int i = 0; i < x.length; i++) x[i] += projected[i];
        }
        for (int s = 0; s < sequences.size(); s++) sequences.get(s).advance(newTokens.get(s).length);

        int[] outputRows = everyPosition ? java.util.stream.IntStream.range(0, rows).toArray()
                : java.util.stream.IntStream.range(0, sequences.size()).map(s -> rowStart[s + 1] - 1).toArray();
        float[] selected = new float[outputRows.length * dim];
        for (int i = 0; i < outputRows.length; i++) {
            FloatMath.rmsNorm(x, outputRows[i] * dim, weights.finalNorm(), config.rmsNormEps(), selected, i * dim, dim);
        }
        float[] logits = new float[outputRows.length * config.vocabSize()];
        weights.lmHead().matmul(kernel, selected, outputRows.length, logits);
        float[][] out = new float[outputRows.length][];
        for (int i = 0; i < out.length; i++) {
            out[i] = java.util.Arrays.copyOfRange(logits, i * config.vocabSize(), (i + 1) * config.vocabSize());
        }
        return out;
    }

    private void normRows(float[] x, float[] weight, float[] out, int rows, int dim) {
        for (int r = 0; r < rows; r++) FloatMath.rmsNorm(x, r * dim, weight, config.rmsNormEps(), out, r * dim, dim);
    }

    private void project(WeightMatrix w, float[] in, int rows, float[] out, float[] bias) {
        w.matmul(kernel, in, rows, out);
        if (bias == null) return;
        for (int r = 0; r < rows; r++) {
            for (int i = 0; i < bias.length; i++) out[r * bias.length + i] += bias[i];
        }
    }

    /** Qwen3's per-head q/k RMSNorm, then RoPE at each row's position. */
    private void positionQueriesAndKeys(List<Sequence<KvCache>> sequences, int[] rowStart, Weights.Layer w, float[] q, float[] k) {
        int headDim = config.headDim();
        float[] cos = new float[headDim / 2], sin = new float[headDim / 2];
        for (int s = 0; s < sequences.size(); s++) {
            int position = sequences.get(s).position();
            for (int r = rowStart[s]; r < rowStart[s + 1]; r++, position++) {
                rope.angles(position, cos, sin);
                for (int h = 0; h < config.numHeads(); h++) {
                    int at = (r * config.numHeads() + h) * headDim;
                    if (w.qNorm() != null) FloatMath.rmsNorm(q, at, w.qNorm(), config.rmsNormEps(), q, at, headDim);
                    rope.apply(q, at, cos, sin);
                }
                for (int h = 0; h < config.numKvHeads(); h++) {
                    int at = (r * config.numKvHeads() + h) * headDim;
                    if (w.kNorm() != null) FloatMath.rmsNorm(k, at, w.kNorm(), config.rmsNormEps(), k, at, headDim);
                    rope.apply(k, at, cos, sin);
                }
            }
        }
    }
}
