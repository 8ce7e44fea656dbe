package io.vecinfer.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Cuts normalized text into the pieces that BPE merges within: regex splits (each match and each
 * gap between matches becomes a piece, HF's "Isolated" behaviour), then the byte-level map.
 */
final class PreTokenizer {

    /** What HF's ByteLevel pre-tokenizer splits on when its use_regex is true (GPT-2's pattern). */
    private static final String GPT2_PATTERN =
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

    private final List<Pattern> splits;

    private PreTokenizer(List<Pattern> splits) {
        this.splits = splits;
    }

    /** Reads {@code pre_tokenizer}: Split steps, or a Sequence of them, ending in ByteLevel. */
    static PreTokenizer from(TokenizerFile file) {
        List<JsonNode> steps = new ArrayList<>();
        List<String> fields = new ArrayList<>();
        flatten(file, file.required(file.root, "", "pre_tokenizer"), "pre_tokenizer", steps, fields);

        if (steps.isEmpty()) {
            throw file.invalid("pre_tokenizer", "an empty Sequence; byte-level BPE needs a ByteLevel step");
        }
        List<Pattern> splits = new ArrayList<>();
        for (int i = 0; i < steps.size(); i++) {
            JsonNode step = steps.get(i);
            String field = fields.get(i);
            String type = file.requiredText(step, field, "type");
            boolean last = i == steps.size() - 1;
            switch (type) {
                case "Split" -> splits.add(splitPattern(file, step, field));
                case "ByteLevel" -> {
                    if (!last) {
                        throw file.invalid(field, "ByteLevel must be the last pre-tokenizer step");
                    }
                    file.requireFlag(step, field, "add_prefix_space", false);
                    if (!step.has("use_regex") || step.get("use_regex").asBoolean()) {
                        splits.add(compile(GPT2_PATTERN));
                    }
                }
                default -> throw file.invalid(field + ".type",
                        "unsupported pre-tokenizer \"" + type + "\" (supported: Sequence, Split, ByteLevel)");
            }
            if (last && !type.equals("ByteLevel")) {
                throw file.invalid(field, "the last pre-tokenizer step must be ByteLevel (byte-level BPE), found " + type);
            }
        }
        return new PreTokenizer(List.copyOf(splits));
    }

    private static void flatten(TokenizerFile file, JsonNode node, String field, List<JsonNode> steps, List<String> fields) {
        if (!file.requiredText(node, field, "type").equals("Sequence")) {
            steps.add(node);
            fields.add(field);
            return;
        }
        JsonNode children = file.required(node, field, "pretokenizers");
        for (int i = 0; i < children.size(); i++) {
            flatten(file, children.get(i), field + ".pretokenizers[" + i + "]", steps, fields);
        }
    }

    private static Pattern splitPattern(TokenizerFile file, JsonNode split, String field) {
        if (!file.requiredText(split, field, "behavior").equals("Isolated")) {
            throw file.invalid(field + ".behavior", "unsupported \"" + split.get("behavior").asText() + "\" (supported: Isolated)");
        }
        file.requireFlag(split, field, "invert", false);
        JsonNode pattern = file.required(split, field, "pattern");
        if (pattern.has("Regex")) {
            return compile(pattern.get("Regex").asText());
        }
        if (pattern.has("String")) {
            return Pattern.compile(Pattern.quote(pattern.get("String").asText()));
        }
        throw file.invalid(field + ".pattern", "expected {\"Regex\": ...} or {\"String\": ...}, found " + pattern);
    }

    /** HF's regex engine treats \s, \w and friends as Unicode classes; Java does only when asked. */
    private static Pattern compile(String regex) {
        return Pattern.compile(regex, Pattern.UNICODE_CHARACTER_CLASS);
    }

    /** The pieces of {@code text}, in order, each written in byte-level characters. */
    List<String> split(String text) {
        List<String> pieces = List.of(text);
        for (Pattern pattern : splits) {
            List<String> finer = new ArrayList<>();
            for (String piece : pieces) {
                splitIsolated(pattern, piece, finer);
            }
            pieces = finer;
        }
        List<String> byteLevel = new ArrayList<>(pieces.size());
        for (String piece : pieces) {
            byteLevel.add(ByteLevel.encode(piece));
        }
        return byteLevel;
    }

    private static void splitIsolated(Pattern pattern, String text, List<String> out) {
        Matcher matcher = pattern.matcher(text);
        int end = 0;
        while (matcher.find()) {
            addIfNotEmpty(text.substring(end, matcher.start()), out);
            addIfNotEmpty(matcher.group(), out);
            end = matcher.end();
        }
        addIfNotEmpty(text.substring(end), out);
    }

    private static void addIfNotEmpty(String piece, List<String> out) {
        if (!piece.isEmpty()) {
            out.add(piece);
        }
    }
}
