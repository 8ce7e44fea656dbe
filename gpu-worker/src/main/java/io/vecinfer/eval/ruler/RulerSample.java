package io.vecinfer.eval.ruler;

import java.util.List;

/** A generated RULER prompt (token ids, BOS first) and the strings its answer must contain. */
public record RulerSample(String id, int[] prompt, List<String> references, int maxNewTokens) {
}
