package io.vecinfer.eval.task;

import io.vecinfer.decoder.DecoderBackend;
import io.vecinfer.model.Model;
import io.vecinfer.quant.DenseSpec;
import io.vecinfer.quant.MethodSpec;
import io.vecinfer.tokenizer.Tokenizer;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs cells on one {@link ExecutionBackend}. Models, tokenizers, decoders and task samples are loaded
 * once and kept for the runner's life (one runner per executor JVM), so a sweep pays each load once per
 * worker. A cell whose method (or prefill) the backend has no kernels for runs on the CPU backend, and its
 * rows say so.
 */
public class ModelCellRunner implements CellRunner {
    private final Path datasets;
    private final KvMethods methods;
    private final ExecutionBackend backend;
    private final ExecutionBackend cpu;
    private final DatasetSampleCatalog catalog;
    private final Map<String, Loaded> models = new HashMap<>();

    private record Loaded(Model model, Tokenizer tokenizer, Map<String, DecoderBackend> decoders) {
    }

    /**
     * @param datasets the datasets/ folder holding heldout/, passkey/ and calibration/
     * @param methods  codebooks shared with other users of {@code methods}
     * @param backend  where cells run; the runner closes it
     */
    public ModelCellRunner(Path datasets, KvMethods methods, ExecutionBackend backend) {
        this.datasets = datasets;
        this.methods = methods;
        this.backend = backend;
        this.cpu = backend instanceof CpuBackend ? backend : new CpuBackend();
        this.catalog = new DatasetSampleCatalog(datasets);
    }

    private synchronized Loaded load(String modelPath) {
        // The tokenizer first: a model without one is refused before its weights are mapped.
        Tokenizer tokenizer = catalog.source(modelPath).tokenizer();
        return models.computeIfAbsent(modelPath, p -> new Loaded(Model.load(Path.of(p)), tokenizer, new HashMap<>()));
    }

    /** The context of a cell: its model, decoder and caches on the backend that runs its method. */
    private synchronized TaskContext context(Cell cell) {
        Loaded loaded = load(cell.model());
        MethodSpec method = MethodSpec.parse(cell.method());
        ExecutionBackend runsOn = backend.supports(method, cell.prefill()) ? backend : cpu;
        DecoderBackend decoder = loaded.decoders().computeIfAbsent(runsOn.name(), b -> runsOn.decoder(loaded.model()));
        var compressed = runsOn.caches(method, loaded.model(), methods.codebooks(method, loaded.model(), loaded.tokenizer(), cell.codebook()));
        // A dense cache's prompt is already exact (and an fp32 one must not be rounded to fp16 for it).
        var caches = method instanceof DenseSpec ? compressed : cell.prefill().apply(compressed);
        return new TaskContext(loaded.model(), loaded.tokenizer(), decoder, datasets, caches,
                runsOn.caches(MethodSpec.parse("fp16"), loaded.model(), null), runsOn);
    }

    /** Listing samples loads no model: the ids come from the catalog, from config and tokenizer alone. */
    @Override
    public List<String> sampleIds(Cell cell, int limit) {
        return catalog.sampleIds(cell, limit);
    }

    @Override
    public List<SampleResult> run(Cell cell, List<String> sampleIds) {
        TaskContext context = context(cell);
        List<TaskSample> wanted = new ArrayList<>();
        for (String id : sampleIds) wanted.add(catalog.sample(cell, id));
        EvalTask task = TaskRegistry.task(cell.task());
        int batch = deviceBatch(context, cell, wanted);
        List<SampleResult> results = new ArrayList<>();
        for (int from = 0; from < wanted.size(); from += batch) {
            List<TaskSample> samples = wanted.subList(from, Math.min(wanted.size(), from + batch));
            context.backend().resetPeakMemory();
            long t0 = System.nanoTime();
            List<SampleResult> done = task.run(context, cell, samples);
            double millis = (System.nanoTime() - t0) / 1e6;
            for (SampleResult r : done) results.add(r.inBatch(samples.size(), millis));
        }
        return results;
    }

    /**
     * The batch the samples run in: the cell's fixed size, or for {@link BatchSize#AUTO} as many of them as the backend that
     * runs the cell holds at once at their longest (prompt plus new tokens), asked once per call.
     */
    private static int deviceBatch(TaskContext context, Cell cell, List<TaskSample> samples) {
        BatchSize requested = cell.batch();
        if (!requested.auto()) return requested.sequences();
        if (samples.isEmpty()) return 1;
        int longest = samples.stream().mapToInt(s -> s.prompt().length + s.maxNewTokens()).max().orElseThrow();
        String name = "cell " + cell.method() + " / " + cell.task() + " / ctx " + cell.contextLength() + " / batch auto on " + cell.model();
        int fit = context.backend().sequencesThatFit(context.model(), MethodSpec.parse(cell.method()), longest, name);
        return Math.max(1, Math.min(fit, samples.size()));
    }

    @Override
    public synchronized void close() {
        for (Loaded l : models.values()) {
            l.decoders().values().forEach(d -> {
                if (d instanceof AutoCloseable c) closeQuietly(c);
            });
            l.model().close();
        }
        models.clear();
        backend.close();
        if (cpu != backend) cpu.close();
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            throw new IllegalStateException("closing " + c + ": " + e.getMessage(), e);
        }
    }
}
