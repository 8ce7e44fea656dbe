package io.vecinfer.eval.ruler;

import io.vecinfer.dataset.Datasets;
import io.vecinfer.dataset.TextDocument;
import io.vecinfer.testing.RepoPaths;
import io.vecinfer.tokenizer.Tokenizer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.StringWriter;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The training examples share no seed, needle or answer with the evaluation's samples, and are reproducible. */
class RulerTrainingDataTest {
    /** RulerTask.SAMPLES: the evaluation's indices are 0..31 unless a limit asks for more. */
    private static final int EVAL_SAMPLES = 32;
    /** RulerTask.MAX_SAMPLES: the most indices a limit can ask for. */
    private static final int EVAL_MAX_SAMPLES = 1000;
    private static final int[] LENGTHS = {1024, 2048};
    private static final Pattern NEEDLE = Pattern.compile("One of the special magic numbers for \\w+ is: \\d{7}\\.|VAR [A-Z]{5} = [^.]+\\.");

    private static Tokenizer tokenizer;
    private static Path datasets;
    private static RulerGenerator evaluation, training;

    @BeforeAll
    static void load() throws Exception {
        tokenizer = Tokenizer.load(RepoPaths.referenceModel().resolve("tokenizer.json"));
        datasets = RepoPaths.root().resolve("datasets");
        evaluation = new RulerGenerator(tokenizer, 0, String.join("\n\n",
                TextDocument.load(Datasets.heldout(datasets)).stream().map(TextDocument::text).toList()));
        training = trainingGenerator();
    }

    private static RulerGenerator trainingGenerator() throws Exception {
        return new RulerGenerator(tokenizer, 0, RulerTrainingData.trainingText(Datasets.calibration(datasets), datasets));
    }

    @Test
    void trainingTextSharesNoDocumentWithTheHeldOutText() throws Exception {
        Set<String> heldout = new HashSet<>();
        for (TextDocument d : TextDocument.load(Datasets.heldout(datasets))) heldout.add(d.text());
        for (TextDocument d : TextDocument.load(Datasets.calibration(datasets))) assertFalse(heldout.contains(d.text()), d.id());
        assertThrows(IllegalArgumentException.class, () -> RulerTrainingData.trainingText(Datasets.heldout(datasets), datasets));
    }

    @Test
    void noTrainingSeedEqualsAnEvaluationSeedAtAnyLength() {
        for (RulerKind kind : RulerKind.values()) {
            Set<Long> eval = new HashSet<>();
            for (int length = 1; length <= 8192; length++) {
                for (int i = 0; i < EVAL_SAMPLES; i++) eval.add(RulerGenerator.seed(kind, length, i));
            }
            for (int length = 1; length <= 8192; length += 127) {
                for (int i : new int[]{RulerTrainingData.FIRST_INDEX, RulerTrainingData.INDEX_LIMIT - 1}) {
                    assertFalse(eval.contains(RulerGenerator.seed(kind, length, i)), kind + " " + length + " " + i);
                }
            }
        }
        assertThrows(IllegalArgumentException.class,
                () -> RulerTrainingData.examples(training, LENGTHS, RulerTrainingData.INDEX_LIMIT - RulerTrainingData.FIRST_INDEX + 1));
    }

    @Test
    void evenTheLargestEvaluationLimitStaysBelowEveryTrainingSeed() {
        // Seeds rise with the index within a length and jump past every index at the next length, so per kind the
        // evaluation's [L, 0..MAX) and training's [L, FIRST_INDEX..INDEX_LIMIT) are disjoint intervals in order.
        for (RulerKind kind : RulerKind.values()) {
            for (int length = 1; length <= 8192; length++) {
                long lastEval = RulerGenerator.seed(kind, length, EVAL_MAX_SAMPLES - 1);
                long firstTraining = RulerGenerator.seed(kind, length, RulerTrainingData.FIRST_INDEX);
                long lastTraining = RulerGenerator.seed(kind, length, RulerTrainingData.INDEX_LIMIT - 1);
                assertTrue(lastEval < firstTraining, kind + " " + length);
                assertTrue(lastTraining < RulerGenerator.seed(kind, length + 1, 0), kind + " " + length);
            }
        }
    }

    @Test
    void noTrainingExampleSharesANeedleOrAnswerWithTheEvaluation() {
        List<RulerTrainingData.Example> examples = RulerTrainingData.examples(training, LENGTHS, 4);
        assertEquals(LENGTHS.length * RulerKind.values().length * 4, examples.size());
        for (RulerTrainingData.Example e : examples) {
            Set<String> evalNeedles = new HashSet<>();
            Set<List<String>> evalAnswers = new HashSet<>();
            Set<Long> evalSeeds = new HashSet<>();
            for (int i = 0; i < EVAL_SAMPLES; i++) {
                RulerSample s = evaluation.sample(e.kind(), e.length(), i);
                evalNeedles.addAll(needles(s));
                evalAnswers.add(s.references());
                evalSeeds.add(RulerGenerator.seed(e.kind(), e.length(), i));
            }
            assertFalse(evalSeeds.contains(RulerGenerator.seed(e.kind(), e.length(), e.index())), e.sample().id());
            assertFalse(evalAnswers.contains(e.sample().references()), e.sample().id());
            List<String> own = needles(e.sample());
            if (e.kind() != RulerKind.COMMON_WORDS) assertFalse(own.isEmpty(), "needles found in " + e.sample().id());
            for (String n : own) assertFalse(evalNeedles.contains(n), n + " of " + e.sample().id());
        }
    }

    @Test
    void writersWithDisjointSkipsWriteSlicesOfOneSet() throws Exception {
        StringWriter whole = new StringWriter(), first = new StringWriter(), second = new StringWriter();
        RulerTrainingData.write(tokenizer, training, new int[]{1024}, 0, 3, whole);
        RulerTrainingData.write(tokenizer, training, new int[]{1024}, 0, 1, first);
        RulerTrainingData.write(tokenizer, training, new int[]{1024}, 1, 2, second);
        List<String> wholeLines = List.of(whole.toString().split("\n"));
        Set<String> slices = new HashSet<>(List.of(first.toString().split("\n")));
        slices.addAll(List.of(second.toString().split("\n")));
        assertEquals(3 * RulerKind.values().length, wholeLines.size());
        assertEquals(new HashSet<>(wholeLines), slices);
        assertThrows(IllegalArgumentException.class, () -> RulerTrainingData.examples(training, LENGTHS, -1, 1));
    }

    @Test
    void theOutputIsDeterministic() throws Exception {
        StringWriter a = new StringWriter(), b = new StringWriter();
        RulerTrainingData.write(tokenizer, training, new int[]{1024}, 2, a);
        RulerTrainingData.write(tokenizer, trainingGenerator(), new int[]{1024}, 2, b);
        assertEquals(a.toString(), b.toString());
        String[] lines = a.toString().split("\n");
        assertEquals(RulerKind.values().length * 2, lines.length);
        assertTrue(lines[0].startsWith("{\"kind\":\"niah_single\",\"length\":1024,\"index\":" + RulerTrainingData.FIRST_INDEX + ","), lines[0]);
        assertTrue(lines[0].contains("\"answer\":\""), "an answer field");
        assertFalse(lines[0].equals(lines[1]), "two indices, two examples");
    }

    private static List<String> needles(RulerSample s) {
        Matcher m = NEEDLE.matcher(tokenizer.decode(s.prompt()));
        List<String> found = new java.util.ArrayList<>();
        while (m.find()) found.add(m.group());
        return found;
    }
}
