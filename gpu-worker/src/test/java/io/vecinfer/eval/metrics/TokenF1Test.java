package io.vecinfer.eval.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class TokenF1Test {

    @Test
    void normalisationLowersDropsPunctuationArticlesAndExtraSpace() {
        assertEquals("eiffel tower in paris", AnswerNormalizer.normalize("The Eiffel  Tower, in Paris."));
        assertEquals("apple", AnswerNormalizer.normalize("the Apple!"));
        // Punctuation goes before the article test: "the-end" becomes one word "theend", kept.
        assertEquals("theend", AnswerNormalizer.normalize("The-End"));
        // Articles only as whole words: "another" and "theater" stay.
        assertEquals("another theater", AnswerNormalizer.normalize("another a theater"));
        // Python's split() treats the no-break space as whitespace.
        assertEquals("new york", AnswerNormalizer.normalize("New\u00A0York"));
    }

    @Test
    void f1OnKnownPairs() {
        // "eiffel tower in paris" vs "paris": 1 common; P = 1/4, R = 1/1, F1 = 2·(1/4)/(5/4) = 0.4
        assertEquals(0.4, TokenF1.qaF1("The Eiffel Tower, in Paris.", "Paris"), 1e-15);
        // "cat and dog" vs "dog cat": 2 common; P = 2/3, R = 1, F1 = (4/3)/(5/3) = 0.8
        assertEquals(0.8, TokenF1.qaF1("a cat and the dog", "The dog, a cat"), 1e-15);
        assertEquals(1.0, TokenF1.qaF1("an apple", "the Apple!"), 0.0);
        assertEquals(0.0, TokenF1.qaF1("nothing", "x"), 0.0);
        assertEquals(0.0, TokenF1.qaF1("", "x"), 0.0);
    }

    @Test
    void repeatedTokensCountAsOftenAsBothHaveThem() {
        // Counter intersection: {a:2} ∩ {a:1} = 1 → P = 1/2, R = 1, F1 = 1/(3/2) = 2/3
        assertEquals(2.0 / 3.0, TokenF1.f1(List.of("x", "x"), List.of("x")), 1e-15);
    }
}
