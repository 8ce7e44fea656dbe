package io.vecinfer.eval.metrics;

import static io.vecinfer.eval.metrics.Gsm8kExtraction.FLEXIBLE_EXTRACT;
import static io.vecinfer.eval.metrics.Gsm8kExtraction.INVALID;
import static io.vecinfer.eval.metrics.Gsm8kExtraction.STRICT_MATCH;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Expected values are lm-evaluation-harness gsm8k (v3) filters and exact_match, run on the same text. */
class Gsm8kTest {

    private static final String SOLUTION = "Natalia sold 48/2 = <<48/2=24>>24 clips in May.\n"
            + "Natalia sold 48+24 = <<48+24=72>>72 clips altogether in April and May.\n#### 72";

    @Test
    void strictMatchTakesTheFirstHashAnswer() {
        assertEquals("-7", STRICT_MATCH.extract("#### -7"));
        assertEquals("72", STRICT_MATCH.extract("#### 72\n\nQuestion: 5 + 5 = 10 #### 10"));
        assertEquals("1,234.50", STRICT_MATCH.extract("so #### 1,234.50"));
        assertEquals(INVALID, STRICT_MATCH.extract("The answer is $1,234.50."));
        assertEquals(INVALID, STRICT_MATCH.extract("No idea, sorry"));
    }

    @Test
    void flexibleExtractTakesTheLastNumberLikeRun() {
        // "$1,234.50." is one run of [$0-9.,], trailing period included
        assertEquals("$1,234.50.", FLEXIBLE_EXTRACT.extract("The answer is $1,234.50."));
        assertEquals("-7", FLEXIBLE_EXTRACT.extract("#### -7"));
        assertEquals("10", FLEXIBLE_EXTRACT.extract("#### 72\n\nQuestion: 5 + 5 = 10 #### 10"));
        // "$5." then "12": the last one wins
        assertEquals("12", FLEXIBLE_EXTRACT.extract("It costs $5. Then 12 more."));
        // a single digit comes from the second alternative
        assertEquals("-3", FLEXIBLE_EXTRACT.extract("x = -3"));
        assertEquals("2.5", FLEXIBLE_EXTRACT.extract("Step 1 gives 7 and then 2.5 hours"));
        assertEquals(INVALID, FLEXIBLE_EXTRACT.extract("No idea, sorry"));
    }

    @Test
    void normalisationStripsCommasDollarsTheWorkingAndAFinalPeriod() {
        assertEquals("1234.50", Gsm8kMatch.normalize("$1,234.50."));
        assertEquals("72", Gsm8kMatch.normalize(SOLUTION));
        // Python's '$' also matches before a final newline
        assertEquals("1000\n", Gsm8kMatch.normalize("1,000.\n"));
        assertEquals("[invalid]", Gsm8kMatch.normalize(INVALID));
    }

    @Test
    void exactMatchAgainstTheWholeAnswerField() {
        assertTrue(Gsm8kMatch.exactMatch(STRICT_MATCH.extract("She sold 72 clips.\n#### 72"), SOLUTION));
        assertTrue(Gsm8kMatch.exactMatch(FLEXIBLE_EXTRACT.extract("So she sold $72."), SOLUTION));
        assertFalse(Gsm8kMatch.exactMatch(STRICT_MATCH.extract("So she sold $72."), SOLUTION));
        // no numeric normalisation: "72.0" is not "72"
        assertFalse(Gsm8kMatch.exactMatch("72.0", SOLUTION));
    }
}
