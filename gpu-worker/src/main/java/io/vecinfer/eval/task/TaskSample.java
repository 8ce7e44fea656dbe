package io.vecinfer.eval.task;

/** One prompt of a task: its token ids, the answer it is scored against, and how long it may generate. */
public record TaskSample(String id, int[] prompt, String answer, int maxNewTokens) {
}
