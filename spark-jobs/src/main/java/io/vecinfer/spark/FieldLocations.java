package io.vecinfer.spark;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

/**
 * The line where each field of a parsed JSON or YAML document starts, so that problems found after
 * binding (an unknown task, a missing model folder) can still point at a line. Keys are JSON pointers.
 */
final class FieldLocations {
    private final Map<String, Integer> lines = new HashMap<>();

    static FieldLocations scan(JsonParser parser) throws IOException {
        FieldLocations locations = new FieldLocations();
        for (JsonToken token = parser.nextToken(); token != null; token = parser.nextToken()) {
            if (token == JsonToken.END_OBJECT || token == JsonToken.END_ARRAY) continue;
            String pointer = parser.getParsingContext().pathAsPointer().toString();
            locations.lines.putIfAbsent(pointer, parser.currentTokenLocation().getLineNr());
        }
        return locations;
    }

    /** The line of the field, or of its nearest enclosing field, or 0. */
    int lineOf(String pointer) {
        for (JsonPointer p = JsonPointer.compile(pointer); p != null; p = p.head()) {
            Integer line = lines.get(p.toString());
            if (line != null) return line;
        }
        return 0;
    }

    /** {@code /tasks/1/name} as people write it: {@code tasks[1].name}. */
    static String fieldName(String pointer) {
        StringBuilder out = new StringBuilder();
        for (String part : pointer.split("/")) {
            if (part.isEmpty()) continue;
            if (part.chars().allMatch(Character::isDigit)) out.append('[').append(part).append(']');
            else out.append(out.length() == 0 ? "" : ".").append(part.replace("~1", "/").replace("~0", "~"));
        }
        return out.toString();
    }
}
