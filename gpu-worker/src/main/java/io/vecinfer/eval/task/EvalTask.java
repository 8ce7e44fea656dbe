package io.vecinfer.eval.task;

import io.vecinfer.kvcache.Prefill;
import io.vecinfer.kvcache.SequenceCache;

import java.util.List;

/**
 * A task: where its data comes from, how a prompt is built, how it generates and what it scores.
 * Samples have stable ids, in a fixed order, so that a resumed sweep knows what it already has.
 */
public interface EvalTask {

    String name();

    /** The score every sample reports under this name (the task's primary metric). */
    String metric();

    /**
     * The prefill of a cell that names none: {@code EXACT} for tasks that generate after a prompt, as
     * deployments run; {@code COMPRESSED} for tasks that score every prompt position through the cache.
     */
    Prefill defaultPrefill();

    /** One line for docs and --help: data, prompt format, generation, metric. */
    String description();

    /**
     * The files under the datasets folder that this task's samples are built from, relative to it: part
     * of what a result depends on, so a changed file makes the task's cells new cells. None by default: a
     * task on a user's files gets them through the cell's inputs, which the cell's identity hashes by content.
     */
    default List<String> datasetFiles() {
        return List.of();
    }

    /**
     * The samples for a cell, at most {@code limit} (0 = all), built with the cell's model tokenizer. They
     * need no weights, so that a Spark driver can list them without loading a model.
     */
    List<TaskSample> samples(SampleSource source, Cell cell, int limit);

    /**
     * The samples of these ids, for a task whose samples are generated per index and whose limit may reach past
     * what "all" lists (an executor then builds the samples it was given without listing them all): those of the
     * ids it knows, in their order. None by default: a sample outside {@code samples(source, cell, 0)} does not exist.
     */
    default List<TaskSample> samplesById(SampleSource source, Cell cell, List<String> ids) {
        return List.of();
    }

    /** Runs a batch of samples of one cell, on the context's backend (whatever its caches are). */
    <C extends SequenceCache> List<SampleResult> run(TaskContext<C> context, Cell cell, List<TaskSample> batch);
}
