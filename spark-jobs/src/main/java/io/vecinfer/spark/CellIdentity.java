package io.vecinfer.spark;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vecinfer.calibrate.ModelIdentity;
import io.vecinfer.dataset.Datasets;
import io.vecinfer.eval.task.Cell;
import io.vecinfer.eval.task.TaskRegistry;
import io.vecinfer.fingerprint.FileHashes;
import io.vecinfer.quant.MethodSpec;
import io.vecinfer.quant.VqSpec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * Everything a cell's results depend on, by content rather than by where it lies: the model's
 * checkpoint fingerprint ({@link ModelIdentity}), the method in canonical form, the codebook file's
 * sha256, the task and its settings (prefill included), the sha256 of each dataset file the task reads and of
 * each input file the sweep gives it (and of the
 * calibration text, for a VQ method calibrated on demand), and the {@link CodeVersion}. Its canonical
 * JSON hashes to the cell's config_hash. So weights changed in place, a new dataset file or new code
 * make new cells, while a model or datasets folder moved elsewhere keeps its cells and their rows.
 * File contents are hashed through {@link FileHashes}' cache, so a checkpoint is not re-read per run.
 */
public final class CellIdentity {
    /** The fields that are not coordinates of a cell but what it was computed from: what a rerun can say changed. */
    static final Map<String, String> INPUTS = Map.of(
            "model", "the model's checkpoint files",
            "codebook", "the codebook file",
            "datasets", "the dataset files",
            "task_inputs", "the task's input files",
            "calibration_text", "the calibration text",
            "code_version", "the code");

    private static final ObjectMapper MAPPER = new ObjectMapper();
    static final String CALIBRATION_TEXT = "calibration/calibration.jsonl";

    private CellIdentity() {
    }

    /** The identity's fields, sorted; the cell's paths must exist (the sweep was validated). */
    public static Map<String, Object> of(Cell cell) {
        Path datasets = Datasets.folder();
        MethodSpec method = MethodSpec.parse(cell.method());
        Map<String, Object> fields = new TreeMap<>();
        fields.put("model", ModelIdentity.of(Path.of(cell.model())));
        fields.put("method", method.spec());
        fields.put("codebook", cell.codebook() == null ? null : "sha256:" + FileHashes.sha256(Path.of(cell.codebook())));
        fields.put("task", cell.task());
        fields.put("context_length", cell.contextLength());
        // The request, not the batch the device chose: "auto" is one cell whatever memory each run finds.
        fields.put("batch_size", cell.batch().auto() ? io.vecinfer.eval.task.BatchSize.AUTO_LABEL : cell.batchSize());
        fields.put("seed", cell.seed());
        fields.put("prefill", cell.prefill().label());
        // A task's own inputs (a user's LongBench or GSM8K files, shots): files by content, like the datasets.
        Map<String, String> inputs = new TreeMap<>();
        cell.inputs().forEach((key, value) -> inputs.put(key, SweepSpec.Task.isFileInput(key) ? fileHash(Path.of(value)) : value));
        fields.put("task_inputs", inputs);
        Map<String, String> files = new TreeMap<>();
        for (String file : TaskRegistry.task(cell.task()).datasetFiles()) files.put(file, fileHash(datasets.resolve(file)));
        fields.put("datasets", files);
        // On-demand calibration reads the shipped calibration text: its codebooks, and so the results, depend on it.
        if (method instanceof VqSpec && cell.codebook() == null) fields.put("calibration_text", fileHash(datasets.resolve(CALIBRATION_TEXT)));
        fields.put("code_version", CodeVersion.get());
        return fields;
    }

    public static String json(Map<String, Object> identity) {
        try {
            return MAPPER.writeValueAsString(identity);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The config hash: the first 16 hex digits of the sha256 of the identity's JSON. */
    public static String hash(Map<String, Object> identity) {
        return Hashes.name(json(identity));
    }

    private static String fileHash(Path file) {
        return Files.isRegularFile(file) ? "sha256:" + FileHashes.sha256(file) : "absent";
    }
}
