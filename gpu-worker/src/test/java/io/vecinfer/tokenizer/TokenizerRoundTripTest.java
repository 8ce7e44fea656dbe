package io.vecinfer.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** decode(encode(text)) gives the text back, and decode treats bad ids and bad UTF-8 as HF does. */
class TokenizerRoundTripTest {

    @ParameterizedTest
    @ValueSource(strings = {"shipped", "llama3_1", "qwen3"})
    void fixtureTextsComeBack(String name) {
        Tokenizer tokenizer = TokenizerFixtures.tokenizer(name);
        for (String text : TokenizerFixtures.texts()) {
            assertEquals(text, tokenizer.decode(tokenizer.encode(text)));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"shipped", "llama3_1", "qwen3"})
    void randomUnicodeComesBack(String name) {
        Tokenizer tokenizer = TokenizerFixtures.tokenizer(name);
        Random random = new Random(20240917L);
        for (int i = 0; i < 500; i++) {
            String text = randomText(random, random.nextInt(80));
            assertEquals(text, tokenizer.decode(tokenizer.encode(text)), () -> "round trip of " + codePoints(text));
        }
    }

    /** Runs drawn from scripts and symbols that exercise every branch of the split regexes. */
    private static String randomText(Random random, int runs) {
        String[] whitespace = {" ", "  ", "\t", "\n", "\r\n", "\u00a0", "\u3000", "\u2003", "   \n  "};
        String[] emoji = {"😀", "🚀", "👍🏽", "👨\u200d👩\u200d👧", "🇯🇵"};
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < runs; i++) {
            int length = 1 + random.nextInt(6);
            switch (random.nextInt(7)) {
                case 0 -> appendRange(text, random, length, 0x20, 0x7E);
                case 1 -> appendRange(text, random, length, 0xA0, 0xFF);
                case 2 -> appendRange(text, random, length, 0x4E00, 0x9FFF);
                case 3 -> text.append(emoji[random.nextInt(emoji.length)]);
                case 4 -> text.append(whitespace[random.nextInt(whitespace.length)]);
                case 5 -> appendRange(text, random, length, '0', '9');
                default -> text.append(random.nextBoolean() ? "'s" : "'LL");
            }
        }
        return text.toString();
    }

    private static void appendRange(StringBuilder text, Random random, int length, int first, int last) {
        for (int i = 0; i < length; i++) {
            text.appendCodePoint(first + random.nextInt(last - first + 1));
        }
    }

    private static String codePoints(String text) {
        StringBuilder out = new StringBuilder();
        text.codePoints().forEach(c -> out.append(String.format("U+%04X ", c)));
        return out.toString();
    }

    @Test
    void truncatedUtf8BecomesOneReplacementCharacter() {
        Tokenizer shipped = TokenizerFixtures.tokenizer("shipped");
        String euroBytes = ByteLevel.encode("€"); // three byte-level characters, E2 82 AC
        int[] ids = {
            shipped.tokenId(euroBytes.substring(0, 1)).getAsInt(),
            shipped.tokenId(euroBytes.substring(1, 2)).getAsInt(),
            shipped.tokenId("a").getAsInt(),
        };
        // Rust's from_utf8_lossy replaces the incomplete sequence E2 82 as a whole.
        assertEquals("\ufffda", shipped.decode(ids));
    }

    @Test
    void idsWithoutATokenAreSkipped() {
        Tokenizer shipped = TokenizerFixtures.tokenizer("shipped");
        int a = shipped.tokenId("a").getAsInt();
        assertEquals("aa", shipped.decode(new int[] {a, shipped.vocabSize() + 7, -1, a}));
    }

    @Test
    void specialTokensDecodeVerbatim() {
        Tokenizer shipped = TokenizerFixtures.tokenizer("shipped");
        String text = "<|begin_of_text|>hi<|end_of_text|>";
        int[] ids = shipped.encode(text);
        assertEquals(0, ids[0]);
        assertEquals(1, ids[ids.length - 1]);
        assertEquals(text, shipped.decode(ids));
    }
}
