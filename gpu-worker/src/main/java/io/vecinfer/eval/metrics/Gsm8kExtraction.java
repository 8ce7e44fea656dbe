package io.vecinfer.eval.metrics;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * lm-evaluation-harness's two answer filters for gsm8k: a regex filter followed by take_first (of
 * the repeats; one response here). Which regex match is used differs: strict-match takes the first
 * "#### N", flexible-extract the last number-like run anywhere in the response.
 */
public enum Gsm8kExtraction {
    STRICT_MATCH("strict-match", "#### (\\-?[0-9\\.\\,]+)", false),
    FLEXIBLE_EXTRACT("flexible-extract", "(-?[$0-9.,]{2,})|(-?[0-9]+)", true);

    /** What the harness's regex filter returns when nothing matches; it never equals a target. */
    public static final String INVALID = "[invalid]";

    private final String filterName;
    private final Pattern pattern;
    private final boolean takesLastMatch;

    Gsm8kExtraction(String filterName, String regex, boolean takesLastMatch) {
        this.filterName = filterName;
        this.pattern = Pattern.compile(regex);
        this.takesLastMatch = takesLastMatch;
    }

    /** The harness's name for the filter, as in its results table. */
    public String filterName() {
        return filterName;
    }

    public String extract(String response) {
        List<String> matches = findAll(response);
        if (matches.isEmpty()) {
            return INVALID;
        }
        String match = matches.get(takesLastMatch ? matches.size() - 1 : 0);
        return match == null ? INVALID : PyStrings.strip(match);
    }

    /**
     * Python's {@code re.findall}: per match the single group, or for several groups the first
     * non-empty one (null when all are empty, which the harness turns into its fallback).
     */
    private List<String> findAll(String response) {
        List<String> matches = new ArrayList<>();
        Matcher matcher = pattern.matcher(response);
        while (matcher.find()) {
            matches.add(switch (matcher.groupCount()) {
                case 0 -> matcher.group();
                case 1 -> matcher.group(1) == null ? "" : matcher.group(1);
                default -> firstNonEmptyGroup(matcher);
            });
        }
        return matches;
    }

    private static String firstNonEmptyGroup(Matcher matcher) {
        for (int group = 1; group <= matcher.groupCount(); group++) {
            String text = matcher.group(group);
            if (text != null && !text.isEmpty()) {
                return text;
            }
        }
        return null;
    }
}
