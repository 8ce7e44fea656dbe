package io.vecinfer.eval.data;

import io.vecinfer.dataset.JsonLines;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * One line of a LongBench prediction file ({@code pred/<model>/<dataset>.jsonl}), what its
 * {@code eval.py} scores: {@code {"pred", "answers", "all_classes", "length"}}.
 */
public record LongBenchPrediction(String pred, List<String> answers, List<String> allClasses, int length) {

    public static LongBenchPrediction of(LongBenchRecord sample, String pred) {
        return new LongBenchPrediction(pred, sample.answers(), sample.allClasses(), sample.length());
    }

    public static List<LongBenchPrediction> load(Path file) throws IOException {
        return JsonLines.read(file, record -> new LongBenchPrediction(
                record.text("pred"),
                record.textList("answers"),
                record.nullableTextList("all_classes"),
                record.integer("length")));
    }
}
