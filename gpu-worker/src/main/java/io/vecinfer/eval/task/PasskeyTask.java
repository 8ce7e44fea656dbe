package io.vecinfer.eval.task;

import io.vecinfer.dataset.Datasets;
import io.vecinfer.decoder.Generator;
import io.vecinfer.decoder.Sequence;
import io.vecinfer.eval.data.PasskeyRecord;
import io.vecinfer.kvcache.Prefill;
import io.vecinfer.kvcache.SequenceCache;
import io.vecinfer.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Passkey retrieval over context length × needle depth (datasets/passkey). The prompt is BOS, the
 * haystack cut to fit, the needle inserted at round(depth × haystack tokens), then the question; six
 * greedy tokens follow, and the sample scores 1 when their text, stripped, starts with the key.
 * {@code inputs.chat = "template"} puts the prompt's tokens (BOS aside) inside the checkpoint's chat template.
 */
public final class PasskeyTask implements EvalTask {
    private static final int NEW_TOKENS = 6;

    @Override
    public String name() {
        return "passkey";
    }

    @Override
    public String metric() {
        return "accuracy";
    }

    @Override
    public Prefill defaultPrefill() {
        return Prefill.EXACT;
    }

    @Override
    public String description() {
        return "5-digit key planted in held-out text at a depth; context_length selects the haystack size (0 = all);"
                + " greedy 6 tokens; exact match of the key";
    }

    @Override
    public List<String> datasetFiles() {
        return List.of(TaskData.PASSKEY);
    }

    /** The one assembly of a passkey prompt; the training script mirrors it in Python. */
    public static int[] prompt(Tokenizer tokenizer, int bos, PasskeyRecord r) {
        int[] needle = tokenizer.encode(" " + r.needle());
        int[] question = tokenizer.encode("\n" + r.question());
        int haystackTokens = r.contextTokens() - 1 - needle.length - question.length;
        int[] haystack = tokenizer.encode(r.haystack());
        if (haystack.length < haystackTokens) {
            throw new IllegalArgumentException("passkey sample " + r.id() + ": haystack has " + haystack.length
                    + " tokens, needs " + haystackTokens);
        }
        int at = (int) Math.round(r.depth() * haystackTokens);
        int[] prompt = new int[r.contextTokens()];
        int i = 0;
        prompt[i++] = bos;
        for (int t = 0; t < at; t++) prompt[i++] = haystack[t];
        for (int t : needle) prompt[i++] = t;
        for (int t = at; t < haystackTokens; t++) prompt[i++] = haystack[t];
        for (int t : question) prompt[i++] = t;
        return prompt;
    }

    @Override
    public List<TaskSample> samples(SampleSource source, Cell cell, int limit) {
        List<TaskSample> samples = new ArrayList<>();
        ChatPrompts format = ChatPrompts.of(source, cell);
        for (PasskeyRecord r : TaskData.passkeys(Datasets.passkey(source.datasets()))) {
            if (cell.contextLength() > 0 && r.contextTokens() != cell.contextLength()) continue;
            int[] prompt = format.wrap(prompt(source.tokenizer(), source.bosId(), r));
            if (prompt.length + NEW_TOKENS > source.config().contextLength()) {
                throw new IllegalArgumentException("passkey sample " + r.id() + ": " + prompt.length + " tokens + "
                        + NEW_TOKENS + " generated do not fit " + source.modelName() + "'s context of "
                        + source.config().contextLength());
            }
            samples.add(new TaskSample(r.id(), prompt, r.answer(), NEW_TOKENS));
            if (limit > 0 && samples.size() == limit) break;
        }
        if (samples.isEmpty()) {
            throw new IllegalArgumentException("passkey: no sample has context_tokens " + cell.contextLength());
        }
        return samples;
    }

    @Override
    public <C extends SequenceCache> List<SampleResult> run(TaskContext<C> context, Cell cell, List<TaskSample> batch) {
        List<Sequence<C>> sequences = new ArrayList<>();
        for (int i = 0; i < batch.size(); i++) sequences.add(context.newSequence());
        try {
            return run(context, batch, sequences);
        } finally {
            Sequence.closeAll(sequences);
        }
    }

    private <C extends SequenceCache> List<SampleResult> run(TaskContext<C> context, List<TaskSample> batch, List<Sequence<C>> sequences) {
        var decoder = context.decoder();
        long t0 = System.nanoTime();
        int[] first = decoder.greedyLast(sequences, batch.stream().map(TaskSample::prompt).toList());
        sequences.forEach(Sequence::endPrompt);
        double prefill = (System.nanoTime() - t0) / 1e6;
        long t1 = System.nanoTime();
        int[][] generated = Generator.continueGreedy(decoder, sequences, first, NEW_TOKENS);
        double decodePerToken = (System.nanoTime() - t1) / 1e6 / (NEW_TOKENS - 1);
        List<SampleResult> results = new ArrayList<>();
        for (int i = 0; i < batch.size(); i++) {
            String text = context.tokenizer().decode(generated[i]);
            double correct = text.strip().startsWith(batch.get(i).answer()) ? 1 : 0;
            results.add(TaskResults.of(context, batch.get(i), Map.of("accuracy", correct), text, batch.get(i).answer(),
                    prefill, decodePerToken, NEW_TOKENS, sequences.get(i)));
        }
        return results;
    }

}
