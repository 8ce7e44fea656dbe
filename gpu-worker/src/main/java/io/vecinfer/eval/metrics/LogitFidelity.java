package io.vecinfer.eval.metrics;

/**
 * Label-free fidelity of a compressed-cache model's next-token distribution against the fp16-cache
 * reference at the same position. Accumulates in double: vocabularies of 128k make float sums lose
 * the small KL values that separate good quantizers.
 */
public final class LogitFidelity {

    private LogitFidelity() {}

    /** log p_i = x_i − max − log Σ exp(x_j − max); shifting by the max keeps exp from overflowing. */
    public static double[] logSoftmax(float[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (float logit : logits) {
            max = Math.max(max, logit);
        }
        if (max == Double.NEGATIVE_INFINITY) {
            throw new IllegalArgumentException("no finite logit: the distribution is undefined");
        }
        double sum = 0.0;
        for (float logit : logits) {
            sum += Math.exp(logit - max);
        }
        // (x − max) − log Σ, not x − (max + log Σ): with logits near 1000 the latter cancels away
        // the low digits of the result.
        double logSum = Math.log(sum);
        double[] logProbabilities = new double[logits.length];
        for (int i = 0; i < logits.length; i++) {
            logProbabilities[i] = (logits[i] - max) - logSum;
        }
        return logProbabilities;
    }

    /**
     * KL(p_ref ‖ p_test) in nats, from log-probabilities so that tiny probabilities keep their
     * precision. Tokens the reference gives no mass add nothing; a token only the test model rules
     * out makes it infinite, as it should.
     */
    public static double klDivergence(float[] referenceLogits, float[] testLogits) {
        requireSameVocabulary(referenceLogits, testLogits);
        double[] logP = logSoftmax(referenceLogits);
        double[] logQ = logSoftmax(testLogits);
        double kl = 0.0;
        for (int i = 0; i < logP.length; i++) {
            double p = Math.exp(logP[i]);
            if (p > 0.0) {
                kl += p * (logP[i] - logQ[i]);
            }
        }
        // Rounding can leave −1e-17 for identical distributions; KL is never negative.
        return Math.max(kl, 0.0);
    }

    /** Whether both pick the same greedy token. */
    public static boolean top1Agrees(float[] referenceLogits, float[] testLogits) {
        requireSameVocabulary(referenceLogits, testLogits);
        return argmax(referenceLogits) == argmax(testLogits);
    }

    /** The first index of the largest logit, as torch.argmax and greedy decoding break ties. */
    public static int argmax(float[] logits) {
        if (logits.length == 0) {
            throw new IllegalArgumentException("empty logits");
        }
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }

    private static void requireSameVocabulary(float[] reference, float[] test) {
        if (reference.length != test.length) {
            throw new IllegalArgumentException(
                    "vocabularies differ: " + reference.length + " vs " + test.length + " logits");
        }
    }
}
