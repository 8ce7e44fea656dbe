package io.vecinfer.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vecinfer.cuda.CudaDevice;
import io.vecinfer.cuda.DeviceBuffer;
import io.vecinfer.cuda.attention.PrefillAttention;
import io.vecinfer.cuda.decoder.CudaDecoder;
import io.vecinfer.cuda.decoder.DeviceKvCache;
import io.vecinfer.cuda.decoder.DeviceKvCaches;
import io.vecinfer.cuda.ops.Matmul;
import io.vecinfer.decoder.Batching;
import io.vecinfer.decoder.Sequence;
import io.vecinfer.decoder.TokenScores;
import io.vecinfer.kvcache.CacheFactory;
import io.vecinfer.model.Model;
import io.vecinfer.model.ModelConfig;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

import static io.vecinfer.bench.BenchJson.brief;
import static io.vecinfer.bench.BenchJson.round;
import static io.vecinfer.bench.BenchJson.write;

/**
 * End-to-end prefill and decode times of {@link CudaDecoder} on a checkpoint (the 8B shape of make_8b_checkpoint.py),
 * the same shapes as decoder_e2e_peer.py, through the decoder's public API only, fp16 device KV caches:
 * <ul>
 *   <li>prefill-bB-L: scoreAll of B fresh sequences of L random tokens, each token's successor as its target: what
 *       perplexity runs. Every position's logits are computed and reduced on the device (log-softmax, the target's
 *       log-probability, the argmax); only those per-token results reach the host, not rows × vocabulary floats.
 *       Long inputs run in chunks of {@link CudaDecoder#chunkRows()} rows;</li>
 *   <li>decode-bB-ctx4096: one decode step of one token per sequence (--step greedy, the default: greedyLast, the
 *       argmax on the device as greedy generation takes it and as the peer's logits stay on the GPU; --step logits:
 *       forwardLast, the logits downloaded), B sequences already holding 4096 tokens.</li>
 * </ul>
 * A call returns its results on the host, so it has synchronized: host time around it is the call's time.
 * <p>
 * A time budget (--budget-s, default 300) bounds the run: each shape's first call is estimated from what was
 * measured before and skipped ("skipped": why) when it would not fit what is left; repeats stay within the shape's
 * share of what is left (left / shapes to go). The JSON is rewritten to --out after every row, so a run cut short
 * keeps what finished.
 * <p>
 * The decode caches are filled "direct" by default: random keys and values through {@link DeviceKvCache#appendAndAttend}
 * a chunk at a time (the step's cost does not depend on what the cache holds, and a prefill of 32 × 4096 tokens
 * would take most of the budget today); --fill prefill runs real prompts through forwardLast instead, and direct
 * falls back to that if the cache API refuses. --layer-timeline adds to each prefill row, per call, the GPU and host
 * times at each layer's start of the call's last pass ({@link CudaDecoder#timeLayers}): where a slow rep lost its time.
 * --chunk-rows sets the rows of a prefill pass (default: CudaDecoder's, at most {@link CudaDecoder#MAX_CHUNK_ROWS});
 * --reserve-outside grows the caches of a prefill call before its timing starts (against the default: what the
 * caches' device allocations cost a call).
 * <pre>
 *   java --add-modules=jdk.incubator.vector -Xmx48g -cp '/tmp/device-bundle/lib/*' io.vecinfer.bench.DecoderE2EBenchmark \
 *       --model /tmp/llama8b-random [--budget-s 300] [--out ours.json] [--fill direct|prefill] [--reps 3] [--only a,b] [--layer-timeline] [--chunk-rows 8192] [--reserve-outside]
 * </pre>
 */
public final class DecoderE2EBenchmark {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int DECODE_CONTEXT = 4096;
    /** Estimates of a prefill longer than any measured one are doubled: attention grows with the context. */
    private static final double LONGER_PREFILL_MARGIN = 2.0;

    /** A benchmark shape: B sequences; prefill of L tokens each, or decode steps at a context of L. */
    record Shape(String name, boolean prefill, int batch, int length) {
    }

    static final List<Shape> SHAPES = List.of(
            new Shape("prefill-b1-4096", true, 1, 4096),
            new Shape("decode-b1-ctx4096", false, 1, DECODE_CONTEXT),
            new Shape("decode-b8-ctx4096", false, 8, DECODE_CONTEXT),
            new Shape("prefill-b8-1024", true, 8, 1024),
            new Shape("decode-b32-ctx4096", false, 32, DECODE_CONTEXT),
            new Shape("prefill-b1-32768", true, 1, 32768)); // last: the longest, and the least likely to fit

    private final CudaDevice device;
    private final CudaDecoder decoder;
    private final Model model;
    private final CacheFactory<DeviceKvCache> caches;
    /**
     * Steps before the timed ones. A step's host path (the inputs, the batch attention's tables, the graph launch) runs
     * in the JVM's interpreter for its first hundred or so calls (C1 compiles a method after about 200): with 2 warm-up
     * steps the GPU waited 0.30 ms a step at batch 8 for it, with 300 0.05 (decoder-speed-notes.md, session 11, calls 3
     * and 4). A generation, and a sweep's executor, runs thousands of steps, so the rows time the steady state and report
     * the first steps' figure beside it.
     */
    static final int DECODE_WARM_UP_STEPS = 300;
    /** The first steps whose host time a row reports as cold_host_before_layers_ms. */
    static final int COLD_STEPS = 20;
    private final int reps;
    private final boolean directFill;
    /** --reserve-outside: each prefill call's caches make room for its tokens before the timed call, not inside it. */
    private final boolean reserveOutside;
    private final DecodeStepTiming.StepCall step;
    private final SplittableRandom random = new SplittableRandom(1);
    private final long deadline;
    /** One full prefill chunk: the warm-up allocates the activations the prefill rows use. */
    private final int warmUpTokens;
    // What the estimates start from, updated as shapes are measured.
    private double prefillMsPerToken, decodeMsPerSequence, fillMsPerSequence = Double.NaN;
    private int longestPrefill;

    private DecoderE2EBenchmark(Model model, CudaDevice device, CudaDecoder decoder, int reps, boolean directFill, boolean reserveOutside,
                                DecodeStepTiming.StepCall step, double budgetS) {
        this.step = step;
        this.model = model;
        this.device = device;
        this.decoder = decoder;
        this.caches = DeviceKvCaches.fp16(device);
        this.reps = reps;
        this.directFill = directFill;
        this.reserveOutside = reserveOutside;
        this.deadline = System.nanoTime() + (long) (budgetS * 1e9);
        this.warmUpTokens = Math.min(decoder.chunkRows(), model.config().contextLength() / 4);
    }

    public static void main(String[] args) throws Exception {
        Path folder = Path.of("/tmp/llama8b-random");
        Path out = null;
        double budget = 300;
        int reps = 3;
        boolean direct = true;
        List<String> only = null;
        boolean layerTimeline = false;
        int chunkRows = 0; // as many as free memory allows, up to CudaDecoder.MAX_CHUNK_ROWS
        boolean reserveOutside = false;
        DecodeStepTiming.StepCall step = DecodeStepTiming.StepCall.GREEDY;
        for (int i = 0; i < args.length; i++) {
            String value = i + 1 < args.length ? args[i + 1] : "";
            switch (args[i]) {
                case "--model" -> folder = Path.of(value);
                case "--out" -> out = Path.of(value);
                case "--budget-s" -> budget = Double.parseDouble(value);
                case "--reps" -> reps = Integer.parseInt(value);
                case "--fill" -> direct = switch (value) {
                    case "direct" -> true;
                    case "prefill" -> false;
                    default -> throw new IllegalArgumentException("--fill direct|prefill, not " + value);
                };
                case "--chunk-rows" -> chunkRows = Integer.parseInt(value);
                case "--only" -> only = Arrays.asList(value.split(","));
                case "--step" -> step = DecodeStepTiming.StepCall.parse(args[i], value);
                case "--layer-timeline" -> {
                    layerTimeline = true;
                    continue; // a flag: no value
                }
                case "--reserve-outside" -> {
                    reserveOutside = true;
                    continue;
                }
                default -> throw new IllegalArgumentException("unknown argument " + args[i]
                        + " (--model --out --budget-s --reps --fill --only --step --layer-timeline --chunk-rows --reserve-outside)");
            }
            i++;
        }
        ObjectNode result = JSON.createObjectNode();
        result.put("benchmark", "CudaDecoder end to end: scoreAll prefill (perplexity's path: every position's logits reduced on"
                + " the device to the next token's log-probability and the argmax), " + step.call() + " decode step;"
                + " fp16 device KV caches; host time per call, median of timed repeats after a warm-up");
        result.put("model", folder.toString());
        result.put("date", Instant.now().toString());
        result.put("java", System.getProperty("java.version"));
        result.put("max_heap_gib", round(Runtime.getRuntime().maxMemory() / (double) (1L << 30), 1));
        result.put("budget_s", budget);
        ArrayNode rows = result.putArray("rows");
        long start = System.nanoTime();
        try (Model model = Model.load(folder); CudaDevice device = CudaDevice.open(0); CudaDecoder decoder = new CudaDecoder(model, device, Matmul.Precision.TENSOR_CORES, chunkRows)) {
            result.put("device", decoder.device());
            result.put("prefill_chunk_rows", decoder.chunkRows());
            result.put("prefill_attention_kernel", new PrefillAttention(device).kernelFor(model.config().headDim()).name());
            result.put("load_s", round((System.nanoTime() - start) / 1e9, 1));
            write(result, out);
            if (layerTimeline) decoder.timeLayers(true); // events at each layer of every prefill pass: the rows' layer_timeline
            DecoderE2EBenchmark bench = new DecoderE2EBenchmark(model, device, decoder, reps, direct, reserveOutside, step, budget);
            result.put("reserve_outside", reserveOutside);
            result.set("warm_up", bench.warmUp());
            write(result, out);
            List<String> names = only;
            int context = model.config().contextLength();
            List<Shape> shapes = SHAPES.stream()
                    .filter(s -> s.length() <= context && (names == null || names.contains(s.name()))).toList();
            for (int i = 0; i < shapes.size(); i++) {
                // A placeholder first: if the time limit kills the JVM mid-shape, the file still says where it stopped.
                rows.addObject().put("name", shapes.get(i).name()).putNull("ours_ms")
                        .put("skipped", "unfinished: the run was stopped during this shape");
                write(result, out);
                rows.set(rows.size() - 1, bench.run(shapes.get(i), shapes.size() - i));
                write(result, out);
            }
            result.put("device_peak_gib", round(device.peakAllocatedBytes() / (double) (1L << 30), 1));
        } catch (RuntimeException | OutOfMemoryError e) {
            result.put("error", brief(e));
            write(result, out);
            System.out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(result));
            throw e;
        }
        result.put("seconds", round((System.nanoTime() - start) / 1e9, 1));
        write(result, out);
        System.out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(result));
    }

    private double leftMs() {
        return (deadline - System.nanoTime()) / 1e6;
    }

    /** Kernel modules loaded and activations allocated, then the first estimates: a chunk's prefill and a decode step. */
    private ObjectNode warmUp() {
        ObjectNode w = JSON.createObjectNode();
        Sequence<DeviceKvCache> s = newSequence();
        try {
            double cold = timeMs(() -> score(List.of(s), List.of(tokens(warmUpTokens))));
            double warm = timeMs(() -> score(List.of(s), List.of(tokens(warmUpTokens))));
            double step = timeMs(() -> decoder.forwardLast(List.of(s), List.of(tokens(1))));
            step = Math.min(step, timeMs(() -> decoder.forwardLast(List.of(s), List.of(tokens(1)))));
            prefillMsPerToken = warm / warmUpTokens;
            decodeMsPerSequence = step;
            longestPrefill = warmUpTokens;
            w.put("first_prefill_ms", round(cold, 1));
            w.put("prefill_ms", round(warm, 1));
            w.put("tokens", warmUpTokens);
            w.put("decode_step_ms", round(step, 2));
        } finally {
            s.close();
        }
        return w;
    }

    private ObjectNode run(Shape shape, int shapesToGo) {
        ObjectNode row = JSON.createObjectNode();
        row.put("name", shape.name());
        row.put("batch", shape.batch());
        row.put(shape.prefill() ? "tokens" : "context", shape.prefill() ? shape.batch() * shape.length() : shape.length());
        double share = leftMs() / shapesToGo;
        try {
            if (shape.prefill()) prefill(shape, row, share);
            else decode(shape, row, share);
        } catch (RuntimeException | OutOfMemoryError e) {
            row.putNull("ours_ms");
            row.put("skipped", "failed: " + brief(e));
        }
        System.gc(); // the logits of the last call, before the next shape's first
        System.err.println(row);
        return row;
    }

    /**
     * With --layer-timeline: the last pass's {@link CudaDecoder.LayerTimeline} of the call just timed (read after its
     * timing) into {@code timelines}: GPU and host milliseconds at each layer's start and the head's, from the first layer's.
     */
    private void addTimeline(ArrayNode timelines) {
        CudaDecoder.LayerTimeline t = decoder.lastLayerTimeline();
        if (t == null) return;
        ObjectNode node = timelines.addObject();
        ArrayNode gpu = node.putArray("gpu_at_ms"), host = node.putArray("host_at_ms");
        for (float ms : t.gpuMs()) gpu.add(round(ms, 3));
        for (float ms : t.hostMs()) host.add(round(ms, 3));
    }

    private void prefill(Shape shape, ObjectNode row, double shareMs) {
        int tokens = shape.batch() * shape.length();
        double estimate = tokens * prefillMsPerToken * (shape.length() > longestPrefill ? LONGER_PREFILL_MARGIN : 1);
        row.put("estimate_s", round(estimate / 1e3, 1));
        if (estimate > leftMs()) {
            skip(row, String.format(Locale.ROOT, "estimated %.0f s for one call, %.0f s left of the budget", estimate / 1e3, leftMs() / 1e3));
            return;
        }
        List<int[]> prompts = new ArrayList<>();
        for (int b = 0; b < shape.batch(); b++) prompts.add(tokens(shape.length()));
        ArrayNode timelines = JSON.createArrayNode(); // --layer-timeline: one per call, the warm-up's first
        TimedRuns.Samples samples = TimedRuns.repeat(() -> {
            List<Sequence<DeviceKvCache>> sequences = newSequences(shape.batch());
            try {
                System.gc(); // the previous call's garbage, collected outside the timed call
                if (reserveOutside) {
                    for (Sequence<DeviceKvCache> s : sequences) s.cache().reserveFor(shape.length());
                    device.synchronize();
                }
                double ms = timeMs(() -> score(sequences, prompts));
                addTimeline(timelines);
                return ms;
            } finally {
                Sequence.closeAll(sequences);
            }
        }, 1, reps, Math.min(shareMs, leftMs()));
        put(row, samples, tokens);
        if (!timelines.isEmpty()) row.set("layer_timeline", timelines);
        prefillMsPerToken = samples.median() / tokens;
        longestPrefill = Math.max(longestPrefill, shape.length());
    }

    /** Perplexity's call: every token scored against its successor, on the device. */
    private void score(List<Sequence<DeviceKvCache>> sequences, List<int[]> prompts) {
        decoder.scoreAll(sequences, prompts, prompts.stream().map(TokenScores::nextTokens).toList());
    }

    private void decode(Shape shape, ObjectNode row, double shareMs) {
        int batch = shape.batch();
        double fillEstimate = batch * (Double.isNaN(fillMsPerSequence) ? shape.length() * prefillMsPerToken : fillMsPerSequence);
        double estimate = fillEstimate + 3 * batch * decodeMsPerSequence;
        row.put("estimate_s", round(estimate / 1e3, 1));
        if (estimate > leftMs()) {
            skip(row, String.format(Locale.ROOT, "estimated %.0f s to fill the caches and step, %.0f s left of the budget",
                    estimate / 1e3, leftMs() / 1e3));
            return;
        }
        List<Sequence<DeviceKvCache>> sequences = newSequences(batch);
        try {
            long t0 = System.nanoTime();
            String fill = fill(sequences, shape.length());
            double fillMs = (System.nanoTime() - t0) / 1e6;
            row.put("fill", fill);
            row.put("fill_s", round(fillMs / 1e3, 1));
            if (fill.startsWith("direct")) fillMsPerSequence = fillMs / batch;
            double stepShareMs = Math.max(0, Math.min(shareMs - fillMs, leftMs()));
            // Recorded steps (the default) first, then a few eager ones on the same caches: the host cost before and after.
            TimedRuns.Samples samples = timeSteps(sequences, row, "", stepShareMs);
            put(row, samples, batch);
            decoder.recordDecodeSteps(false);
            try {
                TimedRuns.Samples eager = timeSteps(sequences, row, "eager_", Math.min(stepShareMs, (DECODE_WARM_UP_STEPS + 20) * samples.median()));
                row.put("eager_ms", round(eager.median(), 3));
            } finally {
                decoder.recordDecodeSteps(true);
            }
            decodeMsPerSequence = samples.median() / batch;
        } finally {
            Sequence.closeAll(sequences);
        }
    }

    /**
     * Timed decode steps of one new token per sequence, with the host side of each step in the row (keys prefixed):
     * host_issue_ms, the time to issue a step (from the call's start until only the logits' download is left);
     * host_inputs_ms, host_tables_ms and host_before_layers_ms, from the call's start until its token ids and rotary rows,
     * its batch attention tables and its layers were issued (the GPU, done with the last step, waits that long);
     * events_ms, the GPU's span by CUDA events on the default stream around the call; launches_per_step (a graph replay
     * counts one); graph_replays. An issue time close to the step time means the GPU waited for the host. All are medians
     * of the timed steps, after {@link #DECODE_WARM_UP_STEPS}; cold_host_before_layers_ms is that of the first
     * {@link #COLD_STEPS}.
     */
    private TimedRuns.Samples timeSteps(List<Sequence<DeviceKvCache>> sequences, ObjectNode row, String prefix, double shareMs) {
        DecodeStepTiming.Result steps = DecodeStepTiming.time(device, decoder, sequences, () -> tokens(1), step, DECODE_WARM_UP_STEPS, 5 * reps, shareMs);
        row.put(prefix + "step_call", step.call());
        row.put(prefix + "warm_up_steps", DECODE_WARM_UP_STEPS);
        row.put(prefix + "host_issue_ms", round(steps.medianHostMs(CudaDecoder.StepStats::issueNanos), 3));
        row.put(prefix + "host_inputs_ms", round(steps.medianHostMs(CudaDecoder.StepStats::inputsIssuedNanos), 3));
        row.put(prefix + "host_tables_ms", round(steps.medianHostMs(CudaDecoder.StepStats::tablesIssuedNanos), 3));
        row.put(prefix + "host_before_layers_ms", round(steps.medianHostMs(CudaDecoder.StepStats::layersIssuedNanos), 3));
        // The same host time in the first steps, before the JIT has compiled the step's host path (see DECODE_WARM_UP_STEPS).
        List<CudaDecoder.StepStats> first = steps.stepStats().subList(0, Math.min(COLD_STEPS, steps.stepStats().size()));
        row.put(prefix + "cold_host_before_layers_ms", round(TimedRuns.median(first.stream().map(t -> t.layersIssuedNanos() / 1e6).toList()), 3));
        row.put(prefix + "events_ms", round(TimedRuns.median(steps.timed(steps.eventsMs())), 3));
        row.put(prefix + "launches_per_step", steps.launches());
        row.put(prefix + "graph_replays", steps.replays());
        return steps.samples();
    }

    /** Brings every sequence to {@code context} tokens; says how. */
    private String fill(List<Sequence<DeviceKvCache>> sequences, int context) {
        if (directFill) {
            try {
                fillDirect(sequences, context);
                return "direct: random keys and values through DeviceKvCache.appendAndAttend, " + Batching.CHUNK_ROWS + " tokens a call";
            } catch (RuntimeException e) {
                // A cache that refuses (another type, a changed contract): start again from empty caches with real prompts.
                List<Sequence<DeviceKvCache>> fresh = newSequences(sequences.size());
                Sequence.closeAll(sequences);
                sequences.clear();
                sequences.addAll(fresh);
                fillPrefill(sequences, context);
                return "prefill (direct failed: " + brief(e) + ")";
            }
        }
        fillPrefill(sequences, context);
        return "prefill: random prompts through forwardLast";
    }

    private void fillPrefill(List<Sequence<DeviceKvCache>> sequences, int context) {
        for (Sequence<DeviceKvCache> s : sequences) decoder.forwardLast(List.of(s), List.of(tokens(context)));
    }

    /** Random fp32 q, k, v chunks (the layout CudaDecoder hands its caches), appended layer by layer as the decoder would. */
    private void fillDirect(List<Sequence<DeviceKvCache>> sequences, int context) {
        ModelConfig c = model.config();
        int chunk = Batching.CHUNK_ROWS, qDim = c.numHeads() * c.headDim(), kvDim = c.numKvHeads() * c.headDim();
        float scale = (float) (1.0 / Math.sqrt(c.headDim()));
        try (DeviceBuffer q = device.upload(floats(chunk * qDim)); DeviceBuffer k = device.upload(floats(chunk * kvDim));
             DeviceBuffer v = device.upload(floats(chunk * kvDim)); DeviceBuffer out = device.allocate((long) chunk * qDim * Float.BYTES)) {
            for (Sequence<DeviceKvCache> s : sequences) {
                DeviceKvCache cache = s.cache();
                while (s.position() < context) {
                    int n = Math.min(chunk, context - s.position());
                    for (int layer = 0; layer < c.numLayers(); layer++) {
                        cache.appendAndAttend(layer, q.from(0), k.from(0), v.from(0), s.position(), n, scale, out.from(0));
                    }
                    s.advance(n);
                }
            }
            device.synchronize();
        }
    }

    private void put(ObjectNode row, TimedRuns.Samples samples, int tokensPerCall) {
        double median = samples.median();
        row.put("ours_ms", round(median, 3));
        row.put("ours_min_ms", round(samples.min(), 3));
        row.put("ours_reps", samples.ms().size());
        row.put("warm_up_discarded", samples.warmUpDiscarded());
        row.put("ours_tokens_per_s", round(tokensPerCall / median * 1e3, 1));
        ArrayNode all = row.putArray("ours_samples_ms");
        samples.ms().forEach(ms -> all.add(round(ms, 3)));
    }

    private static void skip(ObjectNode row, String why) {
        row.putNull("ours_ms");
        row.put("skipped", why);
    }

    private Sequence<DeviceKvCache> newSequence() {
        return new Sequence<>(caches.create(model.kvLayout()));
    }

    private List<Sequence<DeviceKvCache>> newSequences(int n) {
        List<Sequence<DeviceKvCache>> list = new ArrayList<>();
        for (int i = 0; i < n; i++) list.add(newSequence());
        return list;
    }

    private int[] tokens(int n) {
        return random.ints(n, 3, model.config().vocabSize()).toArray();
    }

    private float[] floats(int n) {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) f[i] = (float) (2 * random.nextDouble() - 1);
        return f;
    }

    private static double timeMs(Runnable call) {
        long t0 = System.nanoTime();
        call.run();
        return (System.nanoTime() - t0) / 1e6;
    }
}
