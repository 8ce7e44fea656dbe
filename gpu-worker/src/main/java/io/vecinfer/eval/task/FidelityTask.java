package io.vecinfer.eval.task;

import io.vecinfer.decoder.Generator;
import io.vecinfer.decoder.LogitComparison;
import io.vecinfer.decoder.Sequence;
import io.vecinfer.eval.metrics.Continuations;
import io.vecinfer.kvcache.Prefill;
import io.vecinfer.kvcache.SequenceCache;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Label-free fidelity against the fp16 cache on the same sample: held-out windows of contextLength
 * tokens (default 512) after BOS are run with both caches; next-token KL(fp16 ‖ method) and top-1
 * agreement are averaged over every prompt position, then both continue greedily for 16 tokens and
 * the continuations are compared (exact match of all 16, and the common prefix length).
 */
public final class FidelityTask implements EvalTask {
    private static final int DEFAULT_PROMPT = 512, CONTINUATION = 16;

    @Override
    public String name() {
        return "fidelity";
    }

    @Override
    public String metric() {
        return "kl";
    }

    @Override
    public Prefill defaultPrefill() {
        return Prefill.COMPRESSED;
    }

    @Override
    public String description() {
        return "held-out windows (default 512 tokens) run with the method and with fp16: mean next-token KL, top-1"
                + " agreement, exact match of 16 greedy tokens; prefill_ms covers both prefills, compared on the backend";
    }

    @Override
    public List<String> datasetFiles() {
        return List.of(TaskData.HELDOUT);
    }

    @Override
    public List<TaskSample> samples(SampleSource source, Cell cell, int limit) {
        int window = cell.contextLength() > 0 ? cell.contextLength() : DEFAULT_PROMPT;
        return TaskData.heldoutWindows(source, "fidelity", "fidelity", window, limit, CONTINUATION);
    }

    @Override
    public <C extends SequenceCache> List<SampleResult> run(TaskContext<C> context, Cell cell, List<TaskSample> batch) {
        List<int[]> prompts = batch.stream().map(TaskSample::prompt).toList();
        List<Sequence<C>> tested = new ArrayList<>(), reference = new ArrayList<>();
        for (int i = 0; i < batch.size(); i++) {
            tested.add(context.newSequence());
            reference.add(context.newReferenceSequence());
        }
        try {
            return run(context, batch, prompts, tested, reference);
        } finally {
            Sequence.closeAll(tested);
            Sequence.closeAll(reference);
        }
    }

    private <C extends SequenceCache> List<SampleResult> run(TaskContext<C> context, List<TaskSample> batch, List<int[]> prompts,
                                                             List<Sequence<C>> tested, List<Sequence<C>> reference) {
        var decoder = context.decoder();
        long t0 = System.nanoTime();
        // Both prefills, compared where the logits are: only KL and the two argmaxes per token leave the backend.
        LogitComparison comparison = decoder.compareAll(tested, reference, prompts);
        tested.forEach(Sequence::endPrompt); // after the reference pass too: it touches only the tested caches
        double prefill = (System.nanoTime() - t0) / 1e6;
        int[] testedLast = new int[batch.size()], referenceLast = new int[batch.size()];
        List<SampleResult> results = new ArrayList<>();
        int row = 0;
        double[] kl = new double[batch.size()], top1 = new double[batch.size()];
        for (int i = 0; i < batch.size(); i++) {
            int n = prompts.get(i).length;
            int agreements = 0;
            for (int t = 0; t < n; t++, row++) {
                kl[i] += comparison.kl()[row] / n;
                if (comparison.top1Agrees(row)) agreements++;
            }
            top1[i] = (double) agreements / n;
            testedLast[i] = comparison.testedArgmax()[row - 1];
            referenceLast[i] = comparison.referenceArgmax()[row - 1];
        }
        long t1 = System.nanoTime();
        int[][] testedTokens = Generator.continueGreedy(decoder, tested, testedLast, CONTINUATION);
        double decodePerToken = (System.nanoTime() - t1) / 1e6 / CONTINUATION;
        int[][] referenceTokens = Generator.continueGreedy(decoder, reference, referenceLast, CONTINUATION);
        for (int i = 0; i < batch.size(); i++) {
            Map<String, Double> scores = Map.of("kl", kl[i], "top1_agreement", top1[i],
                    "greedy_exact_match", Continuations.exactMatch(referenceTokens[i], testedTokens[i], CONTINUATION) ? 1.0 : 0.0,
                    "greedy_common_prefix", (double) Continuations.commonPrefixLength(referenceTokens[i], testedTokens[i]));
            results.add(TaskResults.of(context, batch.get(i), scores, context.tokenizer().decode(testedTokens[i]),
                    context.tokenizer().decode(referenceTokens[i]), prefill, decodePerToken, CONTINUATION, tested.get(i)));
        }
        return results;
    }
}
