package io.vecinfer.dataset;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One JSON object read from a line of a JSONL file, with typed field access that fails with the
 * file, line and field. Types are checked strictly: a number where a string belongs is an error, not
 * a conversion, since it means the file is not the format we think it is.
 */
public final class JsonRecord {

    private final JsonNode object;
    private final Path file;
    private final int line;

    JsonRecord(JsonNode object, Path file, int line) {
        this.object = object;
        this.file = file;
        this.line = line;
    }

    public String text(String field) throws DatasetFormatException {
        JsonNode value = required(field);
        if (!value.isTextual()) {
            throw wrongType(field, "a string", value);
        }
        return value.textValue();
    }

    public int integer(String field) throws DatasetFormatException {
        JsonNode value = required(field);
        if (!value.isIntegralNumber() || !value.canConvertToInt()) {
            throw wrongType(field, "an integer", value);
        }
        return value.intValue();
    }

    public double number(String field) throws DatasetFormatException {
        JsonNode value = required(field);
        if (!value.isNumber()) {
            throw wrongType(field, "a number", value);
        }
        return value.doubleValue();
    }

    public List<String> textList(String field) throws DatasetFormatException {
        JsonNode value = required(field);
        if (!value.isArray()) {
            throw wrongType(field, "a list of strings", value);
        }
        List<String> texts = new ArrayList<>(value.size());
        for (int i = 0; i < value.size(); i++) {
            JsonNode element = value.get(i);
            if (!element.isTextual()) {
                throw problem(field, "element " + i + " should be a string, but is " + describe(element));
            }
            texts.add(element.textValue());
        }
        return List.copyOf(texts);
    }

    /** A field that must be present but may be JSON null, such as LongBench's all_classes. */
    public List<String> nullableTextList(String field) throws DatasetFormatException {
        return required(field).isNull() ? null : textList(field);
    }

    public DatasetFormatException problem(String field, String problem) {
        return new DatasetFormatException(file, line, field, problem);
    }

    private JsonNode required(String field) throws DatasetFormatException {
        JsonNode value = object.get(field);
        if (value == null) {
            throw problem(field, "missing field");
        }
        return value;
    }

    private DatasetFormatException wrongType(String field, String expected, JsonNode actual) {
        return problem(field, "should be " + expected + ", but is " + describe(actual));
    }

    private static String describe(JsonNode node) {
        String shown = node.toString();
        String excerpt = shown.length() > 40 ? shown.substring(0, 40) + "…" : shown;
        return node.getNodeType().toString().toLowerCase(Locale.ROOT) + " " + excerpt;
    }
}
