package io.vecinfer.eval.data;

import io.vecinfer.dataset.DatasetFormatException;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vecinfer.eval.metrics.LongBenchTask;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LongBenchRecordTest {

    private static final String GOOD = "{\"input\": \"q\", \"context\": \"c\", \"answers\": [\"a\"], \"length\": 10, "
            + "\"dataset\": \"hotpotqa\", \"language\": \"en\", \"all_classes\": null, \"_id\": \"x1\"}";

    @TempDir
    Path dir;

    @Test
    void loadsEveryFixtureDataset() throws IOException {
        for (String dataset : List.of("hotpotqa", "gov_report", "trec", "passage_retrieval_en", "passage_count", "lcc")) {
            List<LongBenchRecord> records = LongBenchRecord.load(Fixtures.path("longbench/" + dataset + ".jsonl"));
            assertTrue(records.size() >= 1, dataset);
            for (LongBenchRecord record : records) {
                assertEquals(dataset, record.dataset());
                LongBenchTask.fromDatasetName(record.dataset());
            }
        }
    }

    @Test
    void readsEveryField() throws IOException {
        List<LongBenchRecord> hotpot = LongBenchRecord.load(Fixtures.path("longbench/hotpotqa.jsonl"));
        assertEquals(2, hotpot.size());
        LongBenchRecord first = hotpot.get(0);
        assertEquals(List.of("Paris"), first.answers());
        assertEquals(3120, first.length());
        assertEquals("en", first.language());
        assertNull(first.allClasses());
        assertEquals("4a1d9a0e2c7b5f3e8d6c1b0a9f8e7d6c5b4a3f2e1d0c9b8a", first.id());
        assertTrue(first.context().startsWith("Passage 1:\nGarabit viaduct"));

        LongBenchRecord trec = LongBenchRecord.load(Fixtures.path("longbench/trec.jsonl")).get(0);
        assertEquals(50, trec.allClasses().size());
        assertTrue(trec.allClasses().contains("Animal"));
    }

    @Test
    void missingField() throws IOException {
        assertProblem(GOOD + "\n" + GOOD.replace("\"_id\": \"x1\"", "\"id\": \"x1\""), 2, "_id", "missing field");
    }

    @Test
    void answersNotAList() throws IOException {
        assertProblem(GOOD.replace("[\"a\"]", "\"a\""), 1, "answers", "should be a list of strings");
        assertProblem(GOOD.replace("[\"a\"]", "[\"a\", 3]"), 1, "answers", "element 1 should be a string");
    }

    @Test
    void lengthNotAnInteger() throws IOException {
        assertProblem(GOOD.replace("10,", "\"10\","), 1, "length", "should be an integer");
        assertProblem(GOOD.replace("10,", "10.5,"), 1, "length", "should be an integer");
    }

    @Test
    void allClassesMustBeAListOrNull() throws IOException {
        assertProblem(GOOD.replace("null", "\"Animal\""), 1, "all_classes", "should be a list of strings");
    }

    @Test
    void invalidJsonNamesFileAndLine() throws IOException {
        Path file = write("bad.jsonl", GOOD + "\n\n{\"input\": \"q\",\n");
        DatasetFormatException e = assertThrows(DatasetFormatException.class, () -> LongBenchRecord.load(file));
        assertEquals(3, e.line());
        assertTrue(e.getMessage().contains(file + ", line 3: invalid JSON"), e.getMessage());
        Path trailing = write("trailing.jsonl", GOOD + " {}");
        assertTrue(assertThrows(DatasetFormatException.class, () -> LongBenchRecord.load(trailing))
                .getMessage().contains("line 1: invalid JSON"));
        Path array = write("array.jsonl", "[1, 2]");
        assertTrue(assertThrows(DatasetFormatException.class, () -> LongBenchRecord.load(array))
                .getMessage().contains("expected a JSON object"));
    }

    @Test
    void emptyDatasetIsAnError() throws IOException {
        Path file = write("empty.jsonl", "\n  \n");
        DatasetFormatException e = assertThrows(DatasetFormatException.class, () -> LongBenchRecord.load(file));
        assertEquals(file + ": no records", e.getMessage());
    }

    private void assertProblem(String content, int line, String field, String problem) throws IOException {
        Path file = write("records.jsonl", content);
        DatasetFormatException e = assertThrows(DatasetFormatException.class, () -> LongBenchRecord.load(file));
        assertEquals(line, e.line());
        assertEquals(field, e.field());
        String expectedStart = file + ", line " + line + ", field '" + field + "': " + problem;
        assertTrue(e.getMessage().startsWith(expectedStart), e.getMessage());
    }

    private Path write(String name, String content) throws IOException {
        return Files.writeString(dir.resolve(name), content);
    }
}
