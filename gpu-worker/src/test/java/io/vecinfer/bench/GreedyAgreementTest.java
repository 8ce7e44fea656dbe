package io.vecinfer.bench;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The greedy-agreement rule on constructed continuations, and the logit measures it is fed with. */
class GreedyAgreementTest {
    private static final int[] ORACLE = {5, 9, 2, 2, 7, 1};

    @Test
    void identicalContinuationsHoldWhateverTheGaps() {
        GreedyAgreement rule = GreedyAgreement.of(ORACLE, ORACLE.clone(), new double[]{0, 0, 0, 0, 0, 0}, 1.0);
        assertEquals(-1, rule.firstDivergence());
        assertEquals(0, rule.firstAmbiguous());
        assertTrue(rule.holds());
    }

    @Test
    void aDivergenceAfterTheFirstAmbiguousStepIsLegitimate() {
        int[] other = {5, 9, 2, 3, 0, 0};                  // diverges at step 3
        double[] gaps = {4.0, 3.1, 0.5, 9.0, 9.0, 9.0};    // step 2: 0.5 ≤ 2 × 0.3, ambiguous
        GreedyAgreement rule = GreedyAgreement.of(ORACLE, other, gaps, 0.3);
        assertEquals(3, rule.firstDivergence());
        assertEquals(2, rule.firstAmbiguous());
        assertEquals(2, rule.mustAgree());
        assertTrue(rule.holds());
    }

    @Test
    void aDivergenceAtTheAmbiguousStepItselfIsLegitimate() {
        int[] other = {5, 9, 4, 4, 4, 4};
        GreedyAgreement rule = GreedyAgreement.of(ORACLE, other, new double[]{4.0, 3.1, 0.6, 9, 9, 9}, 0.3); // 0.6 = 2 × 0.3: ambiguous
        assertEquals(2, rule.firstDivergence());
        assertEquals(2, rule.firstAmbiguous());
        assertTrue(rule.holds());
    }

    @Test
    void aDivergenceWhereEveryGapWasClearFails() {
        int[] other = {5, 9, 2, 3, 7, 1};                  // step 3 differs
        double[] gaps = {4.0, 3.1, 0.61, 9.0, 0.1, 0.1};   // steps 0-3 all clear of 2 × 0.3; the later small gaps come too late
        GreedyAgreement rule = GreedyAgreement.of(ORACLE, other, gaps, 0.3);
        assertEquals(3, rule.firstDivergence());
        assertEquals(4, rule.firstAmbiguous());
        assertEquals(4, rule.mustAgree());
        assertFalse(rule.holds());
    }

    @Test
    void aDivergenceWithNoAmbiguousStepFails() {
        int[] other = ORACLE.clone();
        other[5] = 0;
        GreedyAgreement rule = GreedyAgreement.of(ORACLE, other, new double[]{9, 9, 9, 9, 9, 9}, 0.3);
        assertEquals(6, rule.mustAgree());
        assertFalse(rule.holds());
    }

    @Test
    void aNanBoundOrGapIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> GreedyAgreement.of(ORACLE, ORACLE, new double[6], Double.NaN));
        double[] gaps = {1, 1, Double.NaN, 1, 1, 1};
        assertThrows(IllegalArgumentException.class, () -> GreedyAgreement.of(ORACLE, ORACLE, gaps, 0.1));
        assertThrows(IllegalArgumentException.class, () -> GreedyAgreement.of(ORACLE, new int[5], new double[6], 0.1));
    }

    @Test
    void theObservedDifferenceCountsOnlyStepsWithTheSameInputs() {
        double[] differences = {0.1, 0.4, 0.2, Double.NaN, Double.NaN};
        assertEquals(0.4, GreedyAgreement.observedDifference(differences, 2));
        assertEquals(0.1, GreedyAgreement.observedDifference(differences, 0));
        assertTrue(Double.isNaN(GreedyAgreement.observedDifference(new double[]{0.1, Double.NaN}, -1)), "a NaN step difference is not dropped");
    }

    /**
     * The theorem the rule rests on, on fresh random logits: perturbed by at most d per logit, the top-1 token never
     * changes where the top-two gap exceeds 2d, and changes somewhere among the near ties.
     */
    @Test
    void aGapOverTwiceTheDifferenceKeepsTheTopToken() {
        SplittableRandom random = new SplittableRandom();
        int swaps = 0;
        for (int trial = 0; trial < 2000; trial++) {
            float[] logits = new float[50], moved = new float[50];
            for (int i = 0; i < logits.length; i++) logits[i] = (float) random.nextGaussian();
            double d = 0.3 * random.nextDouble();
            for (int i = 0; i < logits.length; i++) moved[i] = logits[i] + (float) ((2 * random.nextDouble() - 1) * d);
            double gap = LogitComparison.topTwoGap(logits), measured = LogitComparison.maxAbsDifference(logits, moved);
            boolean same = io.vecinfer.decoder.Sampling.argmax(logits) == io.vecinfer.decoder.Sampling.argmax(moved);
            if (gap > 2 * measured) assertTrue(same, "trial " + trial + ": gap " + gap + ", difference " + measured);
            if (!same) swaps++;
        }
        assertTrue(swaps > 0, "the perturbations never swapped a near tie: the check above checked nothing");
    }

    @Test
    void logitComparisonCountsAgreementAndPropagatesNan() {
        LogitComparison c = new LogitComparison();
        c.add(new float[]{1, 3, -4}, new float[]{1.5f, 2.75f, -4});
        c.add(new float[]{2, 1, 0}, new float[]{0, 1, 0.5f});
        assertEquals(2, c.positions());
        assertEquals(1, c.top1Matches());
        assertEquals(2.0, c.maxAbsDifference());
        assertEquals(4.0, c.maxAbsReference());
        assertEquals(0.5, c.relative());
        c.add(new float[]{1, 2, 3}, new float[]{1, Float.NaN, 3});
        assertTrue(Double.isNaN(c.maxAbsDifference()));
        assertFalse(c.relative() <= 1, "NaN never passes a bound");
        assertThrows(IllegalArgumentException.class, () -> c.add(new float[3], new float[4]));
    }
}
