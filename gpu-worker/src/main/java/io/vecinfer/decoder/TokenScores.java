package io.vecinfer.decoder;

import java.util.List;

/**
 * What perplexity and greedy decoding read off the logits of each scored row (every new token of a forward pass,
 * sequence after sequence): the log-probability of the row's target token and the row's argmax. A backend computes
 * it where its logits are: the CPU from its float rows ({@link #of}), CUDA on the device (logits.cu).
 *
 * @param targetLogProbs log p(target) per row, NaN for a row without a target (id −1)
 * @param argmax         the first index of the largest logit per row, as {@link LogitStatistics#argmax}
 */
public record TokenScores(double[] targetLogProbs, int[] argmax) {
    /** The target id of a row that has none (the last token of a window predicts nothing). */
    public static final int NO_TARGET = -1;

    public TokenScores {
        if (targetLogProbs.length != argmax.length) throw new IllegalArgumentException("one log-probability and one argmax per row");
    }

    public int rows() {
        return argmax.length;
    }

    /** The CPU's arithmetic on rows of logits; {@code targets} holds one id per row, {@link #NO_TARGET} for none. */
    public static TokenScores of(float[][] logits, int[] targets) {
        if (logits.length != targets.length) throw new IllegalArgumentException(logits.length + " rows of logits, " + targets.length + " targets");
        double[] logProbs = new double[logits.length];
        int[] argmax = new int[logits.length];
        for (int r = 0; r < logits.length; r++) {
            logProbs[r] = targets[r] == NO_TARGET ? Double.NaN : LogitStatistics.logProbability(logits[r], targets[r]);
            argmax[r] = LogitStatistics.argmax(logits[r]);
        }
        return new TokenScores(logProbs, argmax);
    }

    /**
     * The targets of a forward pass's rows, sequence after sequence, checked against the new tokens: one per new
     * token, each a vocabulary id or {@link #NO_TARGET}.
     */
    public static int[] flatten(List<int[]> newTokens, List<int[]> targets, int vocab) {
        if (targets.size() != newTokens.size()) throw new IllegalArgumentException("one target array per sequence");
        int total = 0;
        for (int s = 0; s < targets.size(); s++) {
            if (targets.get(s).length != newTokens.get(s).length) {
                throw new IllegalArgumentException("sequence " + s + ": " + targets.get(s).length + " targets for "
                        + newTokens.get(s).length + " new tokens");
            }
            total += targets.get(s).length;
        }
        int[] flat = new int[total];
        int at = 0;
        for (int s = 0; s < targets.size(); s++) {
            for (int t : targets.get(s)) {
                if (t != NO_TARGET && (t < 0 || t >= vocab)) {
                    throw new IllegalArgumentException("sequence " + s + ": target id " + t + " outside the vocabulary of " + vocab);
                }
                flat[at++] = t;
            }
        }
        return flat;
    }

    /** The targets of language modelling on {@code tokens}: each token's successor, none for the last. */
    public static int[] nextTokens(int[] tokens) {
        int[] targets = new int[tokens.length];
        for (int i = 0; i < tokens.length; i++) targets[i] = i + 1 < tokens.length ? tokens[i + 1] : NO_TARGET;
        return targets;
    }
}
