package io.vecinfer.eval.task;

import io.vecinfer.dataset.Datasets;
import io.vecinfer.decoder.CpuBackend;
import io.vecinfer.decoder.DecoderBackend;
import io.vecinfer.decoder.ExecutionBackend;
import io.vecinfer.kvcache.CacheFactory;
import io.vecinfer.kvcache.KvCache;
import io.vecinfer.kvcache.SequenceCache;
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
 * rows say so. A GPU's runner is {@code ModelCellRunner.on(new CudaBackend(ordinal))}.
 */
public class ModelCellRunner implements CellRunner {
    private final Path datasets;
    private final KvMethods methods;
    private final OnBackend<?> backend;
    private final OnBackend<KvCache> cpu;
    private final DatasetSampleCatalog catalog;
    private final Map<String, Loaded> models = new HashMap<>();

    private record Loaded(Model model, Tokenizer tokenizer) {
    }

    /** A backend and the decoders it made, one per model path: decoder and caches of a context come from one backend. */
    private record OnBackend<C extends SequenceCache>(ExecutionBackend<C> backend, Map<String, DecoderBackend<C>> decoders) {
        OnBackend(ExecutionBackend<C> backend) {
            this(backend, new HashMap<>());
        }

        DecoderBackend<C> decoder(String modelPath, Model model) {
            return decoders.computeIfAbsent(modelPath, p -> backend.decoder(model));
        }
    }

    /**
     * The runner of an executor on {@code backend}, which it closes (also when the datasets are missing): datasets from
     * {@link Datasets#checkedFolder()}, codebooks of its own.
     */
    public static ModelCellRunner on(ExecutionBackend<?> backend) {
        try {
            Path datasets = Datasets.checkedFolder();
            return new ModelCellRunner(datasets, new KvMethods(datasets), backend);
        } catch (RuntimeException e) {
            backend.close();
            throw e;
        }
    }

    /**
     * @param datasets the datasets/ folder holding heldout/, passkey/ and calibration/
     * @param methods  codebooks shared with other users of {@code methods}
     * @param backend  where cells run; the runner closes it
     */
    public ModelCellRunner(Path datasets, KvMethods methods, ExecutionBackend<?> backend) {
        this.datasets = datasets;
        this.methods = methods;
        this.cpu = new OnBackend<>(backend instanceof CpuBackend c ? c : new CpuBackend());
        this.backend = backend instanceof CpuBackend ? cpu : new OnBackend<>(backend);
        this.catalog = new DatasetSampleCatalog(datasets);
    }

    private synchronized Loaded load(String modelPath) {
        // The tokenizer first: a model without one is refused before its weights are mapped.
        Tokenizer tokenizer = catalog.source(modelPath).tokenizer();
        return models.computeIfAbsent(modelPath, p -> new Loaded(Model.load(Path.of(p)), tokenizer));
    }

    /** The context of a cell: its model, decoder and caches on the backend that runs its method. */
    private synchronized TaskContext<?> context(Cell cell) {
        Loaded loaded = load(cell.model());
        MethodSpec method = MethodSpec.parse(cell.method());
        OnBackend<?> runsOn = backend.backend().supports(method, cell.prefill()) ? backend : cpu;
        return context(runsOn, loaded, cell, method);
    }

    /** Decoder and caches both from {@code runsOn}: of its one cache type. */
    private <C extends SequenceCache> TaskContext<C> context(OnBackend<C> runsOn, Loaded loaded, Cell cell, MethodSpec method) {
        DecoderBackend<C> decoder = runsOn.decoder(cell.model(), loaded.model());
        ExecutionBackend<C> on = runsOn.backend();
        CacheFactory<C> compressed = on.caches(method, loaded.model(), methods.codebooks(method, loaded.model(), loaded.tokenizer(), cell.codebook()));
        // A dense cache's prompt is already exact (and an fp32 one must not be rounded to fp16 for it).
        CacheFactory<C> caches = method instanceof DenseSpec ? compressed : cell.prefill().apply(compressed);
        return new TaskContext<>(loaded.model(), loaded.tokenizer(), decoder, datasets, caches,
                on.caches(MethodSpec.parse("fp16"), loaded.model(), null), on);
    }

    /** Listing samples loads no model: the ids come from the catalog, from config and tokenizer alone. */
    @Override
    public List<String> sampleIds(Cell cell, int limit) {
        return catalog.sampleIds(cell, limit);
    }

    @Override
    public List<SampleResult> run(Cell cell, List<String> sampleIds) {
        TaskContext<?> context = context(cell);
        List<TaskSample> wanted = catalog.samples(cell, sampleIds);
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
    private static int deviceBatch(TaskContext<?> context, Cell cell, List<TaskSample> samples) {
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
        // Decoders before the models they were made from, then the backends (a GPU's decoders hold its memory).
        for (OnBackend<?> b : backend == cpu ? List.of(cpu) : List.of(backend, cpu)) {
            b.decoders().values().forEach(d -> {
                if (d instanceof AutoCloseable c) closeQuietly(c);
            });
            b.decoders().clear();
        }
        for (Loaded l : models.values()) l.model().close();
        models.clear();
        backend.backend().close();
        if (cpu != backend) cpu.backend().close();
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            throw new IllegalStateException("closing " + c + ": " + e.getMessage(), e);
        }
    }
}
