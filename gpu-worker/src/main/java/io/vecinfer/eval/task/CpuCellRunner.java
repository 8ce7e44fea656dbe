package io.vecinfer.eval.task;

import io.vecinfer.decoder.Decoder;
import io.vecinfer.kvcache.DenseKvCache;
import io.vecinfer.model.Model;
import io.vecinfer.tokenizer.Tokenizer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs cells on the CPU backend. Models, tokenizers and task samples are loaded once and kept for the
 * runner's life (one runner per executor JVM), so a sweep pays each load once per worker.
 */
public final class CpuCellRunner implements CellRunner {
    private final Path datasets;
    private final Map<String, Loaded> models = new HashMap<>();
    private final Map<String, List<TaskSample>> samples = new HashMap<>();
    private final KvMethods methods;

    private record Loaded(Model model, Tokenizer tokenizer, Decoder decoder) {
    }

    /**
     * The runner Spark executors create: datasets from -Dvecinfer.datasets, else the environment's
     * VECINFER_DATASETS (spark.executorEnv.VECINFER_DATASETS on a cluster), else ./datasets.
     */
    public static CpuCellRunner create() {
        Path datasets = datasetsFolder();
        if (!Files.isDirectory(datasets.resolve("heldout"))) {
            throw new IllegalStateException(datasets + " is not the datasets folder (no heldout/ in it): set -Dvecinfer.datasets"
                    + " or VECINFER_DATASETS (spark.executorEnv.VECINFER_DATASETS on a cluster)");
        }
        return new CpuCellRunner(datasets);
    }

    /** The datasets folder this JVM is configured with (see {@link #create}), absolute; not checked. */
    public static Path datasetsFolder() {
        String configured = System.getProperty("vecinfer.datasets", System.getenv("VECINFER_DATASETS"));
        return Path.of(configured != null ? configured : "datasets").toAbsolutePath();
    }

    /** @param datasets the datasets/ folder holding heldout/, passkey/ and calibration/ */
    public CpuCellRunner(Path datasets) {
        this(datasets, new KvMethods(datasets));
    }

    /** A runner sharing calibrated codebooks with other users of {@code methods}. */
    public CpuCellRunner(Path datasets, KvMethods methods) {
        this.datasets = datasets;
        this.methods = methods;
    }

    private synchronized Loaded load(String modelPath) {
        return models.computeIfAbsent(modelPath, p -> {
            Model model = Model.load(Path.of(p));
            Path tokenizerFile = Path.of(p, "tokenizer.json");
            if (!Files.exists(tokenizerFile)) {
                model.close();
                throw new IllegalArgumentException(tokenizerFile + ": file not found (a model needs its tokenizer.json)");
            }
            return new Loaded(model, Tokenizer.load(tokenizerFile), new Decoder(model));
        });
    }

    /** The context of a cell; {@code withMethod} false skips the KV method (listing samples needs no codebooks). */
    private TaskContext context(Cell cell, boolean withMethod) {
        Loaded loaded = load(cell.model());
        return new TaskContext(loaded.model(), loaded.tokenizer(), loaded.decoder(), datasets,
                withMethod ? methods.factory(cell.method(), loaded.model(), loaded.tokenizer(), cell.codebook()) : null,
                DenseKvCache.factory(DenseKvCache.Precision.FP16), "cpu", "cpu:" + Runtime.getRuntime().availableProcessors() + "-cores");
    }

    private synchronized List<TaskSample> samplesOf(Cell cell, TaskContext context) {
        String key = cell.model() + "|" + cell.task() + "|" + cell.contextLength();
        return samples.computeIfAbsent(key, k -> TaskRegistry.task(cell.task()).samples(context, cell, 0));
    }

    @Override
    public List<String> sampleIds(Cell cell, int limit) {
        List<String> ids = new ArrayList<>();
        for (TaskSample s : samplesOf(cell, context(cell, false))) {
            if (limit > 0 && ids.size() == limit) break;
            ids.add(s.id());
        }
        return ids;
    }

    @Override
    public List<SampleResult> run(Cell cell, List<String> sampleIds) {
        TaskContext context = context(cell, true);
        Map<String, TaskSample> byId = new LinkedHashMap<>();
        for (TaskSample s : samplesOf(cell, context)) byId.put(s.id(), s);
        List<TaskSample> wanted = new ArrayList<>();
        for (String id : sampleIds) {
            TaskSample s = byId.get(id);
            if (s == null) throw new IllegalArgumentException("task " + cell.task() + " has no sample '" + id + "'");
            wanted.add(s);
        }
        EvalTask task = TaskRegistry.task(cell.task());
        int batch = Math.max(1, cell.batchSize());
        List<SampleResult> results = new ArrayList<>();
        for (int from = 0; from < wanted.size(); from += batch) {
            results.addAll(task.run(context, cell, wanted.subList(from, Math.min(wanted.size(), from + batch))));
        }
        return results;
    }

    @Override
    public synchronized void close() {
        models.values().forEach(l -> l.model().close());
        models.clear();
    }
}
