package io.vecinfer.tokenizer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/**
 * A parsed tokenizer.json and the one way to complain about it: every error names the file and
 * the field (as a dotted path such as {@code pre_tokenizer.pretokenizers[1].type}).
 */
final class TokenizerFile {

    private static final ObjectMapper JSON = new ObjectMapper();

    final Path path;
    final JsonNode root;

    private TokenizerFile(Path path, JsonNode root) {
        this.path = path;
        this.root = root;
    }

    static TokenizerFile read(Path path) {
        JsonNode root;
        try {
            root = JSON.readTree(path.toFile());
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(path + ": malformed JSON: " + e.getOriginalMessage()
                    + " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr(), e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read tokenizer file " + path, e);
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException(path + ": malformed JSON: expected an object at the top level");
        }
        return new TokenizerFile(path, root);
    }

    IllegalArgumentException invalid(String field, String problem) {
        return new IllegalArgumentException(path + ": field " + field + ": " + problem);
    }

    /** The child {@code name} of {@code parent} (itself at {@code parentField}); absent or null is an error. */
    JsonNode required(JsonNode parent, String parentField, String name) {
        JsonNode child = parent.get(name);
        if (child == null || child.isNull()) {
            throw invalid(join(parentField, name), "missing");
        }
        return child;
    }

    /** The child {@code name} as text; absent, null or not a string is an error. */
    String requiredText(JsonNode parent, String parentField, String name) {
        JsonNode child = required(parent, parentField, name);
        if (!child.isTextual()) {
            throw invalid(join(parentField, name), "expected a string, found " + child.getNodeType());
        }
        return child.asText();
    }

    /** Fails unless the boolean child {@code name} is absent or equals {@code supported}. */
    void requireFlag(JsonNode parent, String parentField, String name, boolean supported) {
        JsonNode child = parent.get(name);
        if (child != null && !child.isNull() && child.asBoolean() != supported) {
            throw invalid(join(parentField, name), child + " is not supported (only " + supported + ")");
        }
    }

    static String join(String parentField, String name) {
        return parentField.isEmpty() ? name : parentField + "." + name;
    }
}
