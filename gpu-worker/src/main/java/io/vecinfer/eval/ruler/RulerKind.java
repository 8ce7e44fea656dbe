package io.vecinfer.eval.ruler;

/**
 * The RULER tasks we generate (Hsieh et al., "RULER: What's the Real Context Size of Your Long-Context
 * Language Models?", arXiv 2404.06654), each with the new tokens it may generate: enough for its answer
 * with a margin, fewer than RULER's 128 so that a CPU sweep stays short.
 */
public enum RulerKind {
    /** One needle "One of the special magic numbers for KEY is: VALUE." in the haystack; asked for its value. */
    NIAH_SINGLE("niah_single", 32),
    /** Four needles with distinct keys; asked for one key's value (the others distract). */
    NIAH_MULTIKEY("niah_multikey", 32),
    /** Four needles of one key with distinct values; asked for all of them. */
    NIAH_MULTIVALUE("niah_multivalue", 64),
    /** Four needles with distinct keys; asked for all four values. */
    NIAH_MULTIQUERY("niah_multiquery", 64),
    /** A chain "VAR A = n", "VAR B = VAR A", ... spread over the haystack; asked for every name holding n. */
    VARIABLE_TRACKING("vt", 32),
    /** A numbered list where ten words occur far more often than the rest; asked for those ten. */
    COMMON_WORDS("cwe", 120);

    private final String label;
    private final int maxNewTokens;

    RulerKind(String label, int maxNewTokens) {
        this.label = label;
        this.maxNewTokens = maxNewTokens;
    }

    /** RULER's short name, as task names use it ({@code ruler_niah_single}). */
    public String label() {
        return label;
    }

    public int maxNewTokens() {
        return maxNewTokens;
    }
}
