package io.vecinfer.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vecinfer.cuda.CudaDevice;
import io.vecinfer.cuda.CudaGraph;
import io.vecinfer.cuda.CudaTimer;
import io.vecinfer.cuda.DeviceBuffer;
import io.vecinfer.cuda.attention.BatchDecodeAttention;
import io.vecinfer.cuda.attention.DecodeAttention;
import io.vecinfer.cuda.attention.Fp16KvRing;
import io.vecinfer.cuda.decoder.CudaDecoder;
import io.vecinfer.cuda.decoder.DeviceKvCache;
import io.vecinfer.cuda.decoder.DeviceKvCaches;
import io.vecinfer.cuda.ops.Activation;
import io.vecinfer.cuda.ops.DeviceMatrix;
import io.vecinfer.cuda.ops.Elementwise;
import io.vecinfer.cuda.ops.Matmul;
import io.vecinfer.cuda.ops.RmsNorm;
import io.vecinfer.cuda.ops.RotaryEmbedding;
import io.vecinfer.decoder.Sequence;
import io.vecinfer.kvcache.KvLayout;
import io.vecinfer.model.Model;
import io.vecinfer.model.ModelConfig;
import io.vecinfer.safetensors.DType;
import io.vecinfer.tensor.Half;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.IntConsumer;

import static io.vecinfer.bench.BenchJson.round;
import static io.vecinfer.bench.BenchJson.write;

/**
 * Where a replayed decode step's GPU time goes (issue 11), in one run:
 * <ol>
 *   <li><b>kernels</b>: each call family of a decode step ({@link DecodeAttribution#callsPerStep}: the five projections,
 *       the batch attention's store+split+combine, rmsnorm, rope, silu-mul, the residual add, embed) at the step's row
 *       count, {@code --calls} calls back to back recorded into one CUDA graph and the replay timed by CUDA events: µs
 *       per call without the host's launch gaps (weights rotated over copies that exceed L2, as 32 layers' distinct
 *       weights do; attention over 32 layers of fp16 rings at the context). Then the predicted step, Σ calls × µs.
 *       No checkpoint needed: the 8B shape, random bf16 weights.</li>
 *   <li><b>step</b> (with {@code --model}): the decoder's own step on the same device at each batch, in alternating
 *       rounds of replayed and eager steps on the same caches (so that an order effect shows as a round difference,
 *       a graph effect as a mode difference), each step split by CUDA events into uploads, layers and head
 *       ({@link CudaDecoder#timePhases}), with its launches: against the prediction.</li>
 * </ol>
 * The JSON (command, device, date, commit, rows) is rewritten after every row, so a run cut short keeps what finished.
 * {@code --ncu} runs only a short step sequence for Nsight Compute (decode-attr-on-h200.sh): fill, 3 eager steps, 3
 * replayed ones at {@code --batches}' first batch ({@link #ncuSteps}); ncu_step_kernels.py splits its kernels into
 * steps at each embed.
 * <pre>
 *   java -cp CLASSPATH io.vecinfer.bench.DecodeAttributionBenchmark [--model /tmp/llama8b-random] [--batches 1,8,32]
 *       [--context 4096] [--calls 20] [--steps 6] [--out decode-attribution-h200.json] [--command S] [--commit C] [--ncu]
 * </pre>
 */
public final class DecodeAttributionBenchmark {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long ROTATION_BYTES = 400L << 20; // 8× the H200's 50 MB L2, as MatmulBenchmark
    private static final int REPLAYS = 5;
    /** The eager twin of the last {@link #perCall} timing, µs per call. */
    private double lastEagerMicros = Double.NaN;
    /** batch → family → eager µs per call, for the eager step's prediction beside the graph's. */
    private final Map<Integer, Map<String, Double>> eagerMicros = new LinkedHashMap<>();

    private final CudaDevice device;
    private final CudaTimer timer;
    private final SplittableRandom random = new SplittableRandom(20261202L);
    private final ObjectNode result;
    private final ArrayNode rows;
    private final Path out;

    private DecodeAttributionBenchmark(CudaDevice device, CudaTimer timer, ObjectNode result, Path out) {
        this.device = device;
        this.timer = timer;
        this.result = result;
        this.rows = result.putArray("rows");
        this.out = out;
    }

    public static void main(String[] args) throws Exception {
        Path model = null, out = null;
        int[] batches = {1, 8, 32};
        int context = 4096, calls = 20, steps = 6;
        boolean ncu = false;
        String command = "", commit = "unknown";
        for (int i = 0; i < args.length; i++) {
            String value = i + 1 < args.length ? args[i + 1] : "";
            switch (args[i]) {
                case "--model" -> model = Path.of(value);
                case "--out" -> out = Path.of(value);
                case "--batches" -> batches = Arrays.stream(value.split(",")).mapToInt(Integer::parseInt).toArray();
                case "--context" -> context = Integer.parseInt(value);
                case "--calls" -> calls = Integer.parseInt(value);
                case "--steps" -> steps = Integer.parseInt(value);
                case "--command" -> command = value;
                case "--commit" -> commit = value;
                case "--ncu" -> {
                    ncu = true;
                    i--;
                }
                default -> throw new IllegalArgumentException("unknown argument " + args[i]
                        + " (--model --out --batches --context --calls --steps --command --commit --ncu)");
            }
            i++;
        }
        ObjectNode result = newResult(command, commit, context, calls);
        try (CudaDevice device = CudaDevice.open(0); CudaTimer timer = new CudaTimer(device)) {
            result.put("device", device.name());
            DecodeAttributionBenchmark bench = new DecodeAttributionBenchmark(device, timer, result, out);
            if (ncu) {
                bench.ncuSteps(model, batches[0], context);
                return;
            }
            Map<Integer, DecodeAttribution.Prediction> predictions = bench.kernels(DecodeAttribution.LLAMA_8B, batches, context, calls);
            if (model != null) bench.steps(model, batches, context, steps, predictions);
        } catch (RuntimeException | OutOfMemoryError e) {
            result.put("error", e.toString().lines().findFirst().orElse(""));
            write(result, out);
            throw e;
        }
        write(result, out);
        System.out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(result));
    }

    /** The JSON's head: what ran, where (device, filled in once open), when, at which commit; rows follow. */
    static ObjectNode newResult(String command, String commit, int context, int calls) {
        ObjectNode result = JSON.createObjectNode();
        result.put("benchmark", "decode-step attribution: each call family of a decode step timed inside a CUDA graph (µs per call, no"
                + " host), summed into a predicted step, against the decoder's replayed and eager steps in the same call");
        result.put("command", command);
        result.putNull("device");
        result.put("date", Instant.now().toString());
        result.put("commit", commit);
        result.put("context", context);
        result.put("calls_per_graph", calls);
        return result;
    }

    // ---- part 1: call families inside a graph ----

    /** Every family at each batch's rows; returns the predicted step of each batch and adds the rows. */
    private Map<Integer, DecodeAttribution.Prediction> kernels(ModelConfig c, int[] batches, int context, int calls) {
        Map<Integer, Map<String, Double>> micros = new LinkedHashMap<>();
        for (int b : batches) micros.put(b, new LinkedHashMap<>());
        try (Matmul matmul = new Matmul(device, Matmul.Precision.TENSOR_CORES)) {
            for (DecodeAttribution.Product p : DecodeAttribution.products(c)) product(matmul, p, batches, calls, micros);
        }
        elementwise(c, batches, calls, micros);
        for (int b : batches) micros.get(b).put(DecodeAttribution.ATTENTION, attention(c, b, context));
        Map<Integer, DecodeAttribution.Prediction> predictions = new LinkedHashMap<>();
        for (int b : batches) {
            DecodeAttribution.Prediction prediction = DecodeAttribution.predict(c, micros.get(b));
            predictions.put(b, prediction);
            ObjectNode row = addRow("prediction", "step", b);
            row.put("predicted_step_ms", round(prediction.stepMs(), 3));
            row.put("predicted_head_ms", round(prediction.headMs(), 3));
            // The same sum of the families launched eagerly (host gaps included where the host is the slower).
            row.put("predicted_eager_step_ms", round(DecodeAttribution.predict(c, eagerMicros.get(b)).stepMs(), 3));
            ObjectNode shares = row.putObject("family_ms");
            prediction.familyMs().forEach((k, v) -> shares.put(k, round(v, 3)));
            ObjectNode counts = row.putObject("calls_per_step");
            DecodeAttribution.callsPerStep(c).forEach(counts::put);
            System.err.println(row);
        }
        write(result, out);
        return predictions;
    }

    /** One projection at each batch: {@code calls} launches over rotated weight copies (uploaded once) in one graph. */
    private void product(Matmul matmul, DecodeAttribution.Product p, int[] batches, int calls, Map<Integer, Map<String, Double>> micros) {
        long bytes = p.weightBytes(2);
        int copies = (int) Math.max(1, Math.min(8, (ROTATION_BYTES + bytes - 1) / bytes));
        List<DeviceMatrix> weights = new ArrayList<>();
        try {
            for (int i = 0; i < copies; i++) weights.add(randomBf16(p.out(), p.in()));
            for (int batch : batches) {
                try (DeviceBuffer x = device.upload(uniform(batch * p.in())); DeviceBuffer y = device.allocate(4L * batch * p.out())) {
                    // o and down add into the residual stream, as CudaDecoder.run launches them
                    boolean residual = p.name().equals("o") || p.name().equals("down");
                    Matmul.Outputs outputs = residual ? Matmul.Outputs.accumulate(y.from(0), p.out()) : Matmul.Outputs.of(y.from(0), p.out());
                    double us = perCall(i -> matmul.launch(weights.get(i % copies), x.from(0), batch, null, outputs), calls);
                    micros.get(batch).put(p.name(), us);
                    eagerMicros.computeIfAbsent(batch, b -> new LinkedHashMap<>()).put(p.name(), lastEagerMicros);
                    ObjectNode row = addRow("kernels", p.name(), batch);
                    row.put("us_per_call", round(us, 2));
                    row.put("eager_us_per_call", round(lastEagerMicros, 2));
                    row.put("weight_bytes", bytes);
                    row.put("tb_per_s", round(DecodeAttribution.terabytesPerSecond(bytes, us), 2));
                    row.put("path", matmul.path(weights.get(0), x.from(0), batch, outputs).name());
                    row.put("weight_copies", copies);
                    System.err.println(row);
                    write(result, out);
                }
            }
        } finally {
            weights.forEach(DeviceMatrix::close);
        }
    }

    /** rmsnorm, rope (q and k), silu-mul, add, embed (and Qwen3's head norms) at the step's sizes. */
    private void elementwise(ModelConfig c, int[] batches, int calls, Map<Integer, Map<String, Double>> all) {
        DeviceMatrix table = randomBf16(c.vocabSize(), c.hiddenSize());
        try {
            for (int batch : batches) {
                Map<String, double[]> micros = elementwise(c, batch, calls, table);
                micros.forEach((family, us) -> {
                    all.get(batch).put(family, us[0]);
                    eagerMicros.computeIfAbsent(batch, b -> new LinkedHashMap<>()).put(family, us[1]);
                    addRow("kernels", family, batch).put("us_per_call", round(us[0], 2)).put("eager_us_per_call", round(us[1], 2));
                });
                write(result, out);
            }
        } finally {
            table.close();
        }
    }

    /** family → {µs per call in a graph, eagerly}. */
    private Map<String, double[]> elementwise(ModelConfig c, int batch, int calls, DeviceMatrix table) {
        int dim = c.hiddenSize(), hd = c.headDim(), qDim = c.numHeads() * hd, kvDim = c.numKvHeads() * hd, ffn = c.intermediateSize();
        Elementwise ew = new Elementwise(device);
        RmsNorm norm = new RmsNorm(device);
        RotaryEmbedding rope = new RotaryEmbedding(device);
        Map<String, double[]> micros = new LinkedHashMap<>();
        try (DeviceBuffer x = device.upload(uniform(batch * dim)); DeviceBuffer xb = device.allocate(4L * batch * dim);
             DeviceBuffer w = device.upload(uniform(dim)); DeviceBuffer q = device.upload(uniform(batch * qDim));
             DeviceBuffer k = device.upload(uniform(batch * kvDim)); DeviceBuffer cos = device.upload(uniform(batch * hd / 2));
             DeviceBuffer sin = device.upload(uniform(batch * hd / 2)); DeviceBuffer gateUp = device.upload(uniform(batch * 2 * ffn));
             DeviceBuffer h = device.allocate(4L * batch * ffn); DeviceBuffer tokens = device.upload(random.ints(batch, 0, c.vocabSize()).toArray());
             DeviceBuffer headWeight = device.upload(uniform(hd))) {
            micros.put(DecodeAttribution.RMSNORM, timed(i -> norm.launch(x.from(0), w, c.rmsNormEps(), batch, dim, xb.from(0)), calls));
            if (c.qkNorm()) {
                micros.put(DecodeAttribution.HEAD_NORM, timed(i -> norm.launch(q.from(0), headWeight, c.rmsNormEps(), batch * c.numHeads(), hd, q.from(0)), calls));
            }
            micros.put(DecodeAttribution.ROPE, timed(i -> rope.launch(q.from(0), c.numHeads(), k.from(0), c.numKvHeads(), cos.from(0), sin.from(0), batch, hd), calls));
            // A decode step's SwiGLU (skinny gate|up product, then this pass: Matmul.swiGlu), under silu_mul's old name.
            micros.put(DecodeAttribution.SILU_MUL, timed(i -> ew.siluMulInterleaved(gateUp.from(0), batch, ffn, Activation.f32(h.from(0))), calls));
            micros.put(DecodeAttribution.EMBED, timed(i -> ew.embed(table, tokens.from(0), batch, x.from(0)), calls));
        }
        return micros;
    }

    /** The batch attention of every layer (store, split, combine) over {@code batch} rings at {@code context}: µs per layer. */
    private double attention(ModelConfig c, int batch, int context) {
        KvLayout layout = new KvLayout(c.numLayers(), c.numKvHeads(), c.numHeads(), c.headDim());
        int qDim = c.numHeads() * c.headDim(), kvDim = c.numKvHeads() * c.headDim();
        List<Fp16KvRing> rings = new ArrayList<>();
        try (BatchDecodeAttention attention = new BatchDecodeAttention(device, layout);
             DeviceBuffer q = device.upload(uniform(batch * qDim)); DeviceBuffer k = device.upload(uniform(batch * kvDim));
             DeviceBuffer v = device.upload(uniform(batch * kvDim)); DeviceBuffer o = device.allocate(4L * batch * qDim)) {
            for (int s = 0; s < batch; s++) {
                Fp16KvRing ring = new Fp16KvRing(device, layout, context + 1);
                rings.add(ring);
                for (int l = 0; l < layout.layers(); l++) {
                    ring.keys(l).clear();
                    ring.values(l).clear();
                }
            }
            int[] positions = new int[batch];
            Arrays.fill(positions, context); // the new token after `context` stored ones, as a decode step at that context
            attention.prepare(rings, positions);
            float scale = (float) (1 / Math.sqrt(c.headDim()));
            double us = perCall(i -> attention.storeAndAttend(i % layout.layers(), q.from(0), k.from(0), v.from(0), scale, o.from(0)),
                    layout.layers());
            ObjectNode row = addRow("kernels", DecodeAttribution.ATTENTION, batch);
            row.put("us_per_call", round(us, 2));
            row.put("eager_us_per_call", round(lastEagerMicros, 2));
            eagerMicros.computeIfAbsent(batch, x -> new LinkedHashMap<>()).put(DecodeAttribution.ATTENTION, lastEagerMicros);
            long kvBytes = (long) batch * (context + 1) * layout.tokenWidth() * 2 * Short.BYTES;
            row.put("kv_bytes_per_layer", kvBytes);
            row.put("tb_per_s", round(DecodeAttribution.terabytesPerSecond(kvBytes, us), 2));
            BatchDecodeAttention.Plan plan = attention.plan();
            row.put("plan", plan.splits() + " splits × " + layout.kvHeads() + " kv heads × " + batch * plan.rowBlocks() + " row blocks");
            // Shorter ranges than the plan's MIN_SPLIT_POSITIONS, where the context is short enough that they change the cut
            // (4k at batch 1: 17 ranges of 256 a KV head, against 33 of 125 at 64 and 128), timed beside it.
            for (int minPositions : new int[]{128, 64}) {
                int ranges = BatchDecodeAttention.sequenceSplits(context, 0, plan.splits(), minPositions)[1];
                if (BatchDecodeAttention.sequenceSplits(context, 0, plan.splits(), DecodeAttention.MIN_SPLIT_POSITIONS)[1] == ranges) continue;
                attention.prepare(rings, positions, plan.splits(), minPositions);
                double shortUs = perCall(i -> attention.storeAndAttend(i % layout.layers(), q.from(0), k.from(0), v.from(0), scale, o.from(0)),
                        layout.layers());
                ObjectNode variant = addRow("kernels", DecodeAttribution.ATTENTION + "_min_split_positions_" + minPositions, batch);
                variant.put("us_per_call", round(shortUs, 2));
                variant.put("tb_per_s", round(DecodeAttribution.terabytesPerSecond(kvBytes, shortUs), 2));
                variant.put("ranges_per_kv_head", ranges);
                System.err.println(variant);
            }
            System.err.println(row);
            write(result, out);
            return us;
        } finally {
            rings.forEach(Fp16KvRing::close);
        }
    }

    /**
     * µs per call of {@code call(i)}, i = 0..calls-1, all recorded into one graph: median CUDA-event time of
     * {@link #REPLAYS} replays after one, divided by the calls. The call runs once eagerly first (modules, scratch).
     * The same calls launched eagerly, timed the same way, go to {@link #lastEagerMicros} (the host's launch gaps
     * included where they exceed the kernels): a family that is slower in a graph than eagerly shows there.
     */
    private double perCall(IntConsumer call, int calls) {
        call.accept(0);
        device.synchronize();
        double[] eager = new double[REPLAYS];
        for (int r = 0; r < REPLAYS; r++) {
            timer.start();
            for (int i = 0; i < calls; i++) call.accept(i);
            eager[r] = timer.stopMillis();
        }
        Arrays.sort(eager);
        lastEagerMicros = eager[REPLAYS / 2] * 1e3 / calls;
        try (CudaGraph graph = new CudaGraph(device)) {
            graph.record(() -> {
                for (int i = 0; i < calls; i++) call.accept(i);
            });
            graph.replay();
            double[] ms = new double[REPLAYS];
            for (int r = 0; r < REPLAYS; r++) {
                timer.start();
                graph.replay();
                ms[r] = timer.stopMillis();
            }
            Arrays.sort(ms);
            return ms[REPLAYS / 2] * 1e3 / calls;
        }
    }

    /** {@link #perCall} and its eager twin. */
    private double[] timed(IntConsumer call, int calls) {
        double graph = perCall(call, calls);
        return new double[]{graph, lastEagerMicros};
    }

    // ---- part 2: the decoder's step ----

    private static final String[] MODES = {"replay", "eager", "replay", "eager"}; // two rounds, alternating

    private void steps(Path folder, int[] batches, int context, int steps, Map<Integer, DecodeAttribution.Prediction> predictions) {
        int most = Arrays.stream(batches).max().orElse(1);
        try (Model model = Model.load(folder); CudaDecoder decoder = new CudaDecoder(model, device)) {
            List<Sequence<DeviceKvCache>> sequences = fill(model, decoder, most, context);
            decoder.timePhases(true);
            try {
                for (int b : batches) {
                    List<Sequence<DeviceKvCache>> batch = sequences.subList(0, b);
                    Map<String, List<ObjectNode>> byMode = new LinkedHashMap<>();
                    for (int round = 0; round < MODES.length; round++) {
                        ObjectNode row = stepRound(decoder, model.config(), batch, MODES[round], round / 2, steps);
                        byMode.computeIfAbsent(MODES[round], m -> new ArrayList<>()).add(row);
                        write(result, out);
                    }
                    compare(b, predictions.get(b), byMode);
                    write(result, out);
                }
            } finally {
                decoder.recordDecodeSteps(true);
                Sequence.closeAll(sequences);
            }
        }
    }

    /** {@code most} sequences of {@code context} random tokens each, prefilled by the decoder (one forwardLast). */
    private List<Sequence<DeviceKvCache>> fill(Model model, CudaDecoder decoder, int most, int context) {
        long t0 = System.nanoTime();
        List<Sequence<DeviceKvCache>> sequences = new ArrayList<>();
        List<int[]> prompts = new ArrayList<>();
        var caches = DeviceKvCaches.fp16(device);
        for (int s = 0; s < most; s++) {
            sequences.add(new Sequence<>(caches.create(model.kvLayout())));
            prompts.add(tokens(model.config(), context));
        }
        decoder.forwardLast(sequences, prompts);
        ObjectNode row = addRow("fill", "prefill", most);
        row.put("context", context);
        row.put("seconds", round((System.nanoTime() - t0) / 1e9, 1));
        return sequences;
    }

    /** One round of {@code steps} timed steps in one mode (after warm-ups: a replay needs one eager step and one recording). */
    private ObjectNode stepRound(CudaDecoder decoder, ModelConfig c, List<Sequence<DeviceKvCache>> batch, String mode, int round, int steps) {
        decoder.recordDecodeSteps(mode.equals("replay"));
        List<Double> host = new ArrayList<>(), events = new ArrayList<>(), uploads = new ArrayList<>(), layers = new ArrayList<>(), head = new ArrayList<>();
        List<Double> rest = new ArrayList<>(); // the events' span beyond the three phases: mostly the logits' download
        long launches = 0;
        int replays = 0;
        for (int i = 0; i < 3 + steps; i++) {
            List<int[]> next = new ArrayList<>();
            for (int s = 0; s < batch.size(); s++) next.add(tokens(c, 1));
            timer.start();
            long t0 = System.nanoTime();
            decoder.forwardLast(batch, next);
            double ms = (System.nanoTime() - t0) / 1e6;
            float eventMs = timer.stopMillis();
            if (i < 3) continue;
            CudaDecoder.Phases phases = decoder.lastPhases();
            CudaDecoder.StepStats stats = decoder.lastStep();
            host.add(ms);
            events.add((double) eventMs);
            uploads.add((double) phases.uploadsMs());
            layers.add((double) phases.layersMs());
            head.add((double) phases.headMs());
            rest.add(eventMs - (double) phases.uploadsMs() - phases.layersMs() - phases.headMs());
            launches = stats.launches();
            if (stats.replayed()) replays++;
        }
        ObjectNode row = addRow("step", mode, batch.size());
        row.put("round", round);
        row.put("ms", round(TimedRuns.median(host), 3));
        row.put("events_ms", round(TimedRuns.median(events), 3));
        row.put("uploads_ms", round(TimedRuns.median(uploads), 3));
        row.put("layers_ms", round(TimedRuns.median(layers), 3));
        row.put("head_ms", round(TimedRuns.median(head), 3));
        row.put("download_and_rest_ms", round(TimedRuns.median(rest), 3));
        row.put("launches_per_step", launches);
        row.put("replayed_steps", replays);
        row.put("steps", steps);
        ArrayNode samples = row.putArray("samples_ms");
        host.forEach(ms -> samples.add(round(ms, 3)));
        System.err.println(row);
        return row;
    }

    /** The prediction against the measured layers and steps of both modes at one batch. */
    private void compare(int batch, DecodeAttribution.Prediction prediction, Map<String, List<ObjectNode>> byMode) {
        ObjectNode row = addRow("compare", "step", batch);
        if (prediction != null) {
            row.put("predicted_step_ms", round(prediction.stepMs(), 3));
            row.put("predicted_head_ms", round(prediction.headMs(), 3));
            row.put("predicted_layers_ms", round(prediction.stepMs() - prediction.headMs(), 3));
        }
        for (Map.Entry<String, List<ObjectNode>> e : byMode.entrySet()) {
            for (String key : List.of("events_ms", "layers_ms", "head_ms", "uploads_ms", "download_and_rest_ms")) {
                row.put(e.getKey() + "_" + key, round(e.getValue().stream().mapToDouble(r -> r.get(key).asDouble()).min().orElse(Double.NaN), 3));
            }
            row.put(e.getKey() + "_launches_per_step", e.getValue().get(0).get("launches_per_step").asLong());
        }
        if (prediction != null && row.has("replay_layers_ms")) {
            row.put("replay_layers_unexplained_ms", round(row.get("replay_layers_ms").asDouble() - row.get("predicted_layers_ms").asDouble(), 3));
        }
        System.err.println(row);
    }

    /**
     * Nsight Compute's run: the fill, then 2 eager steps, then with graphs on a first-sight step (eager too) and 3
     * replayed ones (the first of them recorded), only these between cuProfilerStart and cuProfilerStop (ncu
     * --profile-from-start off), so the fill's kernels are not profiled. ncu_step_kernels.py's defaults (the last 2 + 3
     * steps: eager, eager, replay × 3) match.
     */
    private void ncuSteps(Path folder, int batch, int context) {
        if (folder == null) throw new IllegalArgumentException("--ncu needs --model");
        try (Model model = Model.load(folder); CudaDecoder decoder = new CudaDecoder(model, device)) {
            List<Sequence<DeviceKvCache>> sequences = fill(model, decoder, batch, context);
            device.synchronize();
            jcuda.driver.JCudaDriver.cuProfilerStart();
            try {
                for (String mode : List.of("eager", "replay")) {
                    decoder.recordDecodeSteps(mode.equals("replay"));
                    for (int i = 0; i < (mode.equals("eager") ? 2 : 4); i++) {
                        List<int[]> next = new ArrayList<>();
                        for (int s = 0; s < batch; s++) next.add(tokens(model.config(), 1));
                        decoder.forwardLast(sequences, next);
                        System.err.println("ncu step: " + mode + " " + i + ", replayed " + decoder.lastStep().replayed()
                                + ", launches " + decoder.lastStep().launches());
                    }
                }
                device.synchronize();
                jcuda.driver.JCudaDriver.cuProfilerStop();
            } finally {
                Sequence.closeAll(sequences);
            }
        }
    }

    // ---- helpers ----

    private ObjectNode addRow(String part, String name, int batch) {
        ObjectNode row = rows.addObject();
        row.put("part", part);
        row.put("name", name);
        row.put("batch", batch);
        return row;
    }

    private int[] tokens(ModelConfig c, int n) {
        return random.ints(n, 3, c.vocabSize()).toArray();
    }

    private float[] uniform(int n) {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) f[i] = (float) (2 * random.nextDouble() - 1);
        return f;
    }

    /** A random bf16 matrix on the device: one 32 MB block of small values repeated to fill it (the time depends on the bytes, not the values). */
    private DeviceMatrix randomBf16(int rows, int cols) {
        long bytes = (long) rows * cols * 2;
        int block = (int) Math.min(bytes, 32L << 20);
        ByteBuffer b = ByteBuffer.allocateDirect(block).order(ByteOrder.LITTLE_ENDIAN);
        while (b.remaining() >= 2) b.putShort(Half.floatToBf16((float) ((2 * random.nextDouble() - 1) * 0.03)));
        b.flip();
        DeviceBuffer data = device.allocate(bytes);
        for (long at = 0; at < bytes; at += block) data.write(b.duplicate().limit((int) Math.min(block, bytes - at)), at);
        return new DeviceMatrix(data, DType.BF16, rows, cols);
    }
}
