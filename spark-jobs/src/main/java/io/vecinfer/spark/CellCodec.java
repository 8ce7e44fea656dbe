package io.vecinfer.spark;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vecinfer.eval.task.Cell;

import java.util.Map;
import java.util.TreeMap;

/**
 * The canonical JSON of a {@link Cell} (keys sorted, no spaces), which ships cells to executors
 * ({@code Cell} is not Serializable), and its config hash ({@link CellIdentity}).
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

    /** The cell's config hash: that of its {@link CellIdentity}, what its results depend on, not where its files lie. */
    public static String configHash(Cell cell) {
        return CellIdentity.hash(CellIdentity.of(cell));
    }
}
