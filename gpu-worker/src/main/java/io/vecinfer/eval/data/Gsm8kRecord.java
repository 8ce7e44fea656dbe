package io.vecinfer.eval.data;

import io.vecinfer.dataset.JsonLines;
import io.vecinfer.dataset.JsonRecord;
import io.vecinfer.dataset.DatasetFormatException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * One GSM8K problem, as in its {@code main} config: the question, and the worked solution whose
 * last line is "#### " and the final answer.
 */
public record Gsm8kRecord(String question, String answer) {

    private static final String FINAL_ANSWER_MARK = "#### ";

    /** The final answer after the last "#### ", e.g. "72". */
    public String target() {
        return answer.substring(answer.lastIndexOf(FINAL_ANSWER_MARK) + FINAL_ANSWER_MARK.length()).strip();
    }

    public static List<Gsm8kRecord> load(Path file) throws IOException {
        return JsonLines.read(file, Gsm8kRecord::parse);
    }

    public static Gsm8kRecord parse(JsonRecord record) throws DatasetFormatException {
        String answer = record.text("answer");
        if (!answer.contains(FINAL_ANSWER_MARK)) {
            throw record.problem("answer", "has no final answer after \"" + FINAL_ANSWER_MARK + "\"");
        }
        return new Gsm8kRecord(record.text("question"), answer);
    }
}
