package io.vecinfer.eval.metrics;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * LongBench's synthetic tasks: the share of the numbers in a prediction that equal the expected one,
 * so naming several candidates dilutes the score.
 */
public final class NumberMatch {

    private static final Pattern NUMBER = Pattern.compile("\\d+", Pattern.UNICODE_CHARACTER_CLASS);
    private static final Pattern PARAGRAPH = Pattern.compile("Paragraph (\\d+)", Pattern.UNICODE_CHARACTER_CLASS);

    private NumberMatch() {}

    /** passage_count: the answer is the number itself. */
    public static double countScore(String prediction, String groundTruth) {
        return shareEqualTo(prediction, groundTruth);
    }

    /** passage_retrieval_en: the answer is "Paragraph N"; its first N is the expected number. */
    public static double retrievalScore(String prediction, String groundTruth) {
        Matcher paragraph = PARAGRAPH.matcher(groundTruth);
        if (!paragraph.find()) {
            throw new IllegalArgumentException("retrieval answer has no 'Paragraph N': " + groundTruth);
        }
        return shareEqualTo(prediction, paragraph.group(1));
    }

    private static double shareEqualTo(String prediction, String expected) {
        List<String> numbers = new ArrayList<>();
        Matcher number = NUMBER.matcher(prediction);
        while (number.find()) {
            numbers.add(number.group());
        }
        if (numbers.isEmpty()) {
            return 0.0;
        }
        // Compared as strings, as the reference does: "07" is not "7".
        long right = numbers.stream().filter(expected::equals).count();
        return (double) right / numbers.size();
    }
}
