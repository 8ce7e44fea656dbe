package io.vecinfer.eval.task;

import io.vecinfer.decoder.Sequence;
import io.vecinfer.eval.metrics.LengthBucket;
import io.vecinfer.kvcache.SequenceCache;

import java.util.Map;

/** Builds a {@link SampleResult} with the cache accounting every task reports the same way. */
final class TaskResults {
    private TaskResults() {
    }

    static SampleResult of(TaskContext<?> context, TaskSample sample, Map<String, Double> scores, String prediction,
                           String reference, double prefillMillis, double decodeMillisPerToken, int generated,
                           Sequence<?> sequence) {
        SequenceCache cache = sequence.cache();
        int tokens = cache.length(0);
        long bytes = cache.storedBytes();
        double perToken = tokens == 0 ? 0 : (double) bytes / tokens;
        double fp16PerToken = 2.0 * 2 * cache.layout().tokenWidth() * cache.layout().layers();
        int words = sample.contextWords() > 0 ? sample.contextWords() : LengthBucket.words(context.tokenizer().decode(sample.prompt()));
        return new SampleResult(sample.id(), Map.copyOf(scores), prediction, reference, sample.prompt().length,
                LengthBucket.of(words).label(),
                prefillMillis, decodeMillisPerToken, generated, bytes, perToken,
                perToken == 0 ? 0 : fp16PerToken / perToken, context.backend().peakMemoryBytes(), context.backend().name(),
                context.backend().device());
    }
}
