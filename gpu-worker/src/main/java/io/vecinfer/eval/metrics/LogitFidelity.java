package io.vecinfer.eval.metrics;

import io.vecinfer.decoder.LogitStatistics;

/**
 * Label-free fidelity of a compressed-cache model's next-token distribution against the fp16-cache
 * reference at the same position. The arithmetic is {@link LogitStatistics}'s (double sums), the one that the
 * decoders' {@code compareAll} and the CUDA reductions also follow.
 */
public final class LogitFidelity {

    private LogitFidelity() {}

    /** log p_i = x_i − max − log Σ exp(x_j − max); shifting by the max keeps exp from overflowing. */
    public static double[] logSoftmax(float[] logits) {
        return LogitStatistics.logSoftmax(logits);
    }

    /**
     * KL(p_ref ‖ p_test) in nats, from log-probabilities so that tiny probabilities keep their
     * precision. Tokens the reference gives no mass add nothing; a token only the test model rules
     * out makes it infinite, as it should.
     */
    public static double klDivergence(float[] referenceLogits, float[] testLogits) {
        return LogitStatistics.klDivergence(referenceLogits, testLogits);
    }

    /** Whether both pick the same greedy token. */
    public static boolean top1Agrees(float[] referenceLogits, float[] testLogits) {
        LogitStatistics.requireSameVocabulary(referenceLogits, testLogits);
        return argmax(referenceLogits) == argmax(testLogits);
    }

    /** The first index of the largest logit, as torch.argmax and greedy decoding break ties. */
    public static int argmax(float[] logits) {
        return LogitStatistics.argmax(logits);
    }
}
