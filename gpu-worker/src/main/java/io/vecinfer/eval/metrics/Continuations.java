package io.vecinfer.eval.metrics;

/** Greedy-continuation agreement between the reference and the compressed-cache model. */
public final class Continuations {

    private Continuations() {}

    /**
     * Whether the first n tokens agree. A sequence that ended (EOS) before n counts with the tokens
     * it has, so two continuations that stop at the same place still match.
     */
    public static boolean exactMatch(int[] reference, int[] test, int n) {
        if (n < 0) {
            throw new IllegalArgumentException("negative token count " + n);
        }
        int referenceLength = Math.min(reference.length, n);
        int testLength = Math.min(test.length, n);
        return referenceLength == testLength && commonPrefixLength(reference, test) >= referenceLength;
    }

    /** How many leading tokens agree: where the two greedy decodes diverge. */
    public static int commonPrefixLength(int[] reference, int[] test) {
        int shorter = Math.min(reference.length, test.length);
        int i = 0;
        while (i < shorter && reference[i] == test[i]) {
            i++;
        }
        return i;
    }
}
