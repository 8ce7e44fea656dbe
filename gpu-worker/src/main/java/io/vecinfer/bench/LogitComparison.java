package io.vecinfer.bench;

import io.vecinfer.decoder.Sampling;

/**
 * Logits of one decoder against a reference's, position by position: the largest |difference| and the largest
 * |reference logit| over all positions added, and how many positions pick the same top-1 token. A NaN anywhere makes
 * the maximum NaN (Math.max propagates it), so it can never pass a bound.
 */
public final class LogitComparison {
    private double maxAbsDifference, maxAbsReference;
    private int positions, top1Matches;

    /** One position: the reference's logits and the other decoder's, over the same vocabulary. */
    public void add(float[] reference, float[] other) {
        if (reference.length != other.length) {
            throw new IllegalArgumentException("vocabularies differ: " + reference.length + " and " + other.length + " logits");
        }
        maxAbsDifference = Math.max(maxAbsDifference, maxAbsDifference(reference, other));
        for (float r : reference) maxAbsReference = Math.max(maxAbsReference, Math.abs(r));
        positions++;
        if (Sampling.argmax(reference) == Sampling.argmax(other)) top1Matches++;
    }

    public double maxAbsDifference() {
        return maxAbsDifference;
    }

    public double maxAbsReference() {
        return maxAbsReference;
    }

    /** max |difference| / max |reference logit|: the measure the tolerances bound. */
    public double relative() {
        return maxAbsDifference / maxAbsReference;
    }

    public int positions() {
        return positions;
    }

    public int top1Matches() {
        return top1Matches;
    }

    public double top1Agreement() {
        return positions == 0 ? Double.NaN : top1Matches / (double) positions;
    }

    /** max over the vocabulary of |a - b|; NaN if either holds a NaN. */
    public static double maxAbsDifference(float[] a, float[] b) {
        double max = 0;
        for (int i = 0; i < a.length; i++) max = Math.max(max, Math.abs((double) a[i] - b[i]));
        return max;
    }

    /** The top logit minus the runner-up: how far the top-1 token is from swapping. */
    public static double topTwoGap(float[] logits) {
        int top = Sampling.argmax(logits);
        double second = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < logits.length; i++) if (i != top) second = Math.max(second, logits[i]);
        return logits[top] - second;
    }
}
