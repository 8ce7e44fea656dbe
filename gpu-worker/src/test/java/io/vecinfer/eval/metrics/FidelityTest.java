package io.vecinfer.eval.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class FidelityTest {

    private static float[] logitsOf(double... probabilities) {
        float[] logits = new float[probabilities.length];
        for (int i = 0; i < probabilities.length; i++) {
            logits[i] = (float) Math.log(probabilities[i]);
        }
        return logits;
    }

    @Test
    void logSoftmaxNormalisesAndSurvivesHugeLogits() {
        double[] logP = LogitFidelity.logSoftmax(new float[] {1000f, 1000f});
        assertEquals(Math.log(0.5), logP[0], 1e-15);
        assertEquals(Math.log(0.5), logP[1], 1e-15);
        double[] ordinary = LogitFidelity.logSoftmax(new float[] {1f, 2f, 3f});
        assertEquals(1.0, Math.exp(ordinary[0]) + Math.exp(ordinary[1]) + Math.exp(ordinary[2]), 1e-15);
        // softmax(1,2,3)[2] = e³/(e + e² + e³) = 0.66524…
        assertEquals(Math.log(Math.exp(3) / (Math.exp(1) + Math.exp(2) + Math.exp(3))), ordinary[2], 1e-14);
    }

    @Test
    void klOfIdenticalDistributionsIsZero() {
        float[] logits = {0.3f, -1.2f, 2.5f, 0f};
        assertEquals(0.0, LogitFidelity.klDivergence(logits, logits), 0.0);
    }

    @Test
    void klOnKnownDistributions() {
        // 0.5·ln(0.5/0.9) + 0.5·ln(0.5/0.1) = 0.5·(−0.587787) + 0.5·1.609438 = 0.510826
        double expected = 0.5 * Math.log(0.5 / 0.9) + 0.5 * Math.log(0.5 / 0.1);
        assertEquals(0.5108256237659907, expected, 1e-15);
        // logits are floats, so compare at float precision
        assertEquals(expected, LogitFidelity.klDivergence(logitsOf(0.5, 0.5), logitsOf(0.9, 0.1)), 1e-6);
        // KL is not symmetric: 0.9·ln(0.9/0.5) + 0.1·ln(0.1/0.5) = 0.368064
        assertEquals(0.9 * Math.log(1.8) + 0.1 * Math.log(0.2), LogitFidelity.klDivergence(logitsOf(0.9, 0.1), logitsOf(0.5, 0.5)), 1e-6);
    }

    @Test
    void klIgnoresAShiftOfTheLogitsAndLargeMagnitudes() {
        float[] reference = {2f, 1f, 0f};
        float[] test = {1f, 2f, 0f};
        float[] shifted = {10002f, 10001f, 10000f};
        double kl = LogitFidelity.klDivergence(reference, test);
        assertEquals(kl, LogitFidelity.klDivergence(shifted, test), 1e-12);
        assertTrue(kl > 0);
    }

    @Test
    void klIsInfiniteWhereOnlyTheTestModelRulesATokenOut() {
        float[] reference = {0f, 0f};
        float[] test = {0f, Float.NEGATIVE_INFINITY};
        assertEquals(Double.POSITIVE_INFINITY, LogitFidelity.klDivergence(reference, test));
        // the other way round the impossible token carries no reference mass: ln 2
        assertEquals(Math.log(2), LogitFidelity.klDivergence(test, reference), 1e-15);
    }

    @Test
    void topOneAgreementBreaksTiesAtTheFirstIndex() {
        assertTrue(LogitFidelity.top1Agrees(new float[] {0f, 3f, 1f}, new float[] {-5f, 0.1f, 0f}));
        assertFalse(LogitFidelity.top1Agrees(new float[] {0f, 3f, 1f}, new float[] {0f, 1f, 3f}));
        assertEquals(1, LogitFidelity.argmax(new float[] {0f, 2f, 2f}));
        assertThrows(IllegalArgumentException.class, () -> LogitFidelity.top1Agrees(new float[2], new float[3]));
    }

    @Test
    void greedyContinuationsMatchOverTheFirstNTokens() {
        int[] reference = {5, 6, 7, 8};
        assertTrue(Continuations.exactMatch(reference, new int[] {5, 6, 7, 9}, 3));
        assertFalse(Continuations.exactMatch(reference, new int[] {5, 6, 7, 9}, 4));
        // both stopped at the same place before n
        assertTrue(Continuations.exactMatch(new int[] {5, 2}, new int[] {5, 2}, 10));
        // one stopped early
        assertFalse(Continuations.exactMatch(new int[] {5, 6}, new int[] {5, 6, 7}, 3));
        assertEquals(3, Continuations.commonPrefixLength(reference, new int[] {5, 6, 7, 9}));
    }

    @Test
    void perplexityIsTheExponentialOfTheMeanNll() {
        // uniform over 4 tokens: NLL ln 4 per token → perplexity 4
        assertEquals(4.0, Perplexity.fromSummedNll(10 * Math.log(4), 10), 1e-12);
        assertEquals(1.0, Perplexity.fromSummedNll(0.0, 5), 0.0);
        assertThrows(IllegalArgumentException.class, () -> Perplexity.fromSummedNll(1.0, 0));
    }
}
