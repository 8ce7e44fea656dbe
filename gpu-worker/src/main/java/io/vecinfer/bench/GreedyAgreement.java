package io.vecinfer.bench;

/**
 * Where two greedy continuations from the same prompt must agree: the oracle's (the fp32 CPU decoder) and another
 * decoder's whose logits differ from the oracle's by at most {@code bound} per logit while both saw the same tokens.
 *
 * <p>Why: if at some step the oracle's top logit beats every other by more than 2·bound, the other decoder's top
 * logit is still ahead of every rival (each side moved by ≤ bound), so it picks the same token. The continuations
 * must therefore be identical up to the first <em>ambiguous</em> step, the first whose oracle top-two gap is
 * ≤ 2·bound; from that step on they may diverge legitimately (after a divergence the two decoders see different
 * tokens, and nothing more is claimed). The rule holds when there is no divergence, or the first divergence comes at
 * or after the first ambiguous step.
 *
 * <p>With the bound taken as the largest difference measured in the very same greedy steps, the rule cannot fail
 * for honest numbers (the diverging step's own difference already makes it ambiguous): it checks the bookkeeping.
 * With a bound measured elsewhere (the teacher-forced prompt positions) it is a prediction that can fail.
 *
 * @param firstDivergence the first step where the tokens differ, -1 if none
 * @param firstAmbiguous  the first step whose oracle gap is ≤ 2·bound, -1 if none
 * @param mustAgree       how many leading steps must be identical: firstAmbiguous, or all steps if none is ambiguous
 * @param holds           whether the continuations are identical over those steps
 */
public record GreedyAgreement(int steps, double bound, int firstDivergence, int firstAmbiguous, int mustAgree, boolean holds) {

    /**
     * @param oracle     the oracle's tokens, step by step
     * @param other      the other decoder's tokens, as many
     * @param oracleGaps the oracle's top logit minus its runner-up at each step
     * @param bound      max |logit difference| between the two while their inputs were the same; not NaN, ≥ 0
     */
    public static GreedyAgreement of(int[] oracle, int[] other, double[] oracleGaps, double bound) {
        if (oracle.length != other.length || oracle.length != oracleGaps.length) {
            throw new IllegalArgumentException("steps differ: " + oracle.length + " oracle tokens, " + other.length
                    + " other tokens, " + oracleGaps.length + " gaps");
        }
        if (!(bound >= 0)) throw new IllegalArgumentException("bound " + bound + ": a difference must be a number ≥ 0");
        int firstDivergence = firstDivergence(oracle, other), firstAmbiguous = -1;
        for (int t = 0; t < oracleGaps.length && firstAmbiguous < 0; t++) {
            if (Double.isNaN(oracleGaps[t])) throw new IllegalArgumentException("oracle gap at step " + t + " is NaN");
            if (oracleGaps[t] <= 2 * bound) firstAmbiguous = t;
        }
        int mustAgree = firstAmbiguous < 0 ? oracle.length : firstAmbiguous;
        boolean holds = firstDivergence < 0 || firstDivergence >= mustAgree;
        return new GreedyAgreement(oracle.length, bound, firstDivergence, firstAmbiguous, mustAgree, holds);
    }

    /** The first step where the tokens differ, -1 if none (over the shorter of the two). */
    public static int firstDivergence(int[] a, int[] b) {
        for (int t = 0; t < Math.min(a.length, b.length); t++) if (a[t] != b[t]) return t;
        return -1;
    }

    /**
     * The largest per-step difference over the steps where both decoders had seen the same tokens: up to and
     * including the first divergence (its inputs were still the same), all steps if none.
     */
    public static double observedDifference(double[] stepDifferences, int firstDivergence) {
        int last = firstDivergence < 0 ? stepDifferences.length - 1 : firstDivergence;
        double max = 0;
        for (int t = 0; t <= last; t++) max = Math.max(max, stepDifferences[t]);
        return max;
    }
}
