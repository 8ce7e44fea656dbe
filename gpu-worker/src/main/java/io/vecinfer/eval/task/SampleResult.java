package io.vecinfer.eval.task;

import java.util.Map;

/**
 * What one sample of one cell produced: its scores (metric name to value; a task may report several,
 * e.g. perplexity's nll and tokens), what was generated, and how long it took on which backend.
 */
public record SampleResult(
        String sampleId,
        Map<String, Double> scores,
        String prediction,
        String reference,
        int contextTokens,
        double prefillMillis,
        double decodeMillisPerToken,
        int generatedTokens,
        long kvBytes,
        double kvBytesPerToken,
        double compressionRatio,
        String backend,
        String device) {
}
