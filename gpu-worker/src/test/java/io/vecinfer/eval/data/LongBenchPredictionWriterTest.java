package io.vecinfer.eval.data;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vecinfer.eval.metrics.LongBenchScorer;
import io.vecinfer.eval.metrics.LongBenchTask;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LongBenchPredictionWriterTest {

    @TempDir
    Path dir;

    @Test
    void writesLongBenchsLineFormat() throws IOException {
        LongBenchRecord trec = LongBenchRecord.load(Fixtures.path("longbench/trec.jsonl")).get(0);
        Path file = dir.resolve("trec.jsonl");
        try (LongBenchPredictionWriter writer = LongBenchPredictionWriter.open(file, false)) {
            writer.write(new LongBenchPrediction("Café \"Animal\"\nmore", List.of("Animal"), List.of("Animal", "Date"), 2203));
            writer.write(LongBenchPrediction.of(trec, "Animal"));
        }
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        assertEquals(2, lines.size());
        assertEquals("{\"pred\":\"Café \\\"Animal\\\"\\nmore\",\"answers\":[\"Animal\"],\"all_classes\":[\"Animal\",\"Date\"],\"length\":2203}",
                lines.get(0));
    }

    @Test
    void roundTripsAndAppendsAfterARestart() throws IOException {
        Path file = dir.resolve("hotpotqa.jsonl");
        List<LongBenchRecord> samples = LongBenchRecord.load(Fixtures.path("longbench/hotpotqa.jsonl"));
        try (LongBenchPredictionWriter writer = LongBenchPredictionWriter.open(file, false)) {
            writer.write(LongBenchPrediction.of(samples.get(0), "Paris"));
        }
        try (LongBenchPredictionWriter writer = LongBenchPredictionWriter.open(file, true)) {
            writer.write(LongBenchPrediction.of(samples.get(1), "No."));
        }
        List<LongBenchPrediction> read = LongBenchPrediction.load(file);
        assertEquals(List.of(LongBenchPrediction.of(samples.get(0), "Paris"), LongBenchPrediction.of(samples.get(1), "No.")), read);
        // "Paris" = 1, "no" vs "yes" = 0 → 50.0
        assertEquals(50.0, LongBenchScorer.score(LongBenchTask.HOTPOTQA, read), 0.0);
    }
}
