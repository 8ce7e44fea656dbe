package io.vecinfer.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vecinfer.cuda.CudaDevice;
import io.vecinfer.cuda.decoder.CudaDecoder;
import io.vecinfer.cuda.decoder.DeviceBatchFit;
import io.vecinfer.cuda.decoder.DeviceKvCache;
import io.vecinfer.cuda.decoder.DeviceKvCaches;
import io.vecinfer.cuda.decoder.DeviceVqMethod;
import io.vecinfer.cuda.decoder.SyntheticKvFill;
import io.vecinfer.decoder.Sequence;
import io.vecinfer.kvcache.CacheFactory;
import io.vecinfer.model.Model;
import io.vecinfer.quant.MethodSpec;
import io.vecinfer.quant.VqSpec;
import io.vecinfer.quant.vq.RandomCodebooks;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;

import static io.vecinfer.bench.BenchJson.brief;
import static io.vecinfer.bench.BenchJson.round;
import static io.vecinfer.bench.BenchJson.write;

/**
 * Issue 12's end-to-end targets on the Llama-3.1-8B shape (random bf16 weights, make_8b_checkpoint.py): decode steps
 * of {@link CudaDecoder} (--step greedy, the default: greedyLast, the argmax on the device as greedy generation takes it;
 * --step logits: forwardLast, every logit downloaded), fp16 device caches beside 2-bit VecInfer ones (d4b8 keys and values), in
 * one device call:
 * <ul>
 *   <li>long-*: batch 1 at {@code --long-context} tokens (196608 by default; the checkpoint's max_position_embeddings
 *       must allow it plus one position per warm-up and timed step);</li>
 *   <li>maxbatch-*: at {@code --batch-context} tokens (32768), the largest batch each cache fits in the device memory
 *       left after the weights, measured: one sequence is filled, the device bytes it took are read off the allocator,
 *       and the batch is what the free memory then holds, less a margin ({@link #batchThatFits}). The auto-batch rule
 *       ({@link DeviceBatchFit}, which assumes the caches may have doubled) is reported beside it.</li>
 * </ul>
 * The caches are filled without a prefill ({@link SyntheticKvFill}: random fp16 rows, random valid codes; codebooks of
 * the right shape with random N(0,1) codewords, {@link RandomCodebooks}): a decode step's time does not depend on the
 * values. Each row reports host time per step (median after warm-up steps), CUDA-event time, the launches one step
 * issues (a graph replay counts one; a batch of more than 32 rows is not recorded), tokens/s (batch per step
 * time) and the cache's bytes (the method's, as CacheFootprint counts them, and the device bytes allocated).
 * The JSON is rewritten to --out after every row.
 * <pre>
 *   java --add-modules=jdk.incubator.vector -Xmx32g -cp '.device-bundle/lib/*' io.vecinfer.bench.LongContextE2EBenchmark \
 *       --model /tmp/llama8b-196k [--out long-context-e2e.json] [--method vecinfer:k=d4b8,v=d4b8] [--long-context 196608]
 *       [--batch-context 32768] [--steps 8] [--max-batch 4096] [--budget-s 240] [--only long,maxbatch]
 * </pre>
 */
public final class LongContextE2EBenchmark {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Warm-up steps before the timed ones; the first of a shape also records its graph (fp16). */
    private static final int WARM_UP_STEPS = 2;
    /** What the batch fit keeps free beside the caches: the driver, the VQ kernels' scratch, allocator rounding. */
    static final long MARGIN_MIN_BYTES = 2L << 30;
    static final double MARGIN_FRACTION = 0.03;

    /** The command line; every field has a default. */
    record Options(Path model, Path out, String method, int longContext, int batchContext, int steps, int maxBatch, double budgetS,
                   List<String> only, DecodeStepTiming.StepCall step) {
        static Options parse(String[] args) {
            Path model = Path.of("/tmp/llama8b-196k"), out = null;
            String method = "vecinfer:k=d4b8,v=d4b8";
            int longContext = 196608, batchContext = 32768, steps = 8, maxBatch = 4096;
            double budget = 240;
            List<String> only = List.of("long", "maxbatch");
            DecodeStepTiming.StepCall step = DecodeStepTiming.StepCall.GREEDY;
            for (int i = 0; i < args.length; i += 2) {
                if (i + 1 >= args.length) throw new IllegalArgumentException(args[i] + " needs a value");
                String value = args[i + 1];
                switch (args[i]) {
                    case "--model" -> model = Path.of(value);
                    case "--out" -> out = Path.of(value);
                    case "--method" -> method = value;
                    case "--long-context" -> longContext = positive(args[i], value);
                    case "--batch-context" -> batchContext = positive(args[i], value);
                    case "--steps" -> steps = positive(args[i], value);
                    case "--max-batch" -> maxBatch = positive(args[i], value);
                    case "--budget-s" -> budget = Double.parseDouble(value);
                    case "--only" -> only = List.of(value.split(","));
                    case "--step" -> step = DecodeStepTiming.StepCall.parse(args[i], value);
                    default -> throw new IllegalArgumentException("unknown argument " + args[i]
                            + " (--model --out --method --long-context --batch-context --steps --max-batch --budget-s --only --step)");
                }
            }
            for (String o : only) if (!o.equals("long") && !o.equals("maxbatch")) throw new IllegalArgumentException("--only long,maxbatch, not " + o);
            if (!(MethodSpec.parse(method) instanceof VqSpec)) throw new IllegalArgumentException("--method must be a VQ spec, not " + method);
            return new Options(model, out, method, longContext, batchContext, steps, maxBatch, budget, only, step);
        }

        /** Positions each cache reserves beyond its context: every step of a row (warm-ups and timed ones) adds one. */
        int spare() {
            return WARM_UP_STEPS + steps;
        }
    }

    private static int positive(String name, String value) {
        int n = Integer.parseInt(value);
        if (n < 1) throw new IllegalArgumentException(name + " must be positive, not " + value);
        return n;
    }

    /**
     * The most sequences of {@code perSequenceBytes} each that fit, the first already allocated: {@code freeBytes} (what is
     * free with it) must hold the others, their rows of activations and the margin ({@link #MARGIN_MIN_BYTES}, or
     * {@link #MARGIN_FRACTION} of the free bytes when more). At least 1 (the one that is there), at most {@code cap}.
     */
    static int batchThatFits(long freeBytes, long perSequenceBytes, long activationBytesPerRow, int cap) {
        if (perSequenceBytes <= 0) throw new IllegalArgumentException("a sequence of " + perSequenceBytes + " bytes");
        long margin = Math.max(MARGIN_MIN_BYTES, (long) (freeBytes * MARGIN_FRACTION));
        // Activations are allocated for a power of two of rows at least the batch: charge twice the rows, the worst case.
        long usable = freeBytes - margin;
        long more = usable <= 0 ? 0 : usable / (perSequenceBytes + 2 * activationBytesPerRow);
        return (int) Math.max(1, Math.min(cap, 1 + more));
    }

    private final Options options;
    private final Model model;
    private final CudaDevice device;
    private final CudaDecoder decoder;
    private final SyntheticKvFill fill;
    private final SplittableRandom random = new SplittableRandom(1);
    private final long deadline;

    private LongContextE2EBenchmark(Options options, Model model, CudaDevice device, CudaDecoder decoder, SyntheticKvFill fill) {
        this.options = options;
        this.model = model;
        this.device = device;
        this.decoder = decoder;
        this.fill = fill;
        this.deadline = System.nanoTime() + (long) (options.budgetS() * 1e9);
    }

    public static void main(String[] args) throws Exception {
        Options o = Options.parse(args);
        ObjectNode result = JSON.createObjectNode();
        result.put("benchmark", "CudaDecoder decode steps (" + o.step().call() + ", one new token per sequence) on the Llama-3.1-8B shape:"
                + " fp16 device caches beside VQ ones; caches filled synthetically (no prefill), random codebooks;"
                + " host time per step, median of timed steps after " + WARM_UP_STEPS + " warm-up steps");
        result.put("model", o.model().toString());
        result.put("date", Instant.now().toString());
        result.put("method", o.method());
        ArrayNode rows = result.putArray("rows");
        long start = System.nanoTime();
        VqSpec spec = (VqSpec) MethodSpec.parse(o.method());
        try (Model model = Model.load(o.model()); CudaDevice device = CudaDevice.open(0); CudaDecoder decoder = new CudaDecoder(model, device);
             SyntheticKvFill fill = new SyntheticKvFill(device, model.kvLayout(), 7);
             DeviceVqMethod vq = new DeviceVqMethod(device, RandomCodebooks.of(spec, model.kvLayout(), new Random(3)))) {
            result.put("device", decoder.device());
            result.put("max_position_embeddings", model.config().contextLength());
            result.put("weights_gib", round(device.allocatedBytes() / (double) (1L << 30), 2));
            result.put("load_s", round((System.nanoTime() - start) / 1e9, 1));
            write(result, o.out());
            LongContextE2EBenchmark bench = new LongContextE2EBenchmark(o, model, device, decoder, fill);
            List<CacheFactory<DeviceKvCache>> methods = List.of(DeviceKvCaches.fp16(device), vq);
            if (o.only().contains("long")) {
                // Every warm-up and timed step appends a token past the filled context, so the model must hold those too.
                if (o.longContext() + o.spare() > model.config().contextLength()) {
                    rows.addObject().put("name", "long").putNull("ours_ms").put("skipped", "context " + o.longContext() + " + "
                            + o.spare() + " step positions beyond the checkpoint's max_position_embeddings " + model.config().contextLength());
                } else {
                    for (CacheFactory<DeviceKvCache> m : methods) bench.row(rows, result, "long-" + label(m) + "-b1-ctx" + o.longContext(), m, o.longContext(), false);
                }
            }
            if (o.only().contains("maxbatch")) {
                for (CacheFactory<DeviceKvCache> m : methods) bench.row(rows, result, "maxbatch-" + label(m) + "-ctx" + o.batchContext(), m, o.batchContext(), true);
            }
            result.put("device_peak_gib", round(device.peakAllocatedBytes() / (double) (1L << 30), 1));
        } catch (RuntimeException | OutOfMemoryError e) {
            result.put("error", brief(e));
            write(result, o.out());
            throw e;
        }
        result.put("seconds", round((System.nanoTime() - start) / 1e9, 1));
        write(result, o.out());
        System.out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(result));
    }

    private static String label(CacheFactory<DeviceKvCache> method) {
        return method.spec().equals("fp16") ? "fp16" : "vq";
    }

    /** One row, with a placeholder written first so that a run cut short still says where it stopped. */
    private void row(ArrayNode rows, ObjectNode result, String name, CacheFactory<DeviceKvCache> method, int context, boolean maxBatch) {
        rows.addObject().put("name", name).putNull("ours_ms").put("skipped", "unfinished: the run was stopped during this row");
        write(result, options.out());
        ObjectNode row = JSON.createObjectNode();
        row.put("name", name);
        row.put("method", method.spec());
        row.put("context", context);
        List<Sequence<DeviceKvCache>> sequences = new ArrayList<>();
        try {
            if (leftMs() <= 0) throw new IllegalStateException("no time left of the " + options.budgetS() + " s budget");
            long t0 = System.nanoTime(), before = device.allocatedBytes();
            sequences.add(filled(method, context, row));
            long perSequence = device.allocatedBytes() - before;
            int batch = 1;
            if (maxBatch) {
                long free = device.freeMemory();
                batch = batchThatFits(free, perSequence, CudaDecoder.activationBytesPerRow(model.config()), Math.min(options.maxBatch(), decoder.chunkRows()));
                row.put("fit", "measured: one filled sequence took " + perSequence + " device bytes; " + free + " bytes free then, less a margin of"
                        + " max(2 GiB, 3%) and two rows of activations per sequence");
                try { // the rule sizes a batch before any of it is allocated: from what was free before this sequence
                    row.put("auto_batch_rule", DeviceBatchFit.of(model.config(), MethodSpec.parse(method.spec()), context + options.spare(),
                            decoder.chunkRows()).sequences(free + perSequence, name));
                } catch (RuntimeException e) {
                    row.put("auto_batch_rule", brief(e));
                }
                row.put("fit_batch", batch);
                for (int b = 1; b < batch; b++) {
                    try {
                        sequences.add(filled(method, context, null));
                    } catch (RuntimeException | OutOfMemoryError e) { // the fit was too generous: time the batch that did fit, and say so
                        row.put("fit_shortfall", "sequence " + (b + 1) + " of " + batch + " did not fit: " + brief(e));
                        break;
                    }
                }
                batch = sequences.size();
            }
            device.synchronize();
            row.put("batch", batch);
            row.put("fill_s", round((System.nanoTime() - t0) / 1e9, 1));
            row.put("device_bytes_per_sequence", perSequence);
            long cacheBytes = 0;
            for (Sequence<DeviceKvCache> s : sequences) cacheBytes += s.cache().storedBytes();
            row.put("cache_bytes", cacheBytes);
            row.put("cache_bytes_per_sequence", cacheBytes / batch);
            timeSteps(sequences, row);
        } catch (RuntimeException | OutOfMemoryError e) {
            row.putNull("ours_ms");
            row.put("skipped", "failed: " + brief(e));
        } finally {
            Sequence.closeAll(sequences);
            System.gc();
        }
        System.err.println(row);
        rows.set(rows.size() - 1, row);
        write(result, options.out());
    }

    private Sequence<DeviceKvCache> filled(CacheFactory<DeviceKvCache> method, int context, ObjectNode row) {
        Sequence<DeviceKvCache> s = new Sequence<>(method.create(model.kvLayout()));
        try {
            String how = fill.fill(s.cache(), context, options.spare());
            s.advance(context);
            if (row != null) row.put("fill", how);
            return s;
        } catch (RuntimeException | OutOfMemoryError e) {
            s.close();
            throw e;
        }
    }

    /** Warm-up steps, then timed ones within the time left; what one step issued. */
    private void timeSteps(List<Sequence<DeviceKvCache>> sequences, ObjectNode row) {
        int batch = sequences.size();
        DecodeStepTiming.Result steps = DecodeStepTiming.time(device, decoder, sequences,
                () -> new int[]{random.nextInt(3, model.config().vocabSize())}, options.step(), WARM_UP_STEPS, options.steps(), Math.max(0, leftMs()));
        TimedRuns.Samples samples = steps.samples();
        double median = samples.median();
        row.put("step_call", options.step().call());
        row.put("ours_ms", round(median, 3));
        row.put("ours_min_ms", round(samples.min(), 3));
        row.put("events_ms", round(TimedRuns.median(steps.timed(steps.eventsMs())), 3));
        row.put("tokens_per_s", round(batch / median * 1e3, 1));
        row.put("launches_per_step", steps.launches());
        row.put("graph_replays", steps.replays());
        row.put("steps", samples.ms().size());
        row.put("warm_up_discarded", samples.warmUpDiscarded());
        ArrayNode all = row.putArray("ours_samples_ms");
        samples.ms().forEach(ms -> all.add(round(ms, 3)));
    }

    private double leftMs() {
        return (deadline - System.nanoTime()) / 1e6;
    }
}
