package io.vecinfer.eval.ruler;

import java.util.List;
import java.util.Locale;

/**
 * RULER's two string-match metrics (NVIDIA/RULER, scripts/eval/synthetic/constants.py), on a 0–1 scale
 * instead of RULER's 0–100: a reference counts when it occurs in the prediction, case-insensitively.
 */
public final class RulerScoring {
    private RulerScoring() {
    }

    /** The fraction of references found: every needle task, variable tracking, common words. */
    public static double stringMatchAll(String prediction, List<String> references) {
        if (references.isEmpty()) throw new IllegalArgumentException("string_match_all needs at least one reference");
        String lower = prediction.toLowerCase(Locale.ROOT);
        long found = references.stream().filter(r -> lower.contains(r.toLowerCase(Locale.ROOT))).count();
        return (double) found / references.size();
    }

    /** 1 when any reference is found (RULER's QA tasks). */
    public static double stringMatchPart(String prediction, List<String> references) {
        String lower = prediction.toLowerCase(Locale.ROOT);
        return references.stream().anyMatch(r -> lower.contains(r.toLowerCase(Locale.ROOT))) ? 1 : 0;
    }
}
