package io.vecinfer.eval.ruler;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** RULER's string matches on hand-worked cases. */
class RulerScoringTest {

    @Test
    void matchAllIsTheFractionOfReferencesFoundIgnoringCase() {
        assertEquals(1.0, RulerScoring.stringMatchAll(" 4512377.", List.of("4512377")));
        assertEquals(0.0, RulerScoring.stringMatchAll(" 451237", List.of("4512377")));
        // Two of four values, one of them in another case.
        assertEquals(0.5, RulerScoring.stringMatchAll("1111111, XKQZA and nothing", List.of("1111111", "xkqza", "2222222", "3333333")));
        assertEquals(0.2, RulerScoring.stringMatchAll("AAAAA", List.of("AAAAA", "BBBBB", "CCCCC", "DDDDD", "EEEEE")), 1e-12);
    }

    @Test
    void matchPartIsOneWhenAnyReferenceIsFound() {
        assertEquals(1.0, RulerScoring.stringMatchPart("the whale", List.of("ship", "Whale")));
        assertEquals(0.0, RulerScoring.stringMatchPart("the whale", List.of("ship", "sea")));
    }

    @Test
    void noReferencesIsAnError() {
        assertThrows(IllegalArgumentException.class, () -> RulerScoring.stringMatchAll("x", List.of()));
    }
}
