package io.vecinfer.eval.task;

import io.vecinfer.dataset.Datasets;
import io.vecinfer.model.Model;
import io.vecinfer.model.ModelConfig;
import io.vecinfer.tokenizer.Tokenizer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
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
        String key = cell.model() + "|" + cell.task() + "|" + cell.contextLength() + "|" + cell.inputs();
        return samples.computeIfAbsent(key, k -> TaskRegistry.task(cell.task()).samples(source(cell.model()), cell, 0));
    }

    /**
     * The cell's sample of that id: one of {@link #samples(Cell)}, or one its task builds by id past them (a
     * limit larger than "all", listed by a driver and run here).
     */
    public TaskSample sample(Cell cell, String id) {
        for (TaskSample s : samples(cell)) {
            if (s.id().equals(id)) return s;
        }
        return TaskRegistry.task(cell.task()).sample(source(cell.model()), cell, id)
                .orElseThrow(() -> new IllegalArgumentException("task " + cell.task() + " has no sample '" + id + "'"));
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
