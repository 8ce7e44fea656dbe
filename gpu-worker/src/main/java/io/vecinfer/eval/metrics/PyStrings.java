package io.vecinfer.eval.metrics;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;

/**
 * The few Python string and number behaviours the reference metrics depend on. Reimplemented so
 * that scores match the Python harnesses to the last digit, not just approximately.
 */
public final class PyStrings {

    /** Python's {@code string.punctuation}. */
    static final String ASCII_PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

    private PyStrings() {}

    /** Python's {@code str.isspace} for one code point (Java's isWhitespace misses no-break spaces). */
    public static boolean isSpace(int codePoint) {
        return Character.isWhitespace(codePoint) || Character.isSpaceChar(codePoint) || codePoint == 0x85;
    }

    /** Python's {@code str.split()} with no argument: runs of whitespace separate, no empty pieces. */
    public static List<String> split(String text) {
        List<String> pieces = new ArrayList<>();
        int start = -1;
        for (int i = 0; i < text.length(); ) {
            int codePoint = text.codePointAt(i);
            if (isSpace(codePoint)) {
                if (start >= 0) {
                    pieces.add(text.substring(start, i));
                    start = -1;
                }
            } else if (start < 0) {
                start = i;
            }
            i += Character.charCount(codePoint);
        }
        if (start >= 0) {
            pieces.add(text.substring(start));
        }
        return pieces;
    }

    /** Python's {@code str.strip()} with no argument. */
    public static String strip(String text) {
        int begin = 0;
        int end = text.length();
        while (begin < end && isSpace(text.codePointAt(begin))) {
            begin += Character.charCount(text.codePointAt(begin));
        }
        while (end > begin && isSpace(text.codePointBefore(end))) {
            end -= Character.charCount(text.codePointBefore(end));
        }
        return text.substring(begin, end);
    }

    /** Python's {@code text.lstrip('\n')}: only newlines, not other whitespace. */
    public static String stripLeadingNewlines(String text) {
        int start = 0;
        while (start < text.length() && text.charAt(start) == '\n') {
            start++;
        }
        return text.substring(start);
    }

    /** Python indexes strings by code point, so sequence comparisons must too (not by UTF-16 unit). */
    public static int[] codePoints(String text) {
        return text.codePoints().toArray();
    }

    /**
     * Python's {@code round(x, digits)}: the exact binary value rounded half to even, which is what
     * {@code new BigDecimal(double)} exposes.
     */
    public static double round(double x, int digits) {
        if (!Double.isFinite(x)) {
            return x;
        }
        return new BigDecimal(x).setScale(digits, RoundingMode.HALF_EVEN).doubleValue();
    }
}
