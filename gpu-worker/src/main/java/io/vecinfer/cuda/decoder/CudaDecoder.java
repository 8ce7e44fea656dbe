package io.vecinfer.cuda.decoder;

import io.vecinfer.cuda.CudaDevice;
import io.vecinfer.cuda.DeviceBuffer;
import io.vecinfer.cuda.attention.WindowAttention;
import io.vecinfer.cuda.ops.Elementwise;
import io.vecinfer.cuda.ops.Matmul;
import io.vecinfer.cuda.ops.RmsNorm;
import io.vecinfer.cuda.ops.RotaryEmbedding;
import io.vecinfer.decoder.Batching;
import io.vecinfer.decoder.DecoderBackend;
import io.vecinfer.decoder.Sequence;
import io.vecinfer.model.Model;
import io.vecinfer.model.ModelConfig;
import io.vecinfer.model.Rope;

import java.util.Arrays;
import java.util.List;

/**
 * The Llama-family forward pass on a CUDA device, step for step the CPU {@link io.vecinfer.decoder.Decoder}:
 * every new token of every sequence is a row, projections run over all rows at once, and each sequence's
 * {@link DeviceKvCache} stores and attends its rows of each layer (a decode step of fp16 dense caches does so for the
 * whole batch in one launch per kernel: {@link DecodeBatch}). Activations stay on the device; the logits are
 * downloaded once per chunk. One forward pass at a time (the activation buffers are shared).
 *
 * <p>The projections run in a {@link Matmul.Precision}: {@code TENSOR_CORES} by default (activations rounded to
 * the weights' bf16/fp16 for the MMA, fp32 sums; fp32 checkpoints fall back to the exact path), or {@code EXACT},
 * the CPU decoder's fp32 arithmetic, with which the parity tests check the rest of the pipeline to fp32 tolerances.
 */
public final class CudaDecoder implements DecoderBackend, AutoCloseable {
    private final CudaDevice device;
    private final ModelConfig config;
    private final Rope rope;
    private final DeviceWeights weights;
    private final float attentionScale;
    private final Matmul matmul;
    private final RmsNorm rmsNorm;
    private final RotaryEmbedding rotary;
    private final Elementwise elementwise;
    private final DecodeBatch decodeBatch;
    private final DecodeGraph decodeGraph;
    private StepStats lastStep;
    private Activations activations;

    /** Uploads the model's weights to {@code device}, projections on tensor cores; the caller keeps ownership of the device. */
    public CudaDecoder(Model model, CudaDevice device) {
        this(model, device, Matmul.Precision.TENSOR_CORES);
    }

    public CudaDecoder(Model model, CudaDevice device, Matmul.Precision precision) {
        this.device = device;
        this.config = model.config();
        WindowAttention.checkHeadDim(config.headDim());
        this.rope = new Rope(config);
        this.attentionScale = (float) (1.0 / Math.sqrt(config.headDim()));
        this.matmul = new Matmul(device, precision);
        this.rmsNorm = new RmsNorm(device);
        this.rotary = new RotaryEmbedding(device);
        this.elementwise = new Elementwise(device);
        this.decodeBatch = new DecodeBatch(device);
        this.decodeGraph = new DecodeGraph(device);
        device.makeCurrent();
        this.weights = new DeviceWeights(device, model.weights());
    }

    @Override
    public ModelConfig config() {
        return config;
    }

    @Override
    public String backend() {
        return "cuda";
    }

    @Override
    public String device() {
        return "cuda:" + device.ordinal() + " (" + device.name() + ")";
    }

    @Override
    public synchronized float[][] forwardLast(List<Sequence> sequences, List<int[]> newTokens) {
        return forward(sequences, newTokens, false);
    }

    @Override
    public synchronized float[][] forwardAll(List<Sequence> sequences, List<int[]> newTokens) {
        return forward(sequences, newTokens, true);
    }

    private float[][] forward(List<Sequence> sequences, List<int[]> newTokens, boolean everyPosition) {
        for (int s = 0; s < sequences.size(); s++) {
            var cache = sequences.get(s).cache();
            if (!(cache instanceof DeviceKvCache)) {
                throw new IllegalArgumentException("sequence " + s + " has a " + cache.getClass().getSimpleName() + ", a CPU KV cache:"
                        + " the CUDA decoder needs device caches (a DeviceKvCache, e.g. from DeviceKvCaches.fp16(device))");
            }
        }
        device.makeCurrent();
        return Batching.forward(config, sequences, newTokens, everyPosition, this::run);
    }

    private float[][] run(List<Sequence> sequences, List<int[]> newTokens, boolean everyPosition) {
        long issueStart = System.nanoTime(), launchesBefore = device.launches();
        int dim = config.hiddenSize(), headDim = config.headDim(), heads = config.numHeads(), kvHeads = config.numKvHeads();
        int qDim = heads * headDim, kvDim = kvHeads * headDim, hidden = config.intermediateSize();
        float eps = config.rmsNormEps();
        int[] rowStart = new int[sequences.size() + 1];
        for (int s = 0; s < sequences.size(); s++) rowStart[s + 1] = rowStart[s] + newTokens.get(s).length;
        int rows = rowStart[sequences.size()];
        int[] tokens = new int[rows], positions = new int[rows];
        for (int s = 0; s < sequences.size(); s++) {
            int[] t = newTokens.get(s);
            System.arraycopy(t, 0, tokens, rowStart[s], t.length);
            for (int i = 0; i < t.length; i++) positions[rowStart[s] + i] = sequences.get(s).position() + i;
        }
        Activations a = activations(rows);
        a.tokens.write(tokens);
        RotaryEmbedding.Tables tables = RotaryEmbedding.Tables.at(rope, headDim, positions);
        a.cos.write(tables.cos(), 0, tables.cos().length, 0);
        a.sin.write(tables.sin(), 0, tables.sin().length, 0);
        DeviceBuffer.Slice x = a.x.from(0), xb = a.xb.from(0), q = a.q.from(0), k = a.k.from(0), v = a.v.from(0);
        DeviceBuffer.Slice projected = a.projected.from(0), gate = a.gate.from(0), up = a.up.from(0);
        boolean batchedAttention = decodeBatch.begin(sequences, newTokens); // a decode step: one attention launch per layer for all

        // The layers. A decode step of the batch path launches the same kernels with the same parameters every step (what
        // changes is in device memory: token ids, rotary tables, the attention tables), so it is recorded once as a CUDA
        // graph and replayed (DecodeGraph).
        Runnable layers = () -> {
            elementwise.embed(weights.embedding(), a.tokens.from(0), rows, x);
            for (int layer = 0; layer < config.numLayers(); layer++) {
                DeviceWeights.Layer w = weights.layers().get(layer);
                rmsNorm.launch(x, w.attentionNorm(), eps, rows, dim, xb);
                matmul.launch(w.qkv(), xb, rows, w.qkvBias(), Matmul.Outputs.split(List.of(q, k, v), qDim, kvDim, kvDim));
                if (w.qNorm() != null) rmsNorm.launch(q, w.qNorm(), eps, rows * heads, headDim, q); // Qwen3, per head, in place
                if (w.kNorm() != null) rmsNorm.launch(k, w.kNorm(), eps, rows * kvHeads, headDim, k);
                rotary.launch(q, a.cos.from(0), a.sin.from(0), rows, heads, headDim);
                rotary.launch(k, a.cos.from(0), a.sin.from(0), rows, kvHeads, headDim);
                if (batchedAttention) decodeBatch.storeAndAttend(layer, q, k, v, attentionScale, a.attended.from(0));
                else for (int s = 0; s < sequences.size(); s++) {
                    int r = rowStart[s];
                    ((DeviceKvCache) sequences.get(s).cache()).appendAndAttend(layer, a.q.from((long) r * qDim), a.k.from((long) r * kvDim),
                            a.v.from((long) r * kvDim), sequences.get(s).position(), rowStart[s + 1] - r, attentionScale,
                            a.attended.from((long) r * qDim));
                }
                matmul.launch(w.wo(), a.attended.from(0), rows, null, projected);
                elementwise.add(x, projected, rows * dim);

                rmsNorm.launch(x, w.ffnNorm(), eps, rows, dim, xb);
                matmul.launch(w.gateUp(), xb, rows, null, Matmul.Outputs.split(List.of(gate, up), hidden, hidden));
                elementwise.siluMul(gate, up, rows * hidden);
                matmul.launch(w.down(), gate, rows, null, projected);
                elementwise.add(x, projected, rows * dim);
            }
        };
        boolean replayed = false;
        if (batchedAttention) replayed = decodeGraph.run(new DecodeGraph.Shape(a, rows, decodeBatch.generation()), layers);
        else layers.run();
        if (batchedAttention) decodeBatch.end();
        for (int s = 0; s < sequences.size(); s++) sequences.get(s).advance(newTokens.get(s).length);

        // The final norm of the rows whose logits are wanted, gathered into xb, then one lm_head pass and one download.
        int outputs;
        if (everyPosition || batchedAttention) { // every row wanted, or a decode step (one new token per sequence): no gather
            outputs = rows;
            rmsNorm.launch(x, weights.finalNorm(), eps, rows, dim, xb);
        } else {
            outputs = sequences.size();
            for (int s = 0; s < outputs; s++) {
                rmsNorm.launch(a.x.from((long) (rowStart[s + 1] - 1) * dim), weights.finalNorm(), eps, 1, dim, a.xb.from((long) s * dim));
            }
        }
        int vocab = config.vocabSize();
        matmul.launch(weights.lmHead(), xb, outputs, null, a.logits.from(0));
        lastStep = new StepStats(System.nanoTime() - issueStart, device.launches() - launchesBefore, replayed);
        float[] logits = a.logits.readFloats(0, outputs * vocab);
        float[][] out = new float[outputs][];
        for (int i = 0; i < outputs; i++) out[i] = Arrays.copyOfRange(logits, i * vocab, (i + 1) * vocab);
        return out;
    }

    /**
     * The host side of the last forward pass (of its last chunk): nanoseconds from its start until everything was issued
     * (just before the logits' download waits for the GPU), the launches issued (a graph replay counts one), and whether
     * its layers were a graph replay. Benchmarks set the issue time against the GPU time.
     */
    public record StepStats(long issueNanos, long launches, boolean replayed) {
    }

    public synchronized StepStats lastStep() {
        return lastStep;
    }

    /** Records and replays decode steps as CUDA graphs (on by default; -Dvecinfer.cuda.graphs=false turns it off). */
    public synchronized void recordDecodeSteps(boolean on) {
        decodeGraph.enable(on);
    }

    /** The activation buffers for at least {@code rows} rows, reallocated (to a power of two, up to a chunk) when too small. */
    private Activations activations(int rows) {
        if (activations != null && activations.rows >= rows) return activations;
        int capacity = Math.min(Batching.CHUNK_ROWS, Integer.highestOneBit(Math.max(1, rows - 1)) << 1);
        capacity = Math.max(capacity, rows);
        if (activations != null) activations.close();
        activations = null;
        activations = new Activations(device, config, capacity);
        return activations;
    }

    /** Every per-row buffer of one forward pass, fp32 (token ids int32). */
    private static final class Activations implements AutoCloseable {
        final int rows;
        final DeviceBuffer x, xb, q, k, v, attended, projected, gate, up, logits, tokens, cos, sin;

        Activations(CudaDevice device, ModelConfig c, int rows) {
            this.rows = rows;
            long r = rows, f = Float.BYTES;
            int qDim = c.numHeads() * c.headDim(), kvDim = c.numKvHeads() * c.headDim();
            x = device.allocate(r * c.hiddenSize() * f);
            xb = device.allocate(r * c.hiddenSize() * f);
            q = device.allocate(r * qDim * f);
            k = device.allocate(r * kvDim * f);
            v = device.allocate(r * kvDim * f);
            attended = device.allocate(r * qDim * f);
            projected = device.allocate(r * c.hiddenSize() * f);
            gate = device.allocate(r * c.intermediateSize() * f);
            up = device.allocate(r * c.intermediateSize() * f);
            logits = device.allocate(r * c.vocabSize() * f);
            tokens = device.allocate(r * Integer.BYTES);
            cos = device.allocate(r * (c.headDim() / 2) * f);
            sin = device.allocate(r * (c.headDim() / 2) * f);
        }

        @Override
        public void close() {
            for (DeviceBuffer b : List.of(x, xb, q, k, v, attended, projected, gate, up, logits, tokens, cos, sin)) b.close();
        }
    }

    @Override
    public synchronized void close() {
        device.makeCurrent();
        if (activations != null) activations.close();
        activations = null;
        decodeGraph.close();
        decodeBatch.close();
        matmul.close();
        weights.close();
    }
}
