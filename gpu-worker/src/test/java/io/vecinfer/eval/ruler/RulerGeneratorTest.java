package io.vecinfer.eval.ruler;

import io.vecinfer.dataset.Datasets;
import io.vecinfer.dataset.TextDocument;
import io.vecinfer.testing.RepoPaths;
import io.vecinfer.tokenizer.Tokenizer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The generated suite on the shipped text and the reference model's tokenizer. */
class RulerGeneratorTest {
    private static Tokenizer tokenizer;
    private static String text;

    @BeforeAll
    static void load() throws Exception {
        tokenizer = Tokenizer.load(RepoPaths.referenceModel().resolve("tokenizer.json"));
        text = String.join("\n\n", TextDocument.load(Datasets.heldout(RepoPaths.root().resolve("datasets"))).stream()
                .map(TextDocument::text).toList());
    }

    private static RulerGenerator generator() {
        return new RulerGenerator(tokenizer, 0, text);
    }

    @ParameterizedTest
    @EnumSource(RulerKind.class)
    void twoGeneratorsBuildTheSameSamplesAndIndicesDiffer(RulerKind kind) {
        RulerGenerator a = generator(), b = generator();
        for (int length : new int[]{1024, 2048}) {
            RulerSample first = a.sample(kind, length, 3);
            RulerSample again = b.sample(kind, length, 3);
            assertEquals(first.id(), again.id());
            assertArrayEquals(first.prompt(), again.prompt());
            assertEquals(first.references(), again.references());
            assertFalse(Arrays.equals(first.prompt(), a.sample(kind, length, 4).prompt()), "sample 4 differs from sample 3");
        }
    }

    @ParameterizedTest
    @EnumSource(RulerKind.class)
    void promptsHaveTheirLengthAndHoldTheirAnswers(RulerKind kind) {
        RulerSample s = generator().sample(kind, 1024, 0);
        assertEquals(0, s.prompt()[0], "BOS first");
        if (kind == RulerKind.COMMON_WORDS) assertTrue(s.prompt().length <= 1024 && s.prompt().length > 900, "length " + s.prompt().length);
        else assertEquals(1024, s.prompt().length);
        String decoded = tokenizer.decode(Arrays.copyOfRange(s.prompt(), 1, s.prompt().length));
        for (String r : s.references()) assertTrue(decoded.contains(r), r + " in the prompt of " + s.id());
    }

    @Test
    void needlesCarryTheirValuesAndMultiKeyHasDistractors() {
        RulerSample s = generator().sample(RulerKind.NIAH_MULTIKEY, 2048, 5);
        String decoded = tokenizer.decode(s.prompt());
        Matcher needle = Pattern.compile("One of the special magic numbers for (\\w+) is: (\\d{7})\\.").matcher(decoded);
        Map<String, String> byKey = new HashMap<>();
        while (needle.find()) byKey.put(needle.group(1), needle.group(2));
        assertEquals(4, byKey.size(), decoded);
        assertEquals(1, s.references().size());
        String question = "What are all the special magic numbers for ";
        String asked = decoded.substring(decoded.lastIndexOf(question) + question.length()).split(" ")[0];
        assertEquals(byKey.get(asked), s.references().get(0));
    }

    @Test
    void variableTrackingReferencesAreTheWholeChain() {
        RulerSample s = generator().sample(RulerKind.VARIABLE_TRACKING, 1024, 2);
        String decoded = tokenizer.decode(s.prompt());
        assertEquals(5, s.references().size());
        assertTrue(decoded.matches("(?s).*VAR " + s.references().get(0) + " = \\d{5}\\..*"), decoded);
        for (int i = 1; i < 5; i++) {
            assertTrue(decoded.contains("VAR " + s.references().get(i) + " = VAR " + s.references().get(i - 1) + "."));
        }
    }

    @Test
    void theCommonWordsAreTheMostFrequentLines() {
        RulerSample s = generator().sample(RulerKind.COMMON_WORDS, 2048, 1);
        Map<String, Integer> counts = new HashMap<>();
        Matcher line = Pattern.compile("(?m)^\\d+\\. (\\w+)$").matcher(tokenizer.decode(s.prompt()));
        while (line.find()) counts.merge(line.group(1), 1, Integer::sum);
        List<String> top = counts.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
                .limit(10).map(Map.Entry::getKey).sorted().toList();
        assertEquals(s.references().stream().sorted().toList(), top);
        int leastCommon = s.references().stream().mapToInt(counts::get).min().orElseThrow();
        assertTrue(counts.size() > 50 && counts.values().stream().filter(c -> c < leastCommon).count() == counts.size() - 10,
                "ten words above all others: " + counts);
    }

    @Test
    void aLengthTooShortForTheTaskIsRefusedByName() {
        var e = assertThrows(IllegalArgumentException.class, () -> generator().sample(RulerKind.NIAH_MULTIQUERY, 100, 0));
        assertTrue(e.getMessage().startsWith("ruler_niah_multiquery-100-0000: 100 tokens cannot hold"), e.getMessage());
    }
}
