package io.vecinfer.spark.report;

import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** What the report knows of the tasks' score names: which are counts rather than scores, and which way is better. */
final class Scores {
    /** Not a quality: the perplexity task's count of predicted tokens. */
    private static final Set<String> NOT_PLOTTED = Set.of("tokens");
    /** The scores of the tasks in TaskRegistry (perplexity, fidelity, passkey). */
    private static final Map<String, Boolean> HIGHER_IS_BETTER = Map.of(
            "nll", false, "ppl", false, "kl", false,
            "accuracy", true, "top1_agreement", true, "greedy_exact_match", true, "greedy_common_prefix", true);

    private Scores() {
    }

    static boolean plotted(String score) {
        return !NOT_PLOTTED.contains(score);
    }

    /** Empty for a score this report does not know: it is shown, but left out of the table's average. */
    static Optional<Boolean> higherIsBetter(String score) {
        return Optional.ofNullable(HIGHER_IS_BETTER.get(score));
    }
}
