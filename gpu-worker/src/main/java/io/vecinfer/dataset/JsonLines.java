package io.vecinfer.dataset;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Reading JSONL: one JSON object a line, blank lines skipped, an empty file an error. */
public final class JsonLines {

    /** Shared and thread-safe once configured. Trailing tokens fail, as Python's json.loads does. */
    static final ObjectMapper MAPPER = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private JsonLines() {}

    /** The mapper that reads JSONL, for writers whose lines must read back the same way. */
    public static ObjectMapper mapper() {
        return MAPPER;
    }

    /** Turns one line's object into a record, or says which field is wrong. */
    @FunctionalInterface
    public interface RecordParser<T> {
        T parse(JsonRecord record) throws DatasetFormatException;
    }

    public static <T> List<T> read(Path file, RecordParser<T> parser) throws IOException {
        List<T> records = new ArrayList<>();
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            int lineNumber = 0;
            for (String line; (line = reader.readLine()) != null; ) {
                lineNumber++;
                if (!line.isBlank()) {
                    records.add(parser.parse(new JsonRecord(parseObject(file, lineNumber, line), file, lineNumber)));
                }
            }
        }
        if (records.isEmpty()) {
            throw new DatasetFormatException(file, 0, null, "no records");
        }
        return List.copyOf(records);
    }

    private static JsonNode parseObject(Path file, int lineNumber, String line) throws DatasetFormatException {
        JsonNode node;
        try {
            node = MAPPER.readTree(line);
        } catch (JsonProcessingException e) {
            throw new DatasetFormatException(file, lineNumber, null, "invalid JSON: " + e.getOriginalMessage());
        }
        if (!node.isObject()) {
            throw new DatasetFormatException(file, lineNumber, null, "expected a JSON object, got " + node.getNodeType());
        }
        return node;
    }
}
