package io.vecinfer.eval.metrics;

import java.util.ArrayList;
import java.util.List;

/**
 * LongBench's {@code classification_score} (trec): 1/k if the true class is among the k class names
 * found in the prediction, else 0.
 *
 * <p>Two quirks of the reference are kept so that scores agree. A class that is a substring of the
 * true class (but not equal to it) is dropped from the matches, but the reference removes from the
 * list while iterating over it, so the match right after a dropped one escapes the check. And its
 * difflib fallback for "no class found" is unreachable (it tests {@code list != 0}), so no match
 * simply scores 0.
 */
public final class Classification {

    private Classification() {}

    public static double score(String prediction, String groundTruth, List<String> allClasses) {
        List<String> matches = new ArrayList<>();
        for (String className : allClasses) {
            if (prediction.contains(className)) {
                matches.add(className);
            }
        }
        // Python's list iterator walks by index, so removing shifts the next element under it.
        for (int index = 0; index < matches.size(); ) {
            String match = matches.get(index++);
            if (groundTruth.contains(match) && !match.equals(groundTruth)) {
                matches.remove(match);
            }
        }
        return matches.contains(groundTruth) ? 1.0 / matches.size() : 0.0;
    }
}
