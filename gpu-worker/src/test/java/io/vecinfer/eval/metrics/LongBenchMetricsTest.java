package io.vecinfer.eval.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/** classification, retrieval, count and code similarity, each as LongBench's metrics.py scores it. */
class LongBenchMetricsTest {

    private static final List<String> TREC = List.of("Abbreviation", "Animal", "City", "Date", "Other location");

    @Test
    void classificationSharesTheScoreAmongTheClassesNamed() {
        assertEquals(1.0, Classification.score("Type: Animal", "Animal", TREC), 0.0);
        assertEquals(0.5, Classification.score("Animal or Date", "Animal", TREC), 0.0);
        assertEquals(0.0, Classification.score("Date", "Animal", TREC), 0.0);
        assertEquals(0.0, Classification.score("no idea", "Animal", TREC), 0.0);
        // matching is case-sensitive substring search
        assertEquals(0.0, Classification.score("animal", "Animal", TREC), 0.0);
    }

    @Test
    void classificationDropsClassesInsideTheTrueOneButSkipsTheNextMatch() {
        // matches [cat, cat food, dog]: "cat" is inside "cat food" and dropped → [cat food, dog] → 1/2
        assertEquals(0.5, Classification.score("cat food and dog", "cat food", List.of("cat", "cat food", "dog")), 0.0);
        // matches [ca, cat, cat food]: dropping "ca" shifts "cat" under the iterator, which then sees
        // "cat food"; "cat" survives → [cat, cat food] → 1/2 (the reference's value, not 1)
        assertEquals(0.5, Classification.score("cat food", "cat food", List.of("ca", "cat", "cat food")), 0.0);
    }

    @Test
    void retrievalIsTheShareOfNumbersNamingTheParagraph() {
        assertEquals(1.0, NumberMatch.retrievalScore("Paragraph 12", "Paragraph 12"), 0.0);
        assertEquals(0.5, NumberMatch.retrievalScore("Paragraph 12 or Paragraph 3", "Paragraph 12"), 0.0);
        assertEquals(0.0, NumberMatch.retrievalScore("I cannot tell", "Paragraph 12"), 0.0);
        // numbers compare as text: "012" is not "12"
        assertEquals(0.0, NumberMatch.retrievalScore("Paragraph 012", "Paragraph 12"), 0.0);
        assertThrows(IllegalArgumentException.class, () -> NumberMatch.retrievalScore("1", "twelve"));
    }

    @Test
    void countIsTheShareOfNumbersEqualToTheCount() {
        assertEquals(1.0, NumberMatch.countScore("There are 7 unique paragraphs.", "7"), 0.0);
        assertEquals(1.0 / 3.0, NumberMatch.countScore("Between 6, 7 and 8", "7"), 0.0);
        assertEquals(0.0, NumberMatch.countScore("seven", "7"), 0.0);
    }

    @Test
    void codeSimilarityScoresTheFirstLineWithoutFencesOrComments() {
        assertEquals("    return x + 1", CodeSimilarity.firstCodeLine("\n\n```python\n# add one\n    return x + 1\n```"));
        // containment, not prefix: a code line with a trailing comment is skipped too
        assertEquals("y = 2", CodeSimilarity.firstCodeLine("x = 1  # one\ny = 2"));
        assertEquals("", CodeSimilarity.firstCodeLine("// only comments\n# here"));
        // "    return x + 1" vs "return x + 1": M = 12, 2·12/28 = 0.857… → 86 → 0.86
        assertEquals(0.86, CodeSimilarity.score("```java\n    return x + 1\n```", "return x + 1"), 0.0);
        // nothing usable: "" vs a non-empty answer is 0
        assertEquals(0.0, CodeSimilarity.score("```", "return x;"), 0.0);
    }
}
