package io.vecinfer.eval.task;

import io.vecinfer.decoder.Sequence;
import io.vecinfer.decoder.TokenScores;
import io.vecinfer.kvcache.Prefill;
import io.vecinfer.kvcache.SequenceCache;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Perplexity on held-out text (datasets/heldout): the documents joined by blank lines, tokenized once,
 * cut into consecutive windows of contextLength tokens (default 2048), each scored after a BOS token,
 * every token predicted through the cell's KV cache. This is exactly the training log's protocol, so
 * fp16 perplexity here reproduces the logged value.
 */
public final class PerplexityTask implements EvalTask {
    static final int DEFAULT_WINDOW = 2048;

    @Override
    public String name() {
        return "perplexity";
    }

    @Override
    public String metric() {
        return "nll";
    }

    @Override
    public Prefill defaultPrefill() {
        return Prefill.COMPRESSED;
    }

    @Override
    public String description() {
        return "held-out text in windows of context_length tokens (default 2048) after BOS; scores mean nll per token and ppl";
    }

    @Override
    public List<String> datasetFiles() {
        return List.of(TaskData.HELDOUT);
    }

    @Override
    public List<TaskSample> samples(SampleSource source, Cell cell, int limit) {
        int window = cell.contextLength() > 0 ? cell.contextLength() : DEFAULT_WINDOW;
        return TaskData.heldoutWindows(source, "perplexity", "heldout", window, limit, 0);
    }

    @Override
    public <C extends SequenceCache> List<SampleResult> run(TaskContext<C> context, Cell cell, List<TaskSample> batch) {
        List<SampleResult> results = new ArrayList<>();
        for (TaskSample sample : batch) {
            try (Sequence<C> sequence = context.newSequence()) {
                long t0 = System.nanoTime();
                // Only each token's log-probability of its successor leaves the backend, not rows × vocabulary logits.
                TokenScores scores = context.decoder().scoreAll(List.of(sequence), List.of(sample.prompt()),
                        List.of(TokenScores.nextTokens(sample.prompt())));
                double millis = (System.nanoTime() - t0) / 1e6;
                double nll = 0;
                int predicted = sample.prompt().length - 1;
                for (int t = 0; t < predicted; t++) nll -= scores.targetLogProbs()[t];
                double mean = nll / predicted;
                results.add(TaskResults.of(context, sample, Map.of("nll", mean, "ppl", Math.exp(mean), "tokens", (double) predicted),
                        null, null, millis, 0, 0, sequence));
            }
        }
        return results;
    }
}
