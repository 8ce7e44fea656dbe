package io.vecinfer.eval.task;

import io.vecinfer.eval.data.Gsm8kRecord;
import io.vecinfer.eval.data.LongBenchRecord;
import io.vecinfer.eval.metrics.Gsm8kExtraction;
import io.vecinfer.eval.metrics.Gsm8kMatch;
import io.vecinfer.eval.metrics.LengthBucket;
import io.vecinfer.eval.metrics.LongBenchScorer;
import io.vecinfer.eval.metrics.LongBenchTask;
import io.vecinfer.kvcache.Prefill;
import io.vecinfer.testing.RepoPaths;
import io.vecinfer.tokenizer.Tokenizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The longbench and gsm8k tasks on the shipped fixture files (datasets/fixtures) and the shipped model. */
class UserFileTasksTest {
    private static final Path DATASETS = RepoPaths.root().resolve("datasets");
    private static final Path LONGBENCH = DATASETS.resolve("fixtures/longbench");
    private static final Path GSM8K = DATASETS.resolve("fixtures/gsm8k");
    private static final String MODEL = RepoPaths.referenceModel().toString();
    private static CpuCellRunner runner;
    private static Tokenizer tokenizer;

    @TempDir
    Path dir;

    @BeforeAll
    static void open() {
        runner = new CpuCellRunner(DATASETS);
        tokenizer = Tokenizer.load(RepoPaths.referenceModel().resolve("tokenizer.json"));
    }

    @AfterAll
    static void close() {
        runner.close();
    }

    private static Cell cell(String task, int context, Map<String, String> inputs) {
        return new Cell(MODEL, "fp16", null, task, context, 2, 0, Prefill.EXACT, inputs);
    }

    private List<TaskSample> samples(String task, int context, Map<String, String> inputs) {
        return new DatasetSampleCatalog(DATASETS).samples(cell(task, context, inputs));
    }

    private Path write(String name, String... lines) throws Exception {
        Path file = dir.resolve(name);
        Files.writeString(file, String.join("\n", lines) + "\n");
        return file;
    }

    @Test
    void longBenchTemplateIsFilledOnceWithContextAndInput() {
        LongBenchRecord r = new LongBenchRecord("Who {input} wrote it?", "Passage 1:\n{context} is literal", List.of("x"), 5,
                "hotpotqa", "en", null, "id");
        assertEquals("Answer the question based on the given passages. Only give me the answer and do not output any other words."
                + "\n\nThe following are given passages.\nPassage 1:\n{context} is literal\n\nAnswer the question based on the given"
                + " passages. Only give me the answer and do not output any other words.\n\nQuestion: Who {input} wrote it?\nAnswer:",
                LongBenchPrompts.prompt(LongBenchTask.HOTPOTQA, r));
        assertEquals("Please complete the code given below. \nint x = 1;\nx += 2;\nNext line of code:\n",
                LongBenchPrompts.prompt(LongBenchTask.REPOBENCH_P, new LongBenchRecord("x += 2;\n", "int x = 1;\n", List.of("y"), 3,
                        "repobench-p", "en", null, "c")));
    }

    @Test
    void truncationKeepsTheFirstAndLastHalfOfTheBudget() {
        int[] tokens = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
        assertArrayEquals(new int[]{1, 2, 3, 8, 9, 10}, LongBenchPrompts.truncateMiddle(tokens, 6));
        // pred.py: half = int(7 / 2) = 3, so an odd budget keeps one token less.
        assertArrayEquals(new int[]{1, 2, 3, 8, 9, 10}, LongBenchPrompts.truncateMiddle(tokens, 7));
        assertArrayEquals(tokens, LongBenchPrompts.truncateMiddle(tokens, 10));
    }

    @Test
    void longBenchSamplesAreTheTemplateAfterBosAndCutToTheBudget() throws Exception {
        Path file = LONGBENCH.resolve("hotpotqa.jsonl");
        LongBenchRecord first = LongBenchRecord.load(file).get(0);
        TaskSample whole = samples("longbench", 0, Map.of("file", file.toString())).get(0);
        int[] text = tokenizer.encode(LongBenchPrompts.prompt(LongBenchTask.HOTPOTQA, first));
        assertEquals("hotpotqa/" + first.id(), whole.id());
        assertEquals(0, whole.prompt()[0]);
        assertArrayEquals(text, Arrays.copyOfRange(whole.prompt(), 1, whole.prompt().length));
        assertEquals(32, whole.maxNewTokens());
        assertEquals(first.answers(), whole.references());
        assertEquals(first.length(), whole.contextWords());

        TaskSample cut = samples("longbench", 41, Map.of("file", file.toString())).get(0);
        int[] expected = new int[41];
        System.arraycopy(text, 0, expected, 1, 20);
        System.arraycopy(text, text.length - 20, expected, 21, 20);
        assertArrayEquals(expected, cut.prompt());
    }

    @Test
    void longBenchCellsRunAndScoreWithTheSubTasksMetric() {
        for (String subTask : List.of("hotpotqa", "trec", "passage_count")) {
            Cell cell = cell("longbench", 0, Map.of("file", LONGBENCH.resolve(subTask + ".jsonl").toString()));
            List<TaskSample> samples = new DatasetSampleCatalog(DATASETS).samples(cell);
            List<SampleResult> results = runner.run(cell, runner.sampleIds(cell, 2));
            LongBenchTask task = LongBenchTask.fromDatasetName(subTask);
            for (int i = 0; i < results.size(); i++) {
                SampleResult r = results.get(i);
                TaskSample s = samples.get(i);
                assertEquals(LongBenchScorer.sampleScore(task, r.prediction(), s.references(), s.classes()), r.scores().get("score"));
                assertTrue(r.generatedTokens() <= s.maxNewTokens());
                assertEquals(LengthBucket.of(s.contextWords()).label(), r.contextBucket());
            }
        }
    }

    @Test
    void badLongBenchFilesNameFileLineAndField() throws Exception {
        String good = Files.readAllLines(LONGBENCH.resolve("hotpotqa.jsonl")).get(0);
        Path noAnswers = write("no-answers.jsonl", good, good.replace("\"answers\"", "\"answer\""));
        assertEquals(noAnswers + ", line 2, field 'answers': missing field", error("longbench", 0, Map.of("file", noAnswers.toString())));
        Path noContext = write("no-context.jsonl", good.replace("\"context\"", "\"ctx\""));
        assertEquals(noContext + ", line 1, field 'context': missing field", error("longbench", 0, Map.of("file", noContext.toString())));
        Path unknown = write("unknown.jsonl", good.replace("\"dataset\": \"hotpotqa\"", "\"dataset\": \"hotpotqa_zh\""));
        assertTrue(error("longbench", 0, Map.of("file", unknown.toString()))
                .startsWith(unknown + ", line 1, field 'dataset': unknown sub-task 'hotpotqa_zh' (known: narrativeqa, qasper"));
        String tooLong = error("longbench", 4090, Map.of("file", LONGBENCH.resolve("hotpotqa.jsonl").toString()));
        assertTrue(tooLong.startsWith(LONGBENCH.resolve("hotpotqa.jsonl") + ", line 1, field 'context': a prompt of 4090 tokens")
                && tooLong.endsWith("cannot fit reference-model's context of 4096, even after truncation"), tooLong);
        assertEquals("longbench: needs inputs.file (a LongBench-format .jsonl)", error("longbench", 0, Map.of()));
        assertEquals("longbench: unknown input(s) [files] (known: [chat, file])", error("longbench", 0, Map.of("files", "x")));
    }

    @Test
    void gsm8kPromptIsTheHarnessesNShotFormat() {
        Gsm8kRecord shot = new Gsm8kRecord("What is 2+3?", "2+3 = <<2+3=5>>5\n#### 5");
        Gsm8kRecord problem = new Gsm8kRecord("What is 4*4?", "#### 16");
        assertEquals("Question: What is 2+3?\nAnswer: 2+3 = <<2+3=5>>5\n#### 5\n\nQuestion: What is 4*4?\nAnswer:",
                Gsm8kTask.prompt(List.of(shot), problem));
        assertEquals(" 16 is it.\n\n".length(), Gsm8kTask.stopAt(" 16 is it.\n\nQuestion: next"));
        assertEquals(-1, Gsm8kTask.stopAt(" 16"));
    }

    @Test
    void gsm8kCellsRunWithShotsFromTheTrainFileAndBothExtractions() throws Exception {
        Map<String, String> inputs = Map.of("file", GSM8K.resolve("test.jsonl").toString(),
                "trainFile", GSM8K.resolve("train.jsonl").toString(), "shots", "2");
        Cell cell = cell("gsm8k", 0, inputs);
        List<TaskSample> samples = new DatasetSampleCatalog(DATASETS).samples(cell);
        List<Gsm8kRecord> train = Gsm8kRecord.load(GSM8K.resolve("train.jsonl"));
        List<Gsm8kRecord> test = Gsm8kRecord.load(GSM8K.resolve("test.jsonl"));
        assertEquals(test.size(), samples.size());
        assertEquals(Gsm8kTask.prompt(train.subList(0, 2), test.get(0)), tokenizer.decode(Arrays.copyOfRange(samples.get(0).prompt(), 1,
                samples.get(0).prompt().length)));
        for (SampleResult r : runner.run(cell, List.of("gsm8k/test.jsonl-1", "gsm8k/test.jsonl-2"))) {
            assertTrue(!r.prediction().contains("Question:"), "the stop rule cuts at the next question: " + r.prediction());
            assertEquals(Gsm8kMatch.exactMatch(Gsm8kExtraction.STRICT_MATCH.extract(r.prediction()), r.reference()) ? 1.0 : 0.0,
                    r.scores().get("exact_match_strict"));
            assertEquals(Gsm8kMatch.exactMatch(Gsm8kExtraction.FLEXIBLE_EXTRACT.extract(r.prediction()), r.reference()) ? 1.0 : 0.0,
                    r.scores().get("exact_match_flexible"));
        }
    }

    @Test
    void badGsm8kInputsAreNamed() throws Exception {
        Path noMark = write("no-mark.jsonl", "{\"question\": \"q\", \"answer\": \"the answer is 5\"}");
        assertEquals(noMark + ", line 1, field 'answer': has no final answer after \"#### \"",
                error("gsm8k", 0, Map.of("file", noMark.toString())));
        Map<String, String> threeShots = Map.of("file", GSM8K.resolve("test.jsonl").toString(),
                "trainFile", GSM8K.resolve("train.jsonl").toString(), "shots", "3");
        String tooLong = error("gsm8k", 64, threeShots);
        assertTrue(tooLong.startsWith(GSM8K.resolve("test.jsonl") + ", record 1: a 3-shot prompt of ")
                && tooLong.contains("(budget 64) plus 256 new tokens cannot fit reference-model's context of 4096"), tooLong);
        assertTrue(error("gsm8k", 0, Map.of("file", GSM8K.resolve("test.jsonl").toString(),
                "trainFile", GSM8K.resolve("train.jsonl").toString())).endsWith("train.jsonl: 3 records, fewer than the 5 shots asked for"));
        assertEquals("gsm8k: inputs.shots: 'two' is not a count >= 0", error("gsm8k", 0, Map.of("file", noMark.toString(), "shots", "two")));
    }

    private String error(String task, int context, Map<String, String> inputs) {
        return assertThrows(RuntimeException.class, () -> samples(task, context, inputs)).getMessage();
    }
}
