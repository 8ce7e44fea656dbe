package io.vecinfer.eval.metrics;

/** LongBench's {@code code_sim_score} (lcc, repobench-p): edit similarity of the first code line. */
public final class CodeSimilarity {

    private CodeSimilarity() {}

    public static double score(String prediction, String groundTruth) {
        return FuzzRatio.ratio(firstCodeLine(prediction), groundTruth) / 100.0;
    }

    /**
     * The first line that contains none of '`', '#', "//" anywhere (not only at its start: LongBench
     * tests containment, so a code line with a trailing comment is skipped too); "" if there is none.
     * Models often open with a markdown fence or a comment, which would otherwise be scored.
     */
    static String firstCodeLine(String prediction) {
        for (String line : PyStrings.stripLeadingNewlines(prediction).split("\n", -1)) {
            if (!line.contains("`") && !line.contains("#") && !line.contains("//")) {
                return line;
            }
        }
        return "";
    }
}
