package io.vecinfer.eval.metrics;

/**
 * fuzzywuzzy's {@code fuzz.ratio} in its pure-Python form: 100 × difflib ratio, rounded half to
 * even as Python's {@code round} does. (With python-Levenshtein installed fuzzywuzzy swaps in an
 * edit-distance ratio instead; LongBench's requirements do not install it.)
 */
public final class FuzzRatio {

    private FuzzRatio() {}

    public static int ratio(String s1, String s2) {
        // fuzzywuzzy's decorators: equal strings first (so "" vs "" is 100), then any empty one is 0.
        if (s1.equals(s2)) {
            return 100;
        }
        if (s1.isEmpty() || s2.isEmpty()) {
            return 0;
        }
        return (int) Math.rint(100 * new SequenceMatcher(s1, s2).ratio());
    }
}
