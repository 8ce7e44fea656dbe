package io.vecinfer.spark;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * {@code <out>/samples/config_hash=<hash>/_cell.json}: each cell's {@link CellIdentity} and the model
 * path it ran on, written by the driver before the cell's samples run (Spark's readers skip names that
 * start with '_'). They let a rerun say why a cell is new: an earlier cell with the same coordinates
 * (model path or fingerprint, method, task, context, batch size, seed) that differs in what it was
 * computed from, e.g. "the model's checkpoint files changed".
 */
final class CellManifests {
    static final String FILE = "_cell.json";
    private static final String MODEL_PATH = "model_path";
    private static final List<String> COORDINATES = List.of("method", "task", "context_length", "batch_size", "seed");
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private CellManifests() {
    }

    static void write(Path samples, String configHash, Map<String, Object> identity, String modelPath, Configuration conf) {
        Map<String, Object> manifest = new LinkedHashMap<>(identity);
        manifest.put(MODEL_PATH, modelPath);
        Path file = new Path(OutputLayout.cellDirectory(samples, configHash), FILE);
        try (FSDataOutputStream out = file.getFileSystem(conf).create(file, true)) {
            out.write(MAPPER.writeValueAsString(manifest).getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /** Every manifest under the samples folder; cells committed before manifests existed have none. */
    static List<Map<String, Object>> readAll(Path samples, Configuration conf) {
        List<Map<String, Object>> manifests = new ArrayList<>();
        try {
            FileSystem fs = samples.getFileSystem(conf);
            if (!fs.exists(samples)) return manifests;
            for (FileStatus dir : fs.listStatus(samples)) {
                if (!dir.isDirectory() || !dir.getPath().getName().startsWith(OutputLayout.PARTITION_COLUMN + "=")) continue;
                Path file = new Path(dir.getPath(), FILE);
                try (FSDataInputStream in = fs.open(file)) {
                    manifests.add(MAPPER.readValue(in.readAllBytes(), new TypeReference<Map<String, Object>>() { }));
                } catch (FileNotFoundException absent) {
                    // an older cell: nothing to compare with
                } catch (IOException unreadable) {
                    // a damaged manifest only costs the explanation, never a result
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + samples, e);
        }
        return manifests;
    }

    /**
     * Why a cell with no rows yet is computed although the output has a cell with its coordinates: the
     * inputs that differ; null when there is no such earlier cell (the cell is simply new).
     */
    static String whyNew(Map<String, Object> identity, String modelPath, Collection<Map<String, Object>> earlier) {
        Map<String, Object> mine = new LinkedHashMap<>(identity);
        mine.put(MODEL_PATH, modelPath);
        for (Map<String, Object> other : earlier) {
            // What was read back from JSON has Integer/Long as Jackson chose: compare as text.
            boolean sameCoordinates = COORDINATES.stream().allMatch(k -> String.valueOf(other.get(k)).equals(String.valueOf(mine.get(k))));
            boolean sameModel = Objects.equals(other.get(MODEL_PATH), modelPath) || Objects.equals(other.get("model"), mine.get("model"));
            if (!sameCoordinates || !sameModel) continue;
            List<String> changed = new ArrayList<>();
            for (Map.Entry<String, String> input : CellIdentity.INPUTS.entrySet().stream().sorted(Map.Entry.comparingByKey()).toList()) {
                Object before = other.get(input.getKey()), now = mine.get(input.getKey());
                if (String.valueOf(before).equals(String.valueOf(now))) continue;
                if (before instanceof Map<?, ?> b && now instanceof Map<?, ?> n) {
                    // Name the files that changed, not two maps of hashes.
                    List<String> files = n.keySet().stream().map(String::valueOf)
                            .filter(f -> !String.valueOf(b.get(f)).equals(String.valueOf(n.get(f)))).sorted().toList();
                    changed.add(input.getValue() + " changed: " + String.join(", ", files));
                } else {
                    changed.add(input.getValue() + " changed (" + before + " -> " + now + ")");
                }
            }
            if (!changed.isEmpty()) return String.join("; ", changed);
        }
        return null;
    }
}
