package io.vecinfer.eval.task;

import io.vecinfer.decoder.Sequence;
import io.vecinfer.kvcache.SequenceCache;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * What the generation tasks share: a batch of prompts prefilled together through the cell's caches, the
 * end of the prompt marked (where {@code prefill=exact} encodes it), then greedy decoding of the still
 * active samples together until each reaches its maximum of new tokens, an end-of-sequence token, or the
 * task's stop rule; each sample is then scored on its text.
 */
final class GreedyGeneration {
    /** End-of-turn markers of chat checkpoints, besides the config's eos_token_id. */
    private static final List<String> END_TOKENS = List.of("<|eot_id|>", "<|end_of_text|>", "<|im_end|>", "</s>");

    /** Where a task stops reading a generation (GSM8K stops at the next "Question:"). */
    @FunctionalInterface
    interface StopRule {
        StopRule NONE = text -> -1;

        /** The length of {@code text} to keep when it has reached the stop, else -1. */
        int cut(String text);
    }

    private GreedyGeneration() {
    }

    static <C extends SequenceCache> List<SampleResult> run(TaskContext<C> context, List<TaskSample> batch, StopRule stop,
                                                            BiFunction<TaskSample, String, Map<String, Double>> score) {
        List<Sequence<C>> sequences = new ArrayList<>();
        for (int i = 0; i < batch.size(); i++) sequences.add(context.newSequence());
        try {
            return run(context, batch, stop, score, sequences);
        } finally {
            Sequence.closeAll(sequences);
        }
    }

    private static <C extends SequenceCache> List<SampleResult> run(TaskContext<C> context, List<TaskSample> batch, StopRule stop,
                                                                    BiFunction<TaskSample, String, Map<String, Double>> score,
                                                                    List<Sequence<C>> sequences) {
        var decoder = context.decoder();
        var tokenizer = context.tokenizer();
        int[] ends = endTokens(context);
        int n = batch.size();
        int[][] generated = new int[n][];
        int[] produced = new int[n];
        String[] texts = new String[n];
        for (int i = 0; i < n; i++) {
            generated[i] = new int[batch.get(i).maxNewTokens()];
            texts[i] = "";
        }

        long t0 = System.nanoTime();
        int[] next = decoder.greedyLast(sequences, batch.stream().map(TaskSample::prompt).toList());
        sequences.forEach(Sequence::endPrompt);
        double prefillMillis = (System.nanoTime() - t0) / 1e6;

        long t1 = System.nanoTime();
        int steps = 0;
        List<Integer> active = new ArrayList<>();
        for (int i = 0; i < n; i++) if (generated[i].length > 0) active.add(i);
        while (!active.isEmpty()) {
            List<Integer> still = new ArrayList<>();
            for (int a = 0; a < active.size(); a++) {
                int i = active.get(a), token = next[a];
                if (contains(ends, token)) continue;
                generated[i][produced[i]++] = token;
                texts[i] = tokenizer.decode(Arrays.copyOf(generated[i], produced[i]));
                int cut = stop.cut(texts[i]);
                if (cut >= 0) texts[i] = texts[i].substring(0, cut);
                else if (produced[i] < generated[i].length) still.add(i);
            }
            if (still.isEmpty()) break;
            List<Sequence<C>> stepSequences = new ArrayList<>();
            List<int[]> stepTokens = new ArrayList<>();
            for (int i : still) {
                stepSequences.add(sequences.get(i));
                stepTokens.add(new int[]{generated[i][produced[i] - 1]});
            }
            next = decoder.greedyLast(stepSequences, stepTokens);
            steps++;
            active = still;
        }
        double decodePerToken = steps == 0 ? 0 : (System.nanoTime() - t1) / 1e6 / steps;

        List<SampleResult> results = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            TaskSample sample = batch.get(i);
            results.add(TaskResults.of(context, sample, score.apply(sample, texts[i]), texts[i], sample.answer(),
                    prefillMillis, decodePerToken, produced[i], sequences.get(i)));
        }
        return results;
    }

    private static int[] endTokens(TaskContext<?> context) {
        List<Integer> ids = new ArrayList<>(List.of(context.model().config().eosTokenId()));
        for (String t : END_TOKENS) context.tokenizer().tokenId(t).ifPresent(ids::add);
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    private static boolean contains(int[] ids, int id) {
        for (int x : ids) if (x == id) return true;
        return false;
    }
}
