package io.vecinfer.spark;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.vecinfer.eval.task.Cell;

import java.util.Map;
import java.util.TreeMap;

/**
 * The canonical JSON of a {@link Cell} (keys sorted, no spaces), which ships cells to executors
 * ({@code Cell} is not Serializable), and its config hash ({@link CellIdentity}).
 */
public final class CellCodec {
    /** Enums as the JSON spells them ({@code "prefill": "exact"}). */
    private static final ObjectMapper MAPPER = JsonMapper.builder().enable(MapperFeature.ACCEPT_CASE_INSENSITIVE_ENUMS).build();

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
        fields.put("prefill", cell.prefill().label());
        fields.put("inputs", cell.inputs());
        try {
            return MAPPER.writeValueAsString(fields);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The cell's task inputs as canonical JSON (keys sorted), or null when it has none: the rows' task_inputs. */
    public static String inputsJson(Cell cell) {
        if (cell.inputs().isEmpty()) return null;
        try {
            return MAPPER.writeValueAsString(cell.inputs());
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
