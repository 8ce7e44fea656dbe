package io.vecinfer.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.IntConsumer;
import java.util.function.UnaryOperator;

/**
 * Tokens such as {@code <|begin_of_text|>} or {@code <think>} that HF cuts out of the text whole,
 * before normalization and BPE see it, whether or not they are flagged special.
 */
final class AddedTokens {

    /** One entry of {@code added_tokens}. {@code normalized}: matched in the normalized text rather than the raw text. */
    record AddedToken(int id, String content, boolean special, boolean normalized) {}

    /** Candidates by their first character, longest first, so the first that fits is HF's leftmost-longest match. */
    private final Map<Character, List<AddedToken>> byFirstChar = new HashMap<>();

    private AddedTokens(List<AddedToken> tokens) {
        for (AddedToken token : tokens) {
            byFirstChar.computeIfAbsent(token.content().charAt(0), c -> new ArrayList<>()).add(token);
        }
        byFirstChar.values().forEach(list -> list.sort(Comparator.comparingInt((AddedToken t) -> t.content().length()).reversed()));
    }

    static List<AddedToken> read(TokenizerFile file) {
        JsonNode entries = file.root.path("added_tokens");
        List<AddedToken> tokens = new ArrayList<>();
        for (int i = 0; i < entries.size(); i++) {
            JsonNode entry = entries.get(i);
            String field = "added_tokens[" + i + "]";
            // These change which whitespace a match swallows; none of the supported models use them.
            for (String flag : List.of("lstrip", "rstrip", "single_word")) {
                file.requireFlag(entry, field, flag, false);
            }
            JsonNode id = file.required(entry, field, "id");
            if (!id.canConvertToInt() || id.asInt() < 0) {
                throw file.invalid(field + ".id", "expected a non-negative integer, found " + id);
            }
            String content = file.requiredText(entry, field, "content");
            if (content.isEmpty()) {
                throw file.invalid(field + ".content", "empty");
            }
            tokens.add(new AddedToken(id.asInt(), content,
                    entry.path("special").asBoolean(false), entry.path("normalized").asBoolean(false)));
        }
        return tokens;
    }

    /** The tokens matched in raw text ({@code normalized == false}). */
    static AddedTokens matchedRaw(List<AddedToken> tokens) {
        return new AddedTokens(tokens.stream().filter(t -> !t.normalized()).toList());
    }

    /** The tokens matched after normalization, their content normalized the same way. */
    static AddedTokens matchedNormalized(List<AddedToken> tokens, UnaryOperator<String> normalizer) {
        return new AddedTokens(tokens.stream().filter(AddedToken::normalized)
                .map(t -> new AddedToken(t.id(), normalizer.apply(t.content()), t.special(), true)).toList());
    }

    /** Walks {@code text} in order: each added token to {@code onToken}, each non-empty stretch between to {@code onText}. */
    void split(String text, Consumer<String> onText, IntConsumer onToken) {
        int textStart = 0;
        int i = 0;
        while (i < text.length()) {
            AddedToken match = matchAt(text, i);
            if (match == null) {
                i++;
                continue;
            }
            if (textStart < i) {
                onText.accept(text.substring(textStart, i));
            }
            onToken.accept(match.id());
            i += match.content().length();
            textStart = i;
        }
        if (textStart < text.length()) {
            onText.accept(text.substring(textStart));
        }
    }

    private AddedToken matchAt(String text, int i) {
        List<AddedToken> candidates = byFirstChar.get(text.charAt(i));
        if (candidates != null) {
            for (AddedToken candidate : candidates) {
                if (text.startsWith(candidate.content(), i)) {
                    return candidate;
                }
            }
        }
        return null;
    }
}
