package io.vecinfer.eval.metrics;

import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * lm-evaluation-harness's gsm8k {@code exact_match}: both the extracted answer and the target (the
 * dataset's whole {@code answer} field) go through its {@code regexes_to_ignore}, in order, then
 * lower case ({@code ignore_case}), and must then be equal.
 */
public final class Gsm8kMatch {

    // UNIX_LINES: Python's '$' matches before a final "\n" only, not before "\r" or "\u2028".
    private static final List<Pattern> REGEXES_TO_IGNORE = List.of(
            Pattern.compile(","),
            Pattern.compile("\\$"),
            Pattern.compile("(?s).*#### "),
            Pattern.compile("\\.$", Pattern.UNIX_LINES));

    private Gsm8kMatch() {}

    public static boolean exactMatch(String extracted, String answerField) {
        return normalize(extracted).equals(normalize(answerField));
    }

    /** "$1,234." becomes "1234"; a worked solution "...#### 72" becomes "72". */
    public static String normalize(String text) {
        String normalized = text;
        for (Pattern ignored : REGEXES_TO_IGNORE) {
            normalized = ignored.matcher(normalized).replaceAll("");
        }
        return normalized.toLowerCase(Locale.ROOT);
    }
}
