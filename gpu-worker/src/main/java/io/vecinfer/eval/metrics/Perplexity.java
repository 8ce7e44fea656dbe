package io.vecinfer.eval.metrics;

/** Perplexity from the negative log-likelihood summed over scored tokens (nats). */
public final class Perplexity {

    private Perplexity() {}

    /**
     * exp(ΣNLL / tokens). Callers sum NLL over all windows first and divide once, so that windows of
     * unequal length weigh by their tokens, not equally.
     */
    public static double fromSummedNll(double summedNll, long tokenCount) {
        if (tokenCount <= 0) {
            throw new IllegalArgumentException("no tokens scored");
        }
        return Math.exp(summedNll / tokenCount);
    }
}
