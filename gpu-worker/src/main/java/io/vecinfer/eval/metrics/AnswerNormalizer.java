package io.vecinfer.eval.metrics;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * LongBench's (and SQuAD's) English answer normalisation: lower case, drop ASCII punctuation, drop
 * the articles a/an/the, collapse whitespace. Applied in exactly that order, since the order
 * changes results (e.g. "the-end" loses its hyphen before the article test sees "theend").
 */
public final class AnswerNormalizer {

    // Python 3's \b is Unicode-aware for str patterns; UNICODE_CHARACTER_CLASS makes Java's agree.
    private static final Pattern ARTICLE = Pattern.compile("\\b(a|an|the)\\b", Pattern.UNICODE_CHARACTER_CLASS);

    private AnswerNormalizer() {}

    public static String normalize(String text) {
        String lower = text.toLowerCase(Locale.ROOT);
        String withoutPunctuation = removePunctuation(lower);
        String withoutArticles = ARTICLE.matcher(withoutPunctuation).replaceAll(" ");
        return String.join(" ", PyStrings.split(withoutArticles));
    }

    private static String removePunctuation(String text) {
        StringBuilder kept = new StringBuilder(text.length());
        text.codePoints()
                .filter(c -> PyStrings.ASCII_PUNCTUATION.indexOf(c) < 0)
                .forEach(kept::appendCodePoint);
        return kept.toString();
    }
}
