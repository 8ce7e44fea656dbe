package io.vecinfer.eval.task;

import java.util.Map;

/**
 * What one sample of one cell produced: its scores (metric name to value; a task may report several,
 * e.g. perplexity's nll and tokens), what was generated, how long it took and how much memory it held at most, on which backend.
 * On the CPU backend the memory is the JVM's peak heap use (the device is the host). {@code contextBucket} is
 * {@link io.vecinfer.eval.metrics.LengthBucket}'s label of the sample's length in words, for every task.
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
        String device) {
}
