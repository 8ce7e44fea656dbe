package io.vecinfer.eval.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Expected ratios derived by hand, and equal to CPython 3.11's difflib. */
class SequenceMatcherTest {

    private static double ratio(String a, String b) {
        return new SequenceMatcher(a, b).ratio();
    }

    @Test
    void ratioIsTwiceTheMatchesOverTheTotalLength() {
        // longest match "bcd" (3), nothing left on either side: 2·3/8
        assertEquals(0.75, ratio("abcd", "bcde"), 0.0);
        // "private int " (12) then ";" (1) after the differing x/y: 2·13/28
        assertEquals(26.0 / 28.0, ratio("private int x;", "private int y;"), 0.0);
        // "hello world" vs "world hello": longest match "hello" (a[0:5], b[6:11]); left of it in b,
        // "world " has nothing in a[0:0]; right of it a[5:] = " world" vs b[11:] = "" → M = 5, 2·5/22
        assertEquals(10.0 / 22.0, ratio("hello world", "world hello"), 0.0);
        assertEquals(0.0, ratio("abc", "xyz"), 0.0);
        assertEquals(1.0, ratio("", ""), 0.0);
    }

    @Test
    void longestMatchPrefersTheEarliestInA() {
        SequenceMatcher matcher = new SequenceMatcher("xab_ab", "ab");
        assertEquals(new SequenceMatcher.Match(1, 0, 2), matcher.findLongestMatch(0, 6, 0, 2));
    }

    @Test
    void autojunkStopsPopularCharactersFromStartingAMatch() {
        // b = "ab"×100 has 200 characters, so a character is popular above 200/100 + 1 = 3 uses;
        // 'a' and 'b' (100 each) both are, and cannot start a match: "ba" finds nothing → 0
        assertEquals(0.0, ratio("ba", "ab".repeat(100)), 0.0);
        // with 198 characters the heuristic is off: "ba" matches → 2·2/200
        assertEquals(0.02, ratio("ba", "ab".repeat(99)), 0.0);
        // nearly identical, yet 0: every character of b is popular and a[0] ≠ b[0], so the empty
        // match at (0, 0) cannot be extended either
        assertEquals(0.0, ratio("ab".repeat(150), "b" + "ab".repeat(150)), 0.0);
        // popular characters can still extend a match: the empty match at (0, 0) grows over all 200
        assertEquals(1.0, ratio("x".repeat(200), "x".repeat(200)), 0.0);
        // rare characters in a long b still match: 'x' is popular, "abc" is not → 2·3/206
        assertEquals(6.0 / 206.0, ratio("abc", "x".repeat(150) + "abc" + "x".repeat(50)), 0.0);
    }

    @Test
    void codePointsNotUtf16Units() {
        // one code point each side (a surrogate pair in Java): 2·1/2
        assertEquals(1.0, ratio("\uD83D\uDE00", "\uD83D\uDE00"), 0.0);
        // 😀 vs 😁 share the high surrogate, but as code points nothing matches
        assertEquals(0.0, ratio("\uD83D\uDE00", "\uD83D\uDE01"), 0.0);
    }

    @Test
    void fuzzRatioRoundsHalfToEvenLikePython() {
        // 2·1/16 = 0.125 → 12.5 → round() gives 12
        assertEquals(12, FuzzRatio.ratio("abcdefgh", "ijklmnoa"));
        // 2·3/16 = 0.375 → 37.5 → 38
        assertEquals(38, FuzzRatio.ratio("abcxxxxx", "abcyyyyy"));
        // "import numpy" inside "import numpy as np": 2·12/30 = 0.8 → 80
        assertEquals(80, FuzzRatio.ratio("import numpy as np", "import numpy"));
        // equality is checked before emptiness
        assertEquals(100, FuzzRatio.ratio("", ""));
        assertEquals(0, FuzzRatio.ratio("x", ""));
    }
}
