package io.vecinfer.eval.task;

import io.vecinfer.eval.data.Gsm8kRecord;
import io.vecinfer.eval.metrics.Gsm8kExtraction;
import io.vecinfer.eval.metrics.Gsm8kMatch;
import io.vecinfer.kvcache.Prefill;
import io.vecinfer.kvcache.SequenceCache;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * GSM8K as lm-evaluation-harness's {@code gsm8k} runs it, on the user's files: the test problems of
 * {@code inputs.file}; {@code inputs.shots} worked examples (default 5) from the first records of
 * {@code inputs.trainFile} (the harness's first_n sampler), each "Question: q\nAnswer: a", joined by blank
 * lines, then "Question: q\nAnswer:"; greedy up to 256 tokens, stopped at the next "Question:"; scored by
 * strict-match and flexible-extract exact match. {@code inputs.chat = "template"} sends the whole n-shot
 * prompt as one user turn in the checkpoint's chat template (the harness's apply_chat_template without
 * fewshot_as_multiturn).
 */
final class Gsm8kTask implements EvalTask {
    static final int MAX_NEW_TOKENS = 256, DEFAULT_SHOTS = 5;
    private static final String STOP = "Question:";

    @Override
    public String name() {
        return "gsm8k";
    }

    @Override
    public String metric() {
        return "exact_match_strict";
    }

    @Override
    public Prefill defaultPrefill() {
        return Prefill.EXACT;
    }

    @Override
    public String description() {
        return "GSM8K-format .jsonl (inputs.file) with n-shot examples from inputs.trainFile (inputs.shots, default 5);"
                + " greedy 256 tokens stopped at 'Question:'; strict and flexible exact match";
    }

    /** The n-shot prompt text before BOS, as the harness builds it. */
    static String prompt(List<Gsm8kRecord> shots, Gsm8kRecord problem) {
        StringBuilder text = new StringBuilder();
        for (Gsm8kRecord shot : shots) text.append("Question: ").append(shot.question()).append("\nAnswer: ").append(shot.answer()).append("\n\n");
        return text.append("Question: ").append(problem.question()).append("\nAnswer:").toString();
    }

    @Override
    public List<TaskSample> samples(SampleSource source, Cell cell, int limit) {
        TaskInputs inputs = new TaskInputs(cell, Set.of("file", "trainFile", "shots", ChatPrompts.INPUT));
        ChatPrompts format = ChatPrompts.of(source, cell);
        Path file = inputs.file("file", "GSM8K-format test .jsonl");
        int shots = inputs.integer("shots", inputs.has("trainFile") ? DEFAULT_SHOTS : 0);
        List<Gsm8kRecord> examples = List.of();
        if (shots > 0) {
            Path train = inputs.file("trainFile", "GSM8K-format .jsonl the " + shots + " examples come from");
            examples = load(train);
            if (examples.size() < shots) {
                throw new IllegalArgumentException(train + ": " + examples.size() + " records, fewer than the " + shots + " shots asked for");
            }
            examples = examples.subList(0, shots);
        }
        int modelContext = source.config().contextLength();
        int budget = cell.contextLength() > 0 ? cell.contextLength() : modelContext - MAX_NEW_TOKENS;
        List<Gsm8kRecord> problems = load(file);
        // The file's name in the id keeps samples of two test files apart when reports pair them by id.
        String idPrefix = "gsm8k/" + file.getFileName() + "-";
        List<TaskSample> samples = new ArrayList<>();
        for (int i = 0; i < problems.size() && (limit == 0 || samples.size() < limit); i++) {
            int[] prompt = format.ids(prompt(examples, problems.get(i)));
            if (prompt.length > budget || budget + MAX_NEW_TOKENS > modelContext) {
                throw new IllegalArgumentException(file + ", record " + (i + 1) + ": a " + shots + "-shot prompt of " + prompt.length
                        + " tokens (budget " + budget + ") plus " + MAX_NEW_TOKENS + " new tokens cannot fit " + source.modelName()
                        + "'s context of " + modelContext + " (GSM8K prompts are not truncated: use fewer shots)");
            }
            samples.add(new TaskSample(idPrefix + (i + 1), prompt, problems.get(i).answer(), MAX_NEW_TOKENS));
        }
        return samples;
    }

    private static List<Gsm8kRecord> load(Path file) {
        try {
            return Gsm8kRecord.load(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
    }

    /** The harness's "until": the text before the first "Question:". */
    static int stopAt(String text) {
        return text.indexOf(STOP);
    }

    @Override
    public <C extends SequenceCache> List<SampleResult> run(TaskContext<C> context, Cell cell, List<TaskSample> batch) {
        return GreedyGeneration.run(context, batch, Gsm8kTask::stopAt, (sample, text) -> Map.of(
                "exact_match_strict", match(Gsm8kExtraction.STRICT_MATCH, text, sample.answer()),
                "exact_match_flexible", match(Gsm8kExtraction.FLEXIBLE_EXTRACT, text, sample.answer())));
    }

    private static double match(Gsm8kExtraction extraction, String response, String answerField) {
        return Gsm8kMatch.exactMatch(extraction.extract(response), answerField) ? 1 : 0;
    }
}
