package io.vecinfer.spark;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vecinfer.eval.task.Cell;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;

/**
 * The canonical JSON of a {@link Cell} (keys sorted, no spaces) and its config hash, the first 16 hex
 * digits of its sha256. The same JSON ships cells to executors ({@code Cell} is not Serializable), so
 * the hash an executor writes is by construction the hash of the cell it ran.
 */
public final class CellCodec {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private CellCodec() {
    }

    public static String toJson(Cell cell) {
        Map<String, Object> fields = new TreeMap<>();
        fields.put("model", cell.model());
        fields.put("method", cell.method());
        fields.put("codebook", cell.codebook());
        fields.put("task", cell.task());
        fields.put("contextLength", cell.contextLength());
        fields.put("batchSize", cell.batchSize());
        fields.put("seed", cell.seed());
        try {
            return MAPPER.writeValueAsString(fields);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public static Cell fromJson(String json) {
        try {
            return MAPPER.readValue(json, Cell.class);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not a cell: " + json, e);
        }
    }

    public static String configHash(Cell cell) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(toJson(cell).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
