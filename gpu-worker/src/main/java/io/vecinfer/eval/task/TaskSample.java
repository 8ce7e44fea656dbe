package io.vecinfer.eval.task;

import java.util.List;

/**
 * One prompt of a task: its token ids, the answer it is scored against, and how long it may generate.
 *
 * @param answer     what the row's reference column shows (null for label-free tasks)
 * @param references every string the scorer accepts or requires (RULER's outputs, LongBench's answers);
 *                   {@code [answer]} for single-answer tasks
 * @param contextWords the sample's length as LongBench counts it (its records' {@code length}: words of the
 *                   context), which {@link io.vecinfer.eval.metrics.LengthBucket} buckets; 0 = the words of
 *                   the decoded prompt
 * @param classes    the label set of a classification sample (LongBench's all_classes), else null
 */
public record TaskSample(String id, int[] prompt, String answer, int maxNewTokens, List<String> references, int contextWords,
                         List<String> classes) {

    public TaskSample {
        references = List.copyOf(references);
        classes = classes == null ? null : List.copyOf(classes);
    }

    public TaskSample(String id, int[] prompt, String answer, int maxNewTokens, List<String> references) {
        this(id, prompt, answer, maxNewTokens, references, 0, null);
    }

    public TaskSample(String id, int[] prompt, String answer, int maxNewTokens) {
        this(id, prompt, answer, maxNewTokens, answer == null ? List.of() : List.of(answer));
    }
}
