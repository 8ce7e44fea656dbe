package io.vecinfer.decoder;

/**
 * The host arithmetic of what is read off a row of logits: log-softmax, the log-probability of one token, KL
 * divergence between two rows, the argmax. Everything that scores logits on the CPU goes through here (and the
 * CUDA reductions in logits.cu mirror it), so a log-probability is the same number whether a task takes it from
 * {@link #logSoftmax} or {@link #logProbability}. Sums and logarithms in double: vocabularies of 128k make float
 * sums lose the small KL values that separate good quantizers.
 */
public final class LogitStatistics {
    private LogitStatistics() {
    }

    /** log p_i = x_i − max − log Σ exp(x_j − max); shifting by the max keeps exp from overflowing. */
    public static double[] logSoftmax(float[] logits) {
        double max = max(logits), logSum = logSum(logits, max);
        double[] logProbabilities = new double[logits.length];
        for (int i = 0; i < logits.length; i++) logProbabilities[i] = (logits[i] - max) - logSum;
        return logProbabilities;
    }

    /** {@code logSoftmax(logits)[target]}, bit for bit, without the array. */
    public static double logProbability(float[] logits, int target) {
        double max = max(logits), logSum = logSum(logits, max);
        return (logits[target] - max) - logSum;
    }

    /**
     * KL(p_ref ‖ p_test) in nats, from log-probabilities so that tiny probabilities keep their precision. Tokens
     * the reference gives no mass add nothing; a token only the test model rules out makes it infinite, as it should.
     */
    public static double klDivergence(float[] referenceLogits, float[] testLogits) {
        requireSameVocabulary(referenceLogits, testLogits);
        double[] logP = logSoftmax(referenceLogits);
        double[] logQ = logSoftmax(testLogits);
        double kl = 0.0;
        for (int i = 0; i < logP.length; i++) {
            double p = Math.exp(logP[i]);
            if (p > 0.0) kl += p * (logP[i] - logQ[i]);
        }
        // Rounding can leave −1e-17 for identical distributions; KL is never negative.
        return Math.max(kl, 0.0);
    }

    /** The first index of the largest logit, as torch.argmax and greedy decoding break ties. */
    public static int argmax(float[] logits) {
        if (logits.length == 0) throw new IllegalArgumentException("empty logits");
        int best = 0;
        for (int i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
        return best;
    }

    public static void requireSameVocabulary(float[] reference, float[] test) {
        if (reference.length != test.length) {
            throw new IllegalArgumentException("vocabularies differ: " + reference.length + " vs " + test.length + " logits");
        }
    }

    /** The largest logit, in double (NaN if one is NaN); a row with no finite logit has no distribution. */
    public static double max(float[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (float logit : logits) max = Math.max(max, logit);
        if (max == Double.NEGATIVE_INFINITY) throw new IllegalArgumentException("no finite logit: the distribution is undefined");
        return max;
    }

    /**
     * log Σ exp(x − max). The callers then take (x − max) − log Σ, not x − (max + log Σ): with logits near 1000 the
     * latter cancels away the low digits of the result.
     */
    public static double logSum(float[] logits, double max) {
        double sum = 0.0;
        for (float logit : logits) sum += Math.exp(logit - max);
        return Math.log(sum);
    }
}
