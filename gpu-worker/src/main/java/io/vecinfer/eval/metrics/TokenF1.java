package io.vecinfer.eval.metrics;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** LongBench's {@code qa_f1_score}: bag-of-tokens F1 between normalised prediction and answer. */
public final class TokenF1 {

    private TokenF1() {}

    public static double qaF1(String prediction, String groundTruth) {
        return f1(PyStrings.split(AnswerNormalizer.normalize(prediction)),
                PyStrings.split(AnswerNormalizer.normalize(groundTruth)));
    }

    /** F1 over token multisets: a token counts as often as it occurs in both (Counter intersection). */
    public static double f1(List<String> prediction, List<String> groundTruth) {
        Map<String, Integer> unmatched = new HashMap<>();
        for (String token : groundTruth) {
            unmatched.merge(token, 1, Integer::sum);
        }
        int same = 0;
        for (String token : prediction) {
            Integer left = unmatched.get(token);
            if (left != null && left > 0) {
                unmatched.put(token, left - 1);
                same++;
            }
        }
        if (same == 0) {
            return 0.0;
        }
        double precision = 1.0 * same / prediction.size();
        double recall = 1.0 * same / groundTruth.size();
        return (2 * precision * recall) / (precision + recall);
    }
}
