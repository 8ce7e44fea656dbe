package io.vecinfer.eval.data;

import io.vecinfer.dataset.JsonLines;
import io.vecinfer.dataset.JsonRecord;
import io.vecinfer.dataset.DatasetFormatException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * One LongBench (or LongBench-E) sample, as in its {@code data/<dataset>.jsonl}.
 *
 * @param length     the context length in words (characters for Chinese), which LongBench-E buckets
 * @param allClasses the label set for classification tasks (trec), null for the others
 * @param id         the {@code _id} field
 */
public record LongBenchRecord(
        String input,
        String context,
        List<String> answers,
        int length,
        String dataset,
        String language,
        List<String> allClasses,
        String id) {

    public static List<LongBenchRecord> load(Path file) throws IOException {
        return JsonLines.read(file, LongBenchRecord::parse);
    }

    public static LongBenchRecord parse(JsonRecord record) throws DatasetFormatException {
        return new LongBenchRecord(
                record.text("input"),
                record.text("context"),
                record.textList("answers"),
                record.integer("length"),
                record.text("dataset"),
                record.text("language"),
                record.nullableTextList("all_classes"),
                record.text("_id"));
    }
}
