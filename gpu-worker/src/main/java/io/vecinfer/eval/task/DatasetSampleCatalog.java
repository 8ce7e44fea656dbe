package io.vecinfer.eval.task;

import io.vecinfer.dataset.Datasets;
import io.vecinfer.model.Model;
import io.vecinfer.model.ModelConfig;
import io.vecinfer.tokenizer.Tokenizer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The samples of the shipped tasks, built from the datasets folder and each model's config.json and
 * tokenizer.json only: the weights are never opened. A {@link ModelCellRunner} takes its samples from
 * one, and a Spark driver lists sample ids with one, so both see the same ids in the same order.
 */
public final class DatasetSampleCatalog implements SampleCatalog {
    private final Path datasets;
    private final Map<String, SampleSource> sources = new HashMap<>();
    private final Map<String, List<TaskSample>> samples = new HashMap<>();
    private final Map<String, Map<String, TaskSample>> samplesById = new HashMap<>();

    /** @param datasets the datasets/ folder holding heldout/ and passkey/ */
    public DatasetSampleCatalog(Path datasets) {
        this.datasets = datasets;
    }

    /** The catalog of this JVM's datasets folder ({@link Datasets#checkedFolder()}). */
    public static DatasetSampleCatalog create() {
        return new DatasetSampleCatalog(Datasets.checkedFolder());
    }

    /** The model's config and tokenizer, read once per model folder. */
    public synchronized SampleSource source(String modelPath) {
        return sources.computeIfAbsent(modelPath, p -> {
            Path folder = Path.of(p);
            ModelConfig config = ModelConfig.load(folder.resolve("config.json"));
            Path tokenizerFile = folder.resolve("tokenizer.json");
            if (!Files.exists(tokenizerFile)) {
                throw new IllegalArgumentException(tokenizerFile + ": file not found (a model needs its tokenizer.json)");
            }
            return new SampleSource(Model.nameOf(folder), config, Tokenizer.load(tokenizerFile), datasets, folder);
        });
    }

    /** All samples of the cell's task at its context length, in their fixed order. */
    public synchronized List<TaskSample> samples(Cell cell) {
        return samples.computeIfAbsent(key(cell), k -> TaskRegistry.task(cell.task()).samples(source(cell.model()), cell, 0));
    }

    private static String key(Cell cell) {
        return cell.model() + "|" + cell.task() + "|" + cell.contextLength() + "|" + cell.inputs();
    }

    /**
     * The cell's samples of these ids, in their order: from {@link #samples(Cell)}, or built by their task past them
     * (a limit larger than "all", listed by a driver and run here), each built once.
     */
    public synchronized List<TaskSample> samples(Cell cell, List<String> ids) {
        Map<String, TaskSample> byId = samplesById.computeIfAbsent(key(cell), k -> {
            Map<String, TaskSample> listed = new LinkedHashMap<>();
            for (TaskSample s : samples(cell)) listed.put(s.id(), s);
            return listed;
        });
        List<String> missing = ids.stream().filter(id -> !byId.containsKey(id)).distinct().toList();
        if (!missing.isEmpty()) {
            for (TaskSample s : TaskRegistry.task(cell.task()).samplesById(source(cell.model()), cell, missing)) byId.put(s.id(), s);
        }
        List<TaskSample> out = new ArrayList<>();
        for (String id : ids) {
            TaskSample s = byId.get(id);
            if (s == null) throw new IllegalArgumentException("task " + cell.task() + " has no sample '" + id + "'");
            out.add(s);
        }
        return out;
    }

    @Override
    public List<String> sampleIds(Cell cell, int limit) {
        List<TaskSample> listed = samples(cell);
        // A limit past "all" asks the task itself, for tasks that generate more samples than they list by default.
        if (limit > listed.size()) listed = TaskRegistry.task(cell.task()).samples(source(cell.model()), cell, limit);
        List<String> ids = new ArrayList<>();
        for (TaskSample s : listed) {
            if (limit > 0 && ids.size() == limit) break;
            ids.add(s.id());
        }
        return ids;
    }
}
