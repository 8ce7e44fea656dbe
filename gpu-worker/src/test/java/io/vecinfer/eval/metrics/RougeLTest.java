package io.vecinfer.eval.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Expected values are those of the PyPI rouge 1.0.1 package (Rouge().get_scores(avg=True)). */
class RougeLTest {

    private static double f(double llcs, double referenceWords, double hypothesisWords) {
        double r = llcs / referenceWords;
        double p = llcs / hypothesisWords;
        return 2.0 * ((p * r) / (p + r + 1e-8));
    }

    @Test
    void oneSentenceCountsDistinctWords() {
        // hyp "the cat sat on the mat": distinct {the,cat,sat,on,mat} n = 5
        // ref "the cat is on the mat":  distinct {the,cat,is,on,mat}  m = 5
        // LCS = "the cat on the mat", its distinct words {the,cat,on,mat} = 4
        // R = P = 4/5 → F = 2·0.64/(1.6 + 1e-8) = 0.79999999500000003 (rouge: 0.7999999950000002)
        assertEquals(f(4, 5, 5), RougeL.score("the cat sat on the mat", "the cat is on the mat"), 1e-15);
        assertEquals(0.7999999950000002, RougeL.score("the cat sat on the mat", "the cat is on the mat"), 1e-15);
    }

    @Test
    void reorderedWords() {
        // "a b c d e" vs "b a d c e": LCS has 3 words (e.g. "b d e") → R = P = 3/5 → F ≈ 0.6
        assertEquals(0.5999999950000001, RougeL.score("a b c d e", "b a d c e"), 1e-15);
    }

    @Test
    void summaryLevelUnionOverSentencesWithThePackagesTieBreak() {
        // hyp sentences "police killed the gunman" | "the gunman was shot": n = 6 distinct words
        // ref "the police shot the gunman": m = 4 distinct words {the,police,shot,gunman}
        // LCS with hyp 1 = "police the gunman"; with hyp 2 the length-2 LCS is "the gunman" (not
        // "the shot": the backtrack drops from the hypothesis on ties) → union {police,the,gunman} = 3
        // R = 3/4, P = 3/6 → F = 2·0.375/(1.25 + 1e-8) = 0.5999999952
        assertEquals(0.5999999952, RougeL.score("police killed the gunman. the gunman was shot", "the police shot the gunman"), 1e-15);
        // sentence order does not matter: each reference sentence is matched against every hypothesis one
        assertEquals(0.999999995, RougeL.score("a b. c d", "c d. a b"), 1e-15);
        // hyp "x y z" (n = 3) vs ref sentences "x" | " y" (m = 2): union {x,y} → R = 1, P = 2/3
        assertEquals(0.7999999952000001, RougeL.score("x y z", "x. y"), 1e-15);
    }

    @Test
    void emptyTextScoresZeroAsLongBenchCatchesThePackagesError() {
        assertEquals(0.0, RougeL.score("", "x"), 0.0);
        assertEquals(0.0, RougeL.score("...", "x"), 0.0);
        assertEquals(0.0, RougeL.score("x", ""), 0.0);
    }
}
