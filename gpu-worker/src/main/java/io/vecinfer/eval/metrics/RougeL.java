package io.vecinfer.eval.metrics;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * ROUGE-L F as the PyPI {@code rouge} package (1.0.x, {@code Rouge().get_scores(..., avg=True)})
 * computes it, which is what LongBench's {@code rouge_score} reports. That package is not textbook
 * ROUGE-L, and the differences are kept on purpose so that scores match published LongBench numbers:
 * <ul>
 *   <li>text is cut into sentences at every '.', and scored at summary level (union LCS);</li>
 *   <li>it is "exclusive": word counts and the union LCS are <em>sets</em> of distinct words, so
 *       "the cat sat on the mat" has 5 words, not 6;</li>
 *   <li>F carries a 1e-8 in its denominator.</li>
 * </ul>
 * Where the package raises (an empty hypothesis or reference, e.g. "" or "..."), LongBench catches
 * it and scores 0. One divergence remains: the package backtracks its LCS recursively, so a pair of
 * sentences needing more than about 1000 backtracking steps raises RecursionError there (scored 0
 * by LongBench) while it is scored normally here.
 */
public final class RougeL {

    private RougeL() {}

    public static double score(String hypothesis, String reference) {
        List<String[]> hypothesisSentences = sentences(hypothesis);
        List<String[]> referenceSentences = sentences(reference);
        if (hypothesisSentences.isEmpty() || referenceSentences.isEmpty()) {
            return 0.0;
        }
        int referenceWords = distinctWords(referenceSentences).size();
        int hypothesisWords = distinctWords(hypothesisSentences).size();

        Set<String> unionLcs = new HashSet<>();
        for (String[] referenceSentence : referenceSentences) {
            for (String[] hypothesisSentence : hypothesisSentences) {
                unionLcs.addAll(longestCommonSubsequence(referenceSentence, hypothesisSentence));
            }
        }
        double recall = (double) unionLcs.size() / referenceWords;
        double precision = (double) unionLcs.size() / hypothesisWords;
        return 2.0 * ((precision * recall) / (precision + recall + 1e-8));
    }

    /**
     * Pieces between '.' that are not empty, whitespace collapsed, then split on single spaces. A
     * whitespace-only piece survives as one empty word, as in the package.
     */
    static List<String[]> sentences(String text) {
        List<String[]> sentences = new ArrayList<>();
        for (String piece : text.split("\\.", -1)) {
            if (!piece.isEmpty()) {
                sentences.add(String.join(" ", PyStrings.split(piece)).split(" ", -1));
            }
        }
        return sentences;
    }

    private static Set<String> distinctWords(List<String[]> sentences) {
        Set<String> words = new HashSet<>();
        sentences.forEach(sentence -> words.addAll(Arrays.asList(sentence)));
        return words;
    }

    /**
     * One LCS of x and y, recovered by walking the DP table back from the end with the package's
     * tie-break (prefer dropping from y unless dropping from x keeps a strictly longer LCS). Which LCS
     * is chosen matters, because only its distinct words are counted.
     */
    static List<String> longestCommonSubsequence(String[] x, String[] y) {
        int[][] table = new int[x.length + 1][y.length + 1];
        for (int i = 1; i <= x.length; i++) {
            for (int j = 1; j <= y.length; j++) {
                table[i][j] = x[i - 1].equals(y[j - 1])
                        ? table[i - 1][j - 1] + 1
                        : Math.max(table[i - 1][j], table[i][j - 1]);
            }
        }
        List<String> common = new ArrayList<>();
        int i = x.length;
        int j = y.length;
        while (i > 0 && j > 0) {
            if (x[i - 1].equals(y[j - 1])) {
                common.add(x[i - 1]);
                i--;
                j--;
            } else if (table[i - 1][j] > table[i][j - 1]) {
                i--;
            } else {
                j--;
            }
        }
        return common;
    }
}
