package io.vecinfer.eval.task;

import java.util.Map;

/**
 * What one sample of one cell produced: its scores (metric name to value; a task may report several,
 * e.g. perplexity's nll and tokens), what was generated, how long it took and how much memory it held at most, on which backend.
 * On the CPU backend the memory is the JVM's peak heap use (the device is the host). {@code contextBucket} is
 * {@link io.vecinfer.eval.metrics.LengthBucket}'s label of the sample's length in words, for every task.
 *
 * <p>{@code deviceBatch} is the number of samples of the batch the runner handed the task with this one, and
 * {@code batchMillis} that whole batch's wall time (so a batch's samples per second is deviceBatch / batchMillis
 * × 1000); both are 0 where a runner does not report them. Tasks build results without them
 * ({@link #SampleResult(String, Map, String, String, int, String, double, double, int, long, double, double, long, String, String)});
 * the runner adds them ({@link #inBatch}).
 */
public record SampleResult(
        String sampleId,
        Map<String, Double> scores,
        String prediction,
        String reference,
        int contextTokens,
        String contextBucket,
        double prefillMillis,
        double decodeMillisPerToken,
        int generatedTokens,
        long kvBytes,
        double kvBytesPerToken,
        double compressionRatio,
        long peakMemoryBytes,
        String backend,
        String device,
        int deviceBatch,
        double batchMillis) {

    /** A result without its batch, as a task builds it. */
    public SampleResult(String sampleId, Map<String, Double> scores, String prediction, String reference, int contextTokens,
                        String contextBucket, double prefillMillis, double decodeMillisPerToken, int generatedTokens, long kvBytes,
                        double kvBytesPerToken, double compressionRatio, long peakMemoryBytes, String backend, String device) {
        this(sampleId, scores, prediction, reference, contextTokens, contextBucket, prefillMillis, decodeMillisPerToken, generatedTokens,
                kvBytes, kvBytesPerToken, compressionRatio, peakMemoryBytes, backend, device, 0, 0);
    }

    /** This result as one of a batch of {@code samples} that took {@code millis} in all. */
    public SampleResult inBatch(int samples, double millis) {
        return new SampleResult(sampleId, scores, prediction, reference, contextTokens, contextBucket, prefillMillis, decodeMillisPerToken,
                generatedTokens, kvBytes, kvBytesPerToken, compressionRatio, peakMemoryBytes, backend, device, samples, millis);
    }
}
