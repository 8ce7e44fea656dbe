package io.vecinfer.cuda.decoder;

import io.vecinfer.cuda.CudaDevice;
import io.vecinfer.cuda.DeviceBuffer;
import io.vecinfer.cuda.PinnedStaging;
import io.vecinfer.cuda.attention.WindowAttention;
import io.vecinfer.cuda.ops.Activation;
import io.vecinfer.cuda.ops.DeviceMatrix;
import io.vecinfer.cuda.ops.Elementwise;
import io.vecinfer.cuda.ops.LogitReductions;
import io.vecinfer.cuda.ops.Matmul;
import io.vecinfer.cuda.ops.RmsNorm;
import io.vecinfer.cuda.ops.RotaryEmbedding;
import io.vecinfer.cuda.ops.RotaryRows;
import io.vecinfer.decoder.Batching;
import io.vecinfer.decoder.DecoderBackend;
import io.vecinfer.decoder.LogitComparison;
import io.vecinfer.decoder.Sequence;
import io.vecinfer.decoder.TokenScores;
import io.vecinfer.model.Model;
import io.vecinfer.model.ModelConfig;
import io.vecinfer.model.Rope;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;

/**
 * The Llama-family forward pass on a CUDA device, step for step the CPU {@link io.vecinfer.decoder.Decoder}:
 * every new token of every sequence is a row, projections run over all rows at once, and each sequence's
 * {@link DeviceKvCache} stores and attends its rows of each layer (a decode step of fp16 dense or VQ caches does so for
 * the whole batch in one launch per kernel: {@link DecodeBatch}, recorded once as a CUDA graph and replayed:
 * {@link DecodeGraph}; so does a prefill pass of fp16 dense caches and exact prompts: {@link PrefillBatch}). Activations
 * stay on the device. forwardAll and
 * forwardLast download the logits once per chunk; scoreAll, compareAll and greedyLast reduce them on the device
 * ({@link LogitReductions}) and download a few numbers per token. One forward pass at a time (the activation buffers
 * are shared).
 *
 * <p>Inputs run in passes of {@link #chunkRows()} rows, up to {@link #MAX_CHUNK_ROWS}, sequences packed into them
 * ({@link Batching#packedChunks}): the projections' GEMMs
 * are more efficient on more rows (on the H200, 157–273 TFLOP/s at 512 rows against 260–313 at 4096), a pass has a
 * fixed cost, and with the
 * logits reduced on the device nothing per row goes to the host. A cache that takes fewer tokens per call
 * ({@link DeviceKvCache#maxTokensPerPass()}) bounds the chunks of the passes it is in.
 *
 * <p>The projections run in a {@link Matmul.Precision}: {@code TENSOR_CORES} by default (activations rounded to
 * the weights' bf16/fp16 for the MMA, fp32 sums; fp32 checkpoints fall back to the exact path), or {@code EXACT},
 * the CPU decoder's fp32 arithmetic, with which the parity tests check the rest of the pipeline to fp32 tolerances.
 * The kernels that feed a projection write its input in the type its path reads (the norms and SwiGLU, which runs in
 * the gate|up projection's epilogue where it can: {@link Matmul#swiGlu}), rounded as a conversion pass would have.
 */
public final class CudaDecoder implements DecoderBackend<DeviceKvCache>, AutoCloseable {
    /**
     * The most rows of one forward pass. Beyond 4096 rows the GEMMs themselves gain little, but each pass has its fixed
     * cost (inputs, the head's reductions and their download, the first kernels' ramp): on the H200, passes of 8192 rows
     * took the 8B shape's 8 × 1024 prefill from 292.9 to 286.3 ms and 32k from 1568.4 to 1564.2, 4096 unchanged
     * (decoder-speed-notes.md, session 15). Activations grow linearly (10 GB at 8192 rows of the 8B shape), and 8192
     * keeps the largest index of a pass's logits (rows × a 128k vocabulary) inside a 32-bit int.
     */
    public static final int MAX_CHUNK_ROWS = 8192;
    /** The share of the device memory free after the weights that one chunk's activations may take; the rest is the caches'. */
    static final double ACTIVATION_SHARE = 0.25;

    private final CudaDevice device;
    private final ModelConfig config;
    private final Rope rope;
    private final DeviceWeights weights;
    private final float attentionScale;
    private final Matmul matmul;
    private final RmsNorm rmsNorm;
    private final RotaryEmbedding rotary;
    private final RotaryRows rotaryRows;
    private final Elementwise elementwise;
    private final DecodeBatch decodeBatch;
    private final DecodeGraph decodeGraph;
    private final PrefillBatch prefillBatch;
    /** Where {@link #uploadInputs} stages a pass's token ids and rotary rows. */
    private final PinnedStaging inputs;
    private StepStats lastStep;
    /** Benchmarks only: events at the phases of a pass ({@link #timePhases}); null when off. */
    private io.vecinfer.cuda.StepEvents phases;
    /** Benchmarks only: events and host clock readings at each layer of every eager pass ({@link #timeLayers}); null when off. */
    private LayerClock layerClock;
    private final LogitReductions reductions;
    private final int chunkRows;
    private Activations activations;
    /** compareAll: the tested pass's logits of a chunk, kept while the reference pass runs. */
    private DeviceBuffer testedLogits;

    /** Uploads the model's weights to {@code device}, projections on tensor cores; the caller keeps ownership of the device. */
    public CudaDecoder(Model model, CudaDevice device) {
        this(model, device, Matmul.Precision.TENSOR_CORES);
    }

    public CudaDecoder(Model model, CudaDevice device, Matmul.Precision precision) {
        this(model, device, precision, 0);
    }

    /**
     * With chunks of {@code chunkRows} rows, or (0) as many as free memory allows: tests use small chunks to cut small
     * inputs, benchmarks larger ones to measure what {@link #MAX_CHUNK_ROWS} costs.
     */
    public CudaDecoder(Model model, CudaDevice device, Matmul.Precision precision, int chunkRows) {
        this.device = device;
        this.config = model.config();
        WindowAttention.checkHeadDim(config.headDim());
        this.rope = new Rope(config);
        this.attentionScale = (float) (1.0 / Math.sqrt(config.headDim()));
        this.matmul = new Matmul(device, precision);
        this.rmsNorm = new RmsNorm(device);
        this.rotary = new RotaryEmbedding(device);
        this.rotaryRows = new RotaryRows(rope, config.headDim());
        this.elementwise = new Elementwise(device);
        this.decodeBatch = new DecodeBatch(device);
        this.decodeGraph = new DecodeGraph(device);
        this.prefillBatch = new PrefillBatch(device);
        this.inputs = new PinnedStaging(device);
        this.reductions = new LogitReductions(device);
        device.makeCurrent();
        this.weights = new DeviceWeights(device, model.weights());
        this.chunkRows = chunkRows > 0 ? chunkRows : chunkRows(config, device.freeMemory());
    }

    /** Rows per forward pass of long inputs (sequences whose caches take fewer per call run in smaller chunks). */
    public int chunkRows() {
        return chunkRows;
    }

    /**
     * The largest power of two up to {@link #MAX_CHUNK_ROWS} rows whose activations fit {@link #ACTIVATION_SHARE} of
     * {@code freeBytes}, and never fewer than the CPU's {@link Batching#CHUNK_ROWS}.
     */
    public static int chunkRows(ModelConfig config, long freeBytes) {
        long fit = (long) (freeBytes * ACTIVATION_SHARE) / activationBytesPerRow(config);
        int rows = MAX_CHUNK_ROWS;
        while (rows > Batching.CHUNK_ROWS && rows > fit) rows /= 2;
        return rows;
    }

    /**
     * Device bytes per row of a pass: the {@link Activations}, compareAll's tested logits, Matmul's 16-bit copy of x (of
     * the attention's output, the one projection input that no kernel writes in 16 bits).
     */
    public static long activationBytesPerRow(ModelConfig c) {
        long qDim = (long) c.numHeads() * c.headDim(), kvDim = (long) c.numKvHeads() * c.headDim();
        long floats = 2L * c.hiddenSize() + 2 * qDim + 2 * kvDim + 3L * c.intermediateSize() + 2L * c.vocabSize() + c.headDim();
        return floats * Float.BYTES + Integer.BYTES + qDim * Short.BYTES;
    }

    /** The chunk rows of a pass over {@code sequences}: this decoder's, or less where a cache takes fewer tokens per call. */
    private int chunkRows(List<Sequence<DeviceKvCache>> sequences) {
        int rows = chunkRows;
        for (Sequence<DeviceKvCache> s : sequences) rows = Math.min(rows, s.cache().maxTokensPerPass());
        return rows;
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
    public synchronized float[][] forwardLast(List<Sequence<DeviceKvCache>> sequences, List<int[]> newTokens) {
        return forward(sequences, newTokens, false);
    }

    @Override
    public synchronized float[][] forwardAll(List<Sequence<DeviceKvCache>> sequences, List<int[]> newTokens) {
        return forward(sequences, newTokens, true);
    }

    /** Per chunk: the LM head's rows stay on the device, reduced there to each row's target log-probability and argmax. */
    @Override
    public synchronized TokenScores scoreAll(List<Sequence<DeviceKvCache>> sequences, List<int[]> newTokens, List<int[]> targets) {
        int[] flat = TokenScores.flatten(newTokens, targets, config.vocabSize());
        device.makeCurrent();
        reserveCaches(sequences, newTokens);
        double[] logProbs = new double[flat.length];
        int[] argmax = new int[flat.length];
        int row = 0;
        for (Batching.Chunk<DeviceKvCache> chunk : Batching.packedChunks(config, sequences, newTokens, chunkRows(sequences))) {
            int rows = run(chunk.sequences(), chunk.newTokens(), true, null);
            LogitReductions.Scores s = reductions.score(activations.logits.from(0), Arrays.copyOfRange(flat, row, row + rows), rows, config.vocabSize());
            System.arraycopy(s.targetLogProb(), 0, logProbs, row, rows);
            System.arraycopy(s.argmax(), 0, argmax, row, rows);
            row += rows;
        }
        return new TokenScores(logProbs, argmax);
    }

    /**
     * Chunk by chunk, the tested pass's logits are kept on the device while the reference pass runs the same chunk,
     * then both are compared there; so device memory holds two chunks of logits, never a whole prefill's.
     */
    @Override
    public synchronized LogitComparison compareAll(List<Sequence<DeviceKvCache>> tested, List<Sequence<DeviceKvCache>> reference, List<int[]> newTokens) {
        if (tested.size() != reference.size()) throw new IllegalArgumentException(tested.size() + " tested sequences, " + reference.size() + " reference ones");
        device.makeCurrent();
        reserveCaches(tested, newTokens);
        reserveCaches(reference, newTokens);
        int rowsPerChunk = Math.min(chunkRows(tested), chunkRows(reference)), vocab = config.vocabSize();
        List<Batching.Chunk<DeviceKvCache>> testedChunks = Batching.packedChunks(config, tested, newTokens, rowsPerChunk);
        List<Batching.Chunk<DeviceKvCache>> referenceChunks = Batching.packedChunks(config, reference, newTokens, rowsPerChunk);
        int total = 0;
        for (int[] t : newTokens) total += t.length;
        double[] kl = new double[total];
        int[] referenceArgmax = new int[total], testedArgmax = new int[total];
        int row = 0;
        for (int c = 0; c < testedChunks.size(); c++) {
            Batching.Chunk<DeviceKvCache> t = testedChunks.get(c), r = referenceChunks.get(c);
            int rows = t.rows();
            testedLogits = device.grow(testedLogits, (long) rows * vocab * Float.BYTES);
            run(t.sequences(), t.newTokens(), true, testedLogits.from(0));
            run(r.sequences(), r.newTokens(), true, null);
            LogitReductions.Comparison comparison = reductions.compare(activations.logits.from(0), testedLogits.from(0), rows, vocab);
            System.arraycopy(comparison.kl(), 0, kl, row, rows);
            System.arraycopy(comparison.referenceArgmax(), 0, referenceArgmax, row, rows);
            System.arraycopy(comparison.testedArgmax(), 0, testedArgmax, row, rows);
            row += rows;
        }
        return new LogitComparison(kl, referenceArgmax, testedArgmax);
    }

    /** The last rows' argmax on the device: 4 bytes per sequence go to the host instead of a vocabulary of floats. */
    @Override
    public synchronized int[] greedyLast(List<Sequence<DeviceKvCache>> sequences, List<int[]> newTokens) {
        device.makeCurrent();
        reserveCaches(sequences, newTokens);
        int[] tokens = new int[sequences.size()];
        int at = 0;
        for (Batching.Chunk<DeviceKvCache> chunk : Batching.packedChunks(config, sequences, newTokens, chunkRows(sequences))) {
            int outputs = run(chunk.sequences(), chunk.newTokens(), false, null);
            int[] argmax = reductions.argmax(activations.logits.from(0), outputs, config.vocabSize());
            for (int i = 0; i < outputs; i++) if (chunk.ends()[i]) tokens[at++] = argmax[i];
        }
        return tokens;
    }

    private float[][] forward(List<Sequence<DeviceKvCache>> sequences, List<int[]> newTokens, boolean everyPosition) {
        device.makeCurrent();
        reserveCaches(sequences, newTokens);
        return Batching.forward(Batching.packedChunks(config, sequences, newTokens, chunkRows(sequences)), everyPosition, (s, t, e) -> {
            int outputs = run(s, t, e, null), vocab = config.vocabSize();
            // Row by row, straight into each row's array: a chunk of 4096 rows is 2.1 GB at a 128k vocabulary, which
            // the host should not hold twice.
            float[][] out = new float[outputs][];
            for (int i = 0; i < outputs; i++) out[i] = activations.logits.readFloats((long) i * vocab, vocab);
            return out;
        });
    }

    /**
     * One forward pass of at most a chunk of rows: the logits of every new token ({@code everyPosition}) or of each
     * sequence's last, written to {@code logitsOut} (null: the activations' logits buffer) and left on the device.
     * Returns the number of logits rows.
     */
    private int run(List<Sequence<DeviceKvCache>> sequences, List<int[]> newTokens, boolean everyPosition, DeviceBuffer.Slice logitsOut) {
        long issueStart = System.nanoTime(), launchesBefore = device.launches();
        if (phases != null) phases.mark(PHASE_START);
        int dim = config.hiddenSize(), headDim = config.headDim(), heads = config.numHeads(), kvHeads = config.numKvHeads();
        int qDim = heads * headDim, kvDim = kvHeads * headDim;
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
        uploadInputs(a, tokens, rotaryRows.at(positions));
        long inputsIssued = System.nanoTime();
        DeviceBuffer.Slice x = a.x.from(0), q = a.q.from(0), k = a.k.from(0), v = a.v.from(0), gateUp = a.gateUp.from(0);
        // The residual adds (the CPU decoder's x += projected) happen in the o and down projections' stores: one launch each
        // instead of a product and an add, bit for bit the same (Matmul.Store.ACCUMULATE).
        Matmul.Outputs residual = Matmul.Outputs.accumulate(x, dim);
        boolean batchedAttention = decodeBatch.begin(sequences, newTokens); // a decode step: one attention launch per layer for all
        boolean batchedPrefill = !batchedAttention && prefillBatch.begin(sequences, newTokens); // a prefill pass: one store, one attention
        long tablesIssued = System.nanoTime();

        // The layers. A decode step of the batch path launches the same kernels with the same parameters every step (what
        // changes is in device memory: token ids, rotary tables, the attention tables), so it is recorded once as a CUDA
        // graph and replayed (DecodeGraph); the layer clock marks eager passes only (an event does not go into a graph).
        LayerClock clock = batchedAttention ? null : layerClock;
        if (clock != null) clock.clear();
        Runnable layers = () -> {
            elementwise.embed(weights.embedding(), a.tokens.from(0), rows, x);
            for (int layer = 0; layer < config.numLayers(); layer++) {
                if (clock != null) clock.mark(layer);
                DeviceWeights.Layer w = weights.layers().get(layer);
                Activation normed = inputOf(w.qkv(), rows, a.xb);
                rmsNorm.launch(x, w.attentionNorm(), eps, rows, dim, normed);
                matmul.launch(w.qkv(), normed, rows, w.qkvBias(), Matmul.Outputs.split(List.of(q, k, v), qDim, kvDim, kvDim));
                if (w.qNorm() != null) rmsNorm.launch(q, w.qNorm(), eps, rows * heads, headDim, q); // Qwen3, per head, in place
                if (w.kNorm() != null) rmsNorm.launch(k, w.kNorm(), eps, rows * kvHeads, headDim, k);
                rotary.launch(q, heads, k, kvHeads, a.cos.from(0), a.sin.from(0), rows, headDim);
                if (batchedAttention) decodeBatch.storeAndAttend(layer, q, k, v, attentionScale, a.attended.from(0));
                else if (batchedPrefill) prefillBatch.storeAndAttend(layer, q, k, v, attentionScale, a.attended.from(0));
                else for (int s = 0; s < sequences.size(); s++) {
                    int r = rowStart[s];
                    sequences.get(s).cache().appendAndAttend(layer, a.q.from((long) r * qDim), a.k.from((long) r * kvDim),
                            a.v.from((long) r * kvDim), sequences.get(s).position(), rowStart[s + 1] - r, attentionScale,
                            a.attended.from((long) r * qDim));
                }
                matmul.launch(w.wo(), a.attended.from(0), rows, null, residual);

                normed = inputOf(w.gateUp(), rows, a.xb);
                rmsNorm.launch(x, w.ffnNorm(), eps, rows, dim, normed);
                // The CPU's gate and up products and SiLU(gate) · up: one launch (gate|up interleaved, DeviceWeights) that
                // applies it in its epilogue where it can, else one pass over the product in gateUp (Matmul.swiGlu).
                Activation activated = inputOf(w.down(), rows, a.ffn);
                matmul.swiGlu(w.gateUp(), normed, rows, gateUp, activated);
                matmul.launch(w.down(), activated, rows, null, residual);
            }
            if (clock != null) clock.mark(config.numLayers());
        };
        boolean replayed = false;
        if (phases != null) phases.mark(PHASE_LAYERS);
        if (batchedAttention) replayed = decodeGraph.run(new DecodeGraph.Shape(a, rows, decodeBatch.step(), decodeBatch.generation()), layers);
        else layers.run();
        long layersIssued = System.nanoTime();
        if (batchedAttention) decodeBatch.end();
        if (batchedPrefill) prefillBatch.end();
        if (phases != null) phases.mark(PHASE_HEAD);
        for (int s = 0; s < sequences.size(); s++) sequences.get(s).advance(newTokens.get(s).length);

        // The final norm of the rows whose logits are wanted, gathered into xb, then one lm_head pass; its rows stay on the device.
        boolean allRows = everyPosition || batchedAttention; // every row wanted, or a decode step (one new token per sequence): no gather
        int outputs = allRows ? rows : sequences.size();
        Activation normed = inputOf(weights.lmHead(), outputs, a.xb);
        if (allRows) {
            rmsNorm.launch(x, weights.finalNorm(), eps, rows, dim, normed);
        } else {
            for (int s = 0; s < outputs; s++) {
                rmsNorm.launch(a.x.from((long) (rowStart[s + 1] - 1) * dim), weights.finalNorm(), eps, 1, dim, normed.at((long) s * dim));
            }
        }
        DeviceBuffer.Slice logits = logitsOut != null ? logitsOut : a.logits.from(0);
        matmul.launch(weights.lmHead(), normed, outputs, null, Matmul.Outputs.of(logits, weights.lmHead().rows()));
        if (phases != null) phases.mark(PHASE_END);
        lastStep = new StepStats(System.nanoTime() - issueStart, inputsIssued - issueStart, tablesIssued - issueStart, layersIssued - issueStart,
                device.launches() - launchesBefore, replayed);
        // While the GPU runs this pass: the rotary rows of each sequence's next token, which a decode step asks for next.
        int[] next = new int[sequences.size()];
        for (int s = 0; s < next.length; s++) next[s] = sequences.get(s).position();
        rotaryRows.prefetch(next);
        return outputs;
    }

    /**
     * Before the first pass of a call: every cache makes room for all its new tokens ({@link DeviceKvCache#reserveFor}),
     * so that no cache reallocates, and no free synchronizes the device, between the passes' launches. A one-token
     * decode step of a cache that still has room does nothing here.
     */
    private static void reserveCaches(List<Sequence<DeviceKvCache>> sequences, List<int[]> newTokens) {
        for (int s = 0; s < sequences.size(); s++) sequences.get(s).cache().reserveFor(newTokens.get(s).length);
    }

    /**
     * {@code buffer} as the input of {@code reader}'s projection over {@code rows} rows, in the type that projection reads
     * as it is ({@link Matmul#inputType}: the weights' 16-bit type on the GEMM and WGMMA paths, fp32 on the others), which
     * the kernel before it (rmsnorm, SwiGLU) then writes: no conversion pass between them, the same numbers.
     */
    private Activation inputOf(DeviceMatrix reader, int rows, DeviceBuffer buffer) {
        return Activation.of(buffer, matmul.inputType(reader, rows));
    }

    /**
     * The pass's token ids and rotary rows, by asynchronous copies from pinned memory ({@link PinnedStaging}): the host
     * goes on to issue the layers while the GPU copies, where synchronous pageable copies held both.
     */
    private void uploadInputs(Activations a, int[] tokens, RotaryEmbedding.Tables tables) {
        long tokenBytes = 4L * tokens.length, tableBytes = 4L * tables.cos().length;
        ByteBuffer bytes = inputs.begin(tokenBytes + 2 * tableBytes);
        bytes.asIntBuffer().put(tokens);
        bytes.position(Math.toIntExact(tokenBytes));
        bytes.asFloatBuffer().put(tables.cos());
        bytes.position(Math.toIntExact(tokenBytes + tableBytes));
        bytes.asFloatBuffer().put(tables.sin());
        inputs.copy(0, tokenBytes, a.tokens, 0);
        inputs.copy(tokenBytes, tableBytes, a.cos, 0);
        inputs.copy(tokenBytes + tableBytes, tableBytes, a.sin, 0);
    }

    /**
     * The host side of the last forward pass (of its last chunk): nanoseconds from its start until everything was issued
     * (just before the logits' download waits for the GPU); until the token ids and rotary rows were queued, then the
     * batch step's tables, then its layers (a replayed step's graph launched: after a download the GPU idles that long);
     * the launches issued (a graph replay counts one), and whether its layers were a graph replay. Benchmarks set the
     * issue times against the GPU time.
     */
    public record StepStats(long issueNanos, long inputsIssuedNanos, long tablesIssuedNanos, long layersIssuedNanos, long launches,
                            boolean replayed) {
    }

    public synchronized StepStats lastStep() {
        return lastStep;
    }

    /** The points {@link #lastPhases} spans: a pass's start, its layers' start (after the uploads), the head's start, its end. */
    private static final int PHASE_START = 0, PHASE_LAYERS = 1, PHASE_HEAD = 2, PHASE_END = 3;

    /** GPU milliseconds of the last pass's (last chunk's) phases: uploads (token ids, rotary and attention tables), layers, head. */
    public record Phases(float uploadsMs, float layersMs, float headMs) {
    }

    /** Benchmarks: CUDA events at the phases of every pass from now on (on), or none (off, the default). */
    public synchronized void timePhases(boolean on) {
        if (on && phases == null) phases = new io.vecinfer.cuda.StepEvents(device, 4);
        if (!on && phases != null) {
            phases.close();
            phases = null;
        }
    }

    /** The last pass's phases (waits for its end), or null when {@link #timePhases} is off. */
    public synchronized Phases lastPhases() {
        if (phases == null) return null;
        return new Phases(phases.millisBetween(PHASE_START, PHASE_LAYERS), phases.millisBetween(PHASE_LAYERS, PHASE_HEAD),
                phases.millisBetween(PHASE_HEAD, PHASE_END));
    }

    /**
     * Runs prefill passes of fp16 dense caches and exact prompts as one store and one attention launch per layer for the
     * whole batch ({@link PrefillBatch}; on by default, -Dvecinfer.cuda.batchPrefill=false turns it off), or (off) each
     * sequence's own launches: the same sums.
     */
    public synchronized void batchPrefill(boolean on) {
        prefillBatch.enable(on);
    }

    /**
     * GPU and host milliseconds at the start of each layer (index l) and of the head (index layers) of the last eager pass
     * (of a call's last chunk), from its first layer's start: where the GPU's time went, and whether the host issued each
     * layer ahead of the GPU ({@link LayerClock}).
     */
    public record LayerTimeline(float[] gpuMs, float[] hostMs) {
    }

    /** Benchmarks: a {@link LayerTimeline} of every eager pass from now on (on), or none (off, the default). */
    public synchronized void timeLayers(boolean on) {
        if (on && layerClock == null) layerClock = new LayerClock(device, config.numLayers());
        if (!on && layerClock != null) {
            layerClock.close();
            layerClock = null;
        }
    }

    /** The last eager pass's timeline (waits for its head's start), or null when {@link #timeLayers} is off or no pass was eager. */
    public synchronized LayerTimeline lastLayerTimeline() {
        return layerClock == null ? null : layerClock.read();
    }

    /** Records and replays decode steps as CUDA graphs (on by default; -Dvecinfer.cuda.graphs=false turns it off). */
    public synchronized void recordDecodeSteps(boolean on) {
        decodeGraph.enable(on);
    }

    /** The activation buffers for at least {@code rows} rows, reallocated (to a power of two, up to a chunk) when too small. */
    private Activations activations(int rows) {
        if (activations != null && activations.rows >= rows) return activations;
        int capacity = Math.min(chunkRows, Integer.highestOneBit(Math.max(1, rows - 1)) << 1);
        capacity = Math.max(capacity, rows);
        if (activations != null) {
            device.synchronize(); // queued work (and the inputs' copies) may still use them, as DeviceBuffer grow
            activations.close();
        }
        activations = null;
        activations = new Activations(device, config, capacity);
        return activations;
    }

    /**
     * Every per-row buffer of one forward pass, fp32 (token ids int32) but for the inputs of projections, which hold the
     * type their projection reads (xb: the norms' output; ffn: SwiGLU's h, fp32 or 16-bit). gateUp holds the fp32
     * interleaved gate|up product where SwiGLU is not in the projection's epilogue (decode steps, sm_80, EXACT).
     */
    private static final class Activations implements AutoCloseable {
        final int rows;
        final DeviceBuffer x, xb, q, k, v, attended, gateUp, ffn, logits, tokens, cos, sin;

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
            gateUp = device.allocate(2 * r * c.intermediateSize() * f);
            ffn = device.allocate(r * c.intermediateSize() * f);
            logits = device.allocate(r * c.vocabSize() * f);
            tokens = device.allocate(r * Integer.BYTES);
            cos = device.allocate(r * (c.headDim() / 2) * f);
            sin = device.allocate(r * (c.headDim() / 2) * f);
        }

        @Override
        public void close() {
            for (DeviceBuffer b : List.of(x, xb, q, k, v, attended, gateUp, ffn, logits, tokens, cos, sin)) b.close();
        }
    }

    @Override
    public synchronized void close() {
        device.makeCurrent();
        if (activations != null) activations.close();
        activations = null;
        decodeGraph.close();
        decodeBatch.close();
        prefillBatch.close();
        timePhases(false);
        timeLayers(false);
        if (testedLogits != null) testedLogits.close();
        testedLogits = null;
        reductions.close();
        inputs.close();
        matmul.close();
        weights.close();
    }
}
