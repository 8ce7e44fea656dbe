package io.vecinfer.eval.task;

/**
 * One cell of a sweep: a model, a KV-cache method and a task, with the settings that change results.
 * Everything that determines a sample's scores is here, so a hash of it names the cell's output.
 *
 * @param model          checkpoint folder (Hugging Face layout)
 * @param method         KV-cache method spec, e.g. {@code fp16} or {@code vecinfer:k=d4b8,v=d4b8,r=128}
 * @param codebook       codebook file for VQ methods, or null to calibrate on demand / for methods without one
 * @param task           task name from {@link TaskRegistry}
 * @param contextLength  tokens of context per sample (task-specific meaning; 0 = the task's default)
 * @param batchSize      sequences decoded together
 * @param seed           sampling and any randomised choice
 */
public record Cell(String model, String method, String codebook, String task, int contextLength, int batchSize, long seed) {
}
