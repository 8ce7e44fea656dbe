package io.vecinfer.eval.task;

import java.util.List;

/**
 * One prompt of a task: its token ids, the answer it is scored against, and how long it may generate.
 *
 * @param answer     what the row's reference column shows (null for label-free tasks)
 * @param references every string the scorer accepts or requires (RULER's outputs, LongBench's answers);
 *                   {@code [answer]} for single-answer tasks
 */
public record TaskSample(String id, int[] prompt, String answer, int maxNewTokens, List<String> references) {

    public TaskSample {
        references = List.copyOf(references);
    }

    public TaskSample(String id, int[] prompt, String answer, int maxNewTokens) {
        this(id, prompt, answer, maxNewTokens, answer == null ? List.of() : List.of(answer));
    }
}
