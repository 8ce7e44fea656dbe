package io.vecinfer.eval.data;

import io.vecinfer.dataset.DatasetFormatException;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vecinfer.eval.metrics.Gsm8kExtraction;
import io.vecinfer.eval.metrics.Gsm8kMatch;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Gsm8kRecordTest {

    @TempDir
    Path dir;

    @Test
    void loadsTheFixtureAndItsTargets() throws IOException {
        List<Gsm8kRecord> records = Gsm8kRecord.load(Fixtures.path("gsm8k/test.jsonl"));
        assertEquals(List.of("72", "8", "250"), records.stream().map(Gsm8kRecord::target).toList());
        assertTrue(records.get(0).question().startsWith("A baker makes 48 rolls"));
        // the reference solution scores itself under both filters
        for (Gsm8kRecord record : records) {
            assertTrue(Gsm8kMatch.exactMatch(Gsm8kExtraction.STRICT_MATCH.extract(record.answer()), record.answer()));
            assertTrue(Gsm8kMatch.exactMatch(Gsm8kExtraction.FLEXIBLE_EXTRACT.extract(record.answer()), record.answer()));
        }
    }

    @Test
    void badRecordsNameFileLineAndField() throws IOException {
        Path missing = Files.writeString(dir.resolve("missing.jsonl"), "{\"question\": \"q\", \"answer\": \"#### 1\"}\n{\"question\": \"q\"}\n");
        DatasetFormatException e = assertThrows(DatasetFormatException.class, () -> Gsm8kRecord.load(missing));
        assertEquals(missing + ", line 2, field 'answer': missing field", e.getMessage());

        Path noFinalAnswer = Files.writeString(dir.resolve("unfinished.jsonl"), "{\"question\": \"q\", \"answer\": \"It is 4.\"}");
        e = assertThrows(DatasetFormatException.class, () -> Gsm8kRecord.load(noFinalAnswer));
        assertTrue(e.getMessage().startsWith(noFinalAnswer + ", line 1, field 'answer': has no final answer"), e.getMessage());

        Path numberQuestion = Files.writeString(dir.resolve("number.jsonl"), "{\"question\": 7, \"answer\": \"#### 7\"}");
        e = assertThrows(DatasetFormatException.class, () -> Gsm8kRecord.load(numberQuestion));
        assertTrue(e.getMessage().startsWith(numberQuestion + ", line 1, field 'question': should be a string"), e.getMessage());

        Path empty = Files.writeString(dir.resolve("empty.jsonl"), "");
        assertEquals(empty + ": no records", assertThrows(DatasetFormatException.class, () -> Gsm8kRecord.load(empty)).getMessage());
    }
}
