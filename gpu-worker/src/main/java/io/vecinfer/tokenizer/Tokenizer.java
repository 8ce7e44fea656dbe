package io.vecinfer.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.function.UnaryOperator;
import java.util.stream.IntStream;

/**
 * A byte-level BPE tokenizer read from a Hugging Face tokenizer.json, giving the ids HF
 * {@code tokenizers} gives for {@code encode(text, add_special_tokens=False)}.
 *
 * <p>The pipeline is HF's: cut out added tokens, normalize the rest, split it with the
 * pre-tokenizer's regexes, write each piece as byte-level characters, and merge each piece with
 * BPE. Instances are immutable apart from a bounded cache and safe to share between threads.
 * Anything in the file this class cannot reproduce exactly is refused at load with an
 * {@link IllegalArgumentException} naming the file and the field.
 */
public final class Tokenizer {

    private final UnaryOperator<String> normalizer;
    private final AddedTokens matchedRaw;
    private final AddedTokens matchedNormalized;
    private final PreTokenizer preTokenizer;
    private final BpeModel model;
    private final Map<Integer, String> addedById = new HashMap<>();
    private final Map<String, Integer> addedByContent = new HashMap<>();
    private final String[] modelTokenById;
    private final int vocabSize;

    private Tokenizer(TokenizerFile file) {
        normalizer = readNormalizer(file);
        requireByteLevelDecoder(file);
        preTokenizer = PreTokenizer.from(file);
        model = BpeModel.from(file);
        modelTokenById = new String[model.vocab.values().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1];
        model.vocab.forEach((token, id) -> modelTokenById[id] = token);

        List<AddedTokens.AddedToken> added = AddedTokens.read(file);
        matchedRaw = AddedTokens.matchedRaw(added);
        matchedNormalized = AddedTokens.matchedNormalized(added, normalizer);
        for (AddedTokens.AddedToken token : added) {
            addedById.put(token.id(), token.content());
            addedByContent.put(token.content(), token.id());
        }
        // HF's get_vocab_size(with_added_tokens=True): the model's tokens and the added ones it lacks.
        vocabSize = model.vocab.size()
                + (int) addedByContent.keySet().stream().filter(content -> !model.vocab.containsKey(content)).count();
    }

    /** Reads a tokenizer.json; a file it cannot reproduce HF on gives an IllegalArgumentException naming the field. */
    public static Tokenizer load(Path tokenizerJson) {
        return new Tokenizer(TokenizerFile.read(tokenizerJson));
    }

    private static UnaryOperator<String> readNormalizer(TokenizerFile file) {
        JsonNode node = file.root.get("normalizer");
        if (node == null || node.isNull()) {
            return UnaryOperator.identity();
        }
        String type = file.requiredText(node, "normalizer", "type");
        return switch (type) {
            case "NFC", "NFD", "NFKC", "NFKD" -> {
                Normalizer.Form form = Normalizer.Form.valueOf(type);
                yield text -> Normalizer.normalize(text, form);
            }
            default -> throw file.invalid("normalizer.type",
                    "unsupported normalizer \"" + type + "\" (supported: none, NFC, NFD, NFKC, NFKD)");
        };
    }

    private static void requireByteLevelDecoder(TokenizerFile file) {
        String type = file.requiredText(file.required(file.root, "", "decoder"), "decoder", "type");
        if (!type.equals("ByteLevel")) {
            throw file.invalid("decoder.type", "unsupported decoder \"" + type + "\" (supported: ByteLevel)");
        }
    }

    /**
     * The ids of {@code text}, with no special tokens added around it; added tokens written in the
     * text (such as "<|begin_of_text|>") become their own ids, as in HF.
     */
    public int[] encode(String text) {
        IntStream.Builder ids = IntStream.builder();
        matchedRaw.split(text,
                raw -> matchedNormalized.split(normalizer.apply(raw), normalized -> encodeOrdinary(normalized, ids), ids::add),
                ids::add);
        return ids.build().toArray();
    }

    private void encodeOrdinary(String text, IntStream.Builder ids) {
        for (String piece : preTokenizer.split(text)) {
            for (int id : model.encode(piece)) {
                ids.add(id);
            }
        }
    }

    /**
     * The text of {@code ids}, special tokens included (HF's {@code skip_special_tokens=False}).
     * Ids with no token are skipped and invalid UTF-8 becomes U+FFFD, both as in HF.
     */
    public String decode(int[] ids) {
        StringBuilder text = new StringBuilder();
        ByteArrayOutputStream pending = new ByteArrayOutputStream();
        for (int id : ids) {
            String added = addedById.get(id);
            if (added != null) {
                // HF writes added tokens out verbatim, decoding only the model tokens between them.
                text.append(pending.toString(StandardCharsets.UTF_8)).append(added);
                pending.reset();
            } else if (modelToken(id) != null) {
                ByteLevel.appendBytes(modelToken(id), pending);
            }
        }
        return text.append(pending.toString(StandardCharsets.UTF_8)).toString();
    }

    private String modelToken(int id) {
        return id >= 0 && id < modelTokenById.length ? modelTokenById[id] : null;
    }

    /** Every token, model and added; ids run from 0 to vocabSize() - 1 in the supported files. */
    public int vocabSize() {
        return vocabSize;
    }

    /** The id of a token as written in the vocabulary ("<|begin_of_text|>", or "Ġthe" for " the"). */
    public OptionalInt tokenId(String token) {
        Integer id = addedByContent.containsKey(token) ? addedByContent.get(token) : model.vocab.get(token);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    /** The token of an id as written in the vocabulary; {@link #decode} gives its text. */
    public String tokenText(int id) {
        String token = addedById.containsKey(id) ? addedById.get(id) : modelToken(id);
        if (token == null) {
            throw new IllegalArgumentException("no token has id " + id);
        }
        return token;
    }
}
