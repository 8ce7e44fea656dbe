package io.vecinfer.eval.task;

import io.vecinfer.kvcache.Prefill;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * One cell of a sweep: a model, a KV-cache method and a task, with the settings that change results.
 * Everything that determines a sample's scores is here, so a hash of it names the cell's output.
 *
 * @param model          checkpoint folder (Hugging Face layout)
 * @param method         KV-cache method spec, e.g. {@code fp16} or {@code vecinfer:k=d4b8,v=d4b8,r=128}
 * @param codebook       codebook file for VQ methods, or null to calibrate on demand / for methods without one
 * @param task           task name from {@link TaskRegistry}
 * @param contextLength  tokens of context per sample (task-specific meaning; 0 = the task's default)
 * @param batchSize      sequences decoded together: a {@link BatchSize} code, {@link BatchSize#AUTO_CODE} for as many as fit
 * @param seed           sampling and any randomised choice
 * @param prefill        when the cache starts compressing (see {@link Prefill})
 * @param inputs         the user's files and options a task reads, by name (longbench: file; gsm8k: file, trainFile,
 *                       shots; generation tasks: chat = template, see {@link ChatPrompts}); empty for tasks on shipped data. Sorted, so that the cell's JSON is canonical.
 */
public record Cell(String model, String method, String codebook, String task, int contextLength, int batchSize, long seed,
                   Prefill prefill, Map<String, String> inputs) {

    public Cell {
        if (prefill == null) throw new IllegalArgumentException("cell of task '" + task + "': prefill is missing (exact or compressed)");
        BatchSize.of(batchSize); // refuses a negative one
        inputs = Collections.unmodifiableMap(new TreeMap<>(inputs == null ? Map.of() : inputs));
    }

    public Cell(String model, String method, String codebook, String task, int contextLength, int batchSize, long seed,
                Prefill prefill) {
        this(model, method, codebook, task, contextLength, batchSize, seed, prefill, Map.of());
    }

    /** A cell with its task's default prefill ({@link EvalTask#defaultPrefill()}). */
    public Cell(String model, String method, String codebook, String task, int contextLength, int batchSize, long seed) {
        this(model, method, codebook, task, contextLength, batchSize, seed, TaskRegistry.task(task).defaultPrefill());
    }

    /** The requested batch: fixed, or auto. */
    public BatchSize batch() {
        return BatchSize.of(batchSize);
    }

    public Cell withCodebook(String newCodebook) {
        return new Cell(model, method, newCodebook, task, contextLength, batchSize, seed, prefill, inputs);
    }
}
