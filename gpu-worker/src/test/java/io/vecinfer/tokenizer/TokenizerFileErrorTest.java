package io.vecinfer.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A tokenizer.json that cannot be reproduced exactly is refused, naming the file and the field. */
class TokenizerFileErrorTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void wordPieceModel() throws IOException {
        assertRejected(root -> model(root).put("type", "WordPiece"), "model.type", "WordPiece");
    }

    @Test
    void unigramModel() throws IOException {
        assertRejected(root -> model(root).put("type", "Unigram"), "model.type", "Unigram");
    }

    @Test
    void unknownPreTokenizer() throws IOException {
        assertRejected(root -> ((ArrayNode) root.get("pre_tokenizer").get("pretokenizers")).set(0, type("Metaspace")),
                "pre_tokenizer.pretokenizers[0].type", "Metaspace");
    }

    @Test
    void unknownNormalizer() throws IOException {
        assertRejected(root -> root.set("normalizer", type("Lowercase")), "normalizer.type", "Lowercase");
    }

    @Test
    void unknownDecoder() throws IOException {
        assertRejected(root -> root.set("decoder", type("WordPiece")), "decoder.type", "WordPiece");
    }

    @Test
    void missingVocab() throws IOException {
        assertRejected(root -> model(root).remove("vocab"), "model.vocab", "missing");
    }

    @Test
    void mergeOfUnknownToken() throws IOException {
        assertRejected(root -> ((ArrayNode) model(root).get("merges")).insertArray(0).add("Ġ").add("no-such-token"),
                "model.merges[0]", "no-such-token");
    }

    @Test
    void truncatedJson() throws IOException {
        Path file = dir.resolve("truncated.json");
        String whole = Files.readString(TokenizerFixtures.tokenizerJson("shipped"));
        Files.writeString(file, whole.substring(0, whole.length() / 2));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tokenizer.load(file));
        assertMentions(e, file.toString(), "malformed JSON");
    }

    /** The same merges written as "left right" strings instead of arrays give the same ids. */
    @Test
    void mergesAsStrings() throws IOException {
        Path file = write(root -> {
            ArrayNode merges = (ArrayNode) model(root).get("merges");
            for (int i = 0; i < merges.size(); i++) {
                merges.set(i, merges.get(i).get(0).asText() + " " + merges.get(i).get(1).asText());
            }
        });
        Tokenizer shipped = TokenizerFixtures.tokenizer("shipped");
        String text = String.join("\n", TokenizerFixtures.texts());
        assertArrayEquals(shipped.encode(text), Tokenizer.load(file).encode(text));
    }

    private void assertRejected(Consumer<ObjectNode> change, String field, String detail) throws IOException {
        Path file = write(change);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tokenizer.load(file));
        assertMentions(e, file.toString(), field, detail);
    }

    private static void assertMentions(Exception e, String... parts) {
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), () -> "message \"" + e.getMessage() + "\" lacks \"" + part + "\"");
        }
    }

    /** The shipped tokenizer.json with one change, written to the temporary folder. */
    private Path write(Consumer<ObjectNode> change) throws IOException {
        ObjectNode root = (ObjectNode) JSON.readTree(TokenizerFixtures.tokenizerJson("shipped").toFile());
        change.accept(root);
        Path file = dir.resolve("tokenizer.json");
        JSON.writeValue(file.toFile(), root);
        return file;
    }

    private static ObjectNode model(JsonNode root) {
        return (ObjectNode) root.get("model");
    }

    private static ObjectNode type(String type) {
        return JSON.createObjectNode().put("type", type);
    }
}
