package io.vecinfer.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vecinfer.cuda.decoder.CudaBackend;
import io.vecinfer.decoder.CpuBackend;
import io.vecinfer.decoder.ExecutionBackend;
import io.vecinfer.eval.task.BatchSize;
import io.vecinfer.eval.task.Cell;
import io.vecinfer.eval.task.DatasetSampleCatalog;
import io.vecinfer.eval.task.KvMethods;
import io.vecinfer.eval.task.ModelCellRunner;
import io.vecinfer.eval.task.SampleResult;
import io.vecinfer.eval.task.TaskSample;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import static io.vecinfer.bench.BenchJson.brief;
import static io.vecinfer.bench.BenchJson.round;
import static io.vecinfer.bench.BenchJson.write;

/**
 * Samples per second of a small evaluation sweep through {@link ModelCellRunner}, the path a Spark executor takes
 * (a GPU runner: {@link KvMethods}, {@link CudaBackend}, the tasks' own implementations, {@link BatchSize#AUTO}): fp16
 * cells of perplexity (consecutive held-out windows of --window tokens after BOS) and passkey (the prompts of
 * --passkey-context tokens, each answered by the task's greedy new tokens). sweep_peer.py does the same computation
 * with transformers on the same token ids, which --samples-out writes.
 * <p>
 * Each task's cell runs --warm-ups times over all its samples (the first also loads the model and builds the decoder),
 * then --reps timed times; a row's samples/s is its samples over the median timed wall time of {@code runner.run}.
 * The JSON is rewritten to --out after every run, so a run cut short keeps what finished.
 * <p>
 * The model folder needs a tokenizer.json (the runner builds the tasks' samples from text). For the random 8B-shaped
 * checkpoint, sweep-bench-on-h200.sh copies the shipped reference model's (8192 tokens): its ids all lie inside the
 * checkpoint's 128256-row vocabulary, and generated ids past the tokenizer are skipped when decoded, as in HF.
 * <pre>
 *   java --add-modules=jdk.incubator.vector -Xmx48g -cp '.device-bundle/lib/*' io.vecinfer.bench.SweepBenchmark \
 *       --model /tmp/llama8b-random [--datasets datasets] [--backend cuda|cpu] [--windows 16] [--window 4096]
 *       [--passkeys 20] [--passkey-context 4096] [--warm-ups 1] [--reps 2] [--out ours.json]
 *       [--samples-out samples.json] [--list-only]
 * </pre>
 * --list-only writes the samples and stops: no weights are loaded, no device is opened.
 */
public final class SweepBenchmark {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String METHOD = "fp16";

    /** What the command line asks for. */
    record Plan(Path model, Path datasets, String backend, int windows, int window, int passkeys, int passkeyContext,
                int warmUps, int reps, Path out, Path samplesOut, boolean listOnly) {

        Plan {
            if (!backend.equals("cuda") && !backend.equals("cpu")) throw new IllegalArgumentException("--backend cuda|cpu, not " + backend);
            if (windows < 1 || passkeys < 1 || window < 1 || passkeyContext < 1) {
                throw new IllegalArgumentException("--windows, --passkeys, --window and --passkey-context must be >= 1");
            }
            if (warmUps < 1 || reps < 1) throw new IllegalArgumentException("--warm-ups and --reps must be >= 1");
        }

        static Plan parse(String[] args) {
            Path model = Path.of("/tmp/llama8b-random"), datasets = Path.of("datasets"), out = null, samplesOut = null;
            String backend = "cuda";
            int windows = 16, window = 4096, passkeys = 20, passkeyContext = 4096, warmUps = 1, reps = 2;
            boolean listOnly = false;
            for (int i = 0; i < args.length; i++) {
                if (args[i].equals("--list-only")) {
                    listOnly = true;
                    continue;
                }
                String flag = args[i];
                if (i + 1 == args.length) throw new IllegalArgumentException(flag + " needs a value");
                String value = args[++i];
                switch (flag) {
                    case "--model" -> model = Path.of(value);
                    case "--datasets" -> datasets = Path.of(value);
                    case "--backend" -> backend = value;
                    case "--windows" -> windows = Integer.parseInt(value);
                    case "--window" -> window = Integer.parseInt(value);
                    case "--passkeys" -> passkeys = Integer.parseInt(value);
                    case "--passkey-context" -> passkeyContext = Integer.parseInt(value);
                    case "--warm-ups" -> warmUps = Integer.parseInt(value);
                    case "--reps" -> reps = Integer.parseInt(value);
                    case "--out" -> out = Path.of(value);
                    case "--samples-out" -> samplesOut = Path.of(value);
                    default -> throw new IllegalArgumentException("unknown argument " + flag + " (--model --datasets --backend"
                            + " --windows --window --passkeys --passkey-context --warm-ups --reps --out --samples-out --list-only)");
                }
            }
            return new Plan(model, datasets.toAbsolutePath(), backend, windows, window, passkeys, passkeyContext, warmUps, reps,
                    out, samplesOut, listOnly);
        }

        /** The sweep: one fp16 cell per task, batch auto, the task's default prefill, and how many samples it takes. */
        List<TaskRun> tasks() {
            String folder = model.toAbsolutePath().toString();
            return List.of(
                    new TaskRun(new Cell(folder, METHOD, null, "perplexity", window, BatchSize.AUTO_CODE, 0), windows),
                    new TaskRun(new Cell(folder, METHOD, null, "passkey", passkeyContext, BatchSize.AUTO_CODE, 0), passkeys));
        }
    }

    /** One task's cell and the number of its samples the sweep runs (its first ones, in the catalog's order). */
    record TaskRun(Cell cell, int samples) {
        String task() {
            return cell.task();
        }
    }

    private SweepBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Plan plan = Plan.parse(args);
        ObjectNode result = JSON.createObjectNode();
        result.put("benchmark", "fp16 cells of perplexity and passkey through ModelCellRunner (KvMethods, the tasks, batch auto);"
                + " samples per second = samples / median wall time of runner.run over the cell's samples, after warm-up runs");
        result.put("model", plan.model().toString());
        result.put("backend", plan.backend());
        result.put("date", Instant.now().toString());
        result.put("java", System.getProperty("java.version"));
        result.put("max_heap_gib", round(Runtime.getRuntime().maxMemory() / (double) (1L << 30), 1));
        ArrayNode rows = result.putArray("rows");
        Consumer<ObjectNode> save = r -> write(r, plan.out());
        try {
            List<List<String>> ids = writeSamples(plan);
            if (plan.listOnly()) return;
            long start = System.nanoTime();
            try (ModelCellRunner runner = new ModelCellRunner(plan.datasets(), new KvMethods(plan.datasets()), backend(plan.backend()))) {
                List<TaskRun> tasks = plan.tasks();
                for (int t = 0; t < tasks.size(); t++) {
                    rows.add(run(runner, tasks.get(t), ids.get(t), plan, result, save));
                    save.accept(result);
                }
            }
            result.put("seconds", round((System.nanoTime() - start) / 1e9, 1));
        } catch (RuntimeException | OutOfMemoryError e) {
            result.put("error", brief(e));
            throw e;
        } finally {
            save.accept(result);
            System.out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(result));
        }
    }

    /** The backend a Spark executor's runner would hold: GPU 0, or the CPU oracle. */
    private static ExecutionBackend<?> backend(String name) {
        return name.equals("cuda") ? new CudaBackend(0) : new CpuBackend();
    }

    /**
     * Every task's sample ids, from the catalog the runner itself builds its samples with (no weights are read); with
     * --samples-out, their token ids too, for the peer: {"tasks": [{"task", "context_length", "max_new_tokens",
     * "samples": [{"id", "prompt": [ids]}]}]}.
     */
    static List<List<String>> writeSamples(Plan plan) throws Exception {
        DatasetSampleCatalog catalog = new DatasetSampleCatalog(plan.datasets());
        ObjectNode listing = JSON.createObjectNode();
        listing.put("model", plan.model().toString());
        listing.put("method", METHOD);
        ArrayNode tasks = listing.putArray("tasks");
        List<List<String>> ids = new ArrayList<>();
        for (TaskRun run : plan.tasks()) {
            List<TaskSample> all = catalog.samples(run.cell());
            if (all.size() < run.samples()) {
                throw new IllegalArgumentException(run.task() + " at context " + run.cell().contextLength() + " has " + all.size()
                        + " samples on " + plan.model() + "'s tokenizer, the sweep asks for " + run.samples());
            }
            List<TaskSample> taken = all.subList(0, run.samples());
            ids.add(taken.stream().map(TaskSample::id).toList());
            ObjectNode task = tasks.addObject().put("task", run.task()).put("context_length", run.cell().contextLength())
                    .put("max_new_tokens", taken.get(0).maxNewTokens());
            ArrayNode samples = task.putArray("samples");
            for (TaskSample s : taken) {
                ArrayNode prompt = samples.addObject().put("id", s.id()).putArray("prompt");
                for (int token : s.prompt()) prompt.add(token);
            }
        }
        if (plan.samplesOut() != null) Files.writeString(plan.samplesOut(), JSON.writeValueAsString(listing));
        return ids;
    }

    /** A task's warm-up and timed runs of its cell over the same samples; the row in progress is kept in {@code result}. */
    private static ObjectNode run(ModelCellRunner runner, TaskRun task, List<String> ids, Plan plan, ObjectNode result,
                                  Consumer<ObjectNode> save) {
        ObjectNode row = JSON.createObjectNode();
        row.put("task", task.task());
        row.put("samples", ids.size());
        row.put("method", METHOD);
        row.put("context_length", task.cell().contextLength());
        row.put("batch", task.cell().batch().toString());
        row.putNull("ours_samples_per_s");
        result.set("in_progress", row);
        ArrayNode warm = row.putArray("warm_up_s"), timed = row.putArray("ours_s");
        List<Double> seconds = new ArrayList<>();
        List<SampleResult> last = null;
        for (int i = 0; i < plan.warmUps() + plan.reps(); i++) {
            System.gc(); // the previous run's garbage, collected outside the timed call
            long t0 = System.nanoTime();
            last = runner.run(task.cell(), ids);
            double s = (System.nanoTime() - t0) / 1e9;
            if (i < plan.warmUps()) {
                warm.add(round(s, 3));
            } else {
                timed.add(round(s, 3));
                seconds.add(s);
            }
            save.accept(result);
        }
        double median = TimedRuns.median(seconds);
        row.put("ours_median_s", round(median, 3));
        row.put("ours_samples_per_s", round(ids.size() / median, 3));
        describe(row, last);
        result.remove("in_progress");
        System.err.println(row);
        return row;
    }

    /** What the last run says of itself: where it ran, in what batches, and its mean score (a check that the work was done). */
    private static void describe(ObjectNode row, List<SampleResult> results) {
        row.put("ran_on", results.stream().map(SampleResult::backend).distinct().reduce((a, b) -> a + "," + b).orElse(""));
        row.put("device", results.get(0).device());
        row.put("device_batch", results.stream().mapToInt(SampleResult::deviceBatch).max().orElse(0));
        row.put("prompt_tokens", results.stream().mapToInt(SampleResult::contextTokens).sum());
        row.put("generated_tokens", results.stream().mapToInt(SampleResult::generatedTokens).sum());
        row.put("peak_memory_gib", round(results.stream().mapToLong(SampleResult::peakMemoryBytes).max().orElse(0) / (double) (1L << 30), 2));
        String metric = row.get("task").asText().equals("perplexity") ? "nll" : "accuracy";
        row.put("ours_mean_" + metric, round(results.stream().mapToDouble(r -> r.scores().get(metric)).average().orElse(Double.NaN), 5));
        ArrayNode perSample = row.putArray("ours_" + metric);
        results.forEach(r -> perSample.add(round(r.scores().get(metric), 5)));
    }
}
