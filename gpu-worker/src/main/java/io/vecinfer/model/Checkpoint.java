package io.vecinfer.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vecinfer.safetensors.DType;
import io.vecinfer.safetensors.SafeTensorsException;
import io.vecinfer.safetensors.SafeTensorsFile;
import io.vecinfer.safetensors.TensorInfo;
import io.vecinfer.tensor.WeightMatrix;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A Hugging Face checkpoint folder: config.json plus model.safetensors, or shards listed by
 * model.safetensors.index.json. Tensors are found by name across shards and memory-mapped.
 */
public final class Checkpoint implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path folder;
    private final ModelConfig config;
    private final Map<String, SafeTensorsFile> tensorToFile;
    private final List<SafeTensorsFile> files;

    private Checkpoint(Path folder, ModelConfig config, Map<String, SafeTensorsFile> tensorToFile, List<SafeTensorsFile> files) {
        this.folder = folder;
        this.config = config;
        this.tensorToFile = tensorToFile;
        this.files = files;
    }

    public static Checkpoint open(Path folder) {
        if (!Files.isDirectory(folder)) throw new CheckpointException(folder + ": not a checkpoint folder");
        ModelConfig config = ModelConfig.load(folder.resolve("config.json"));
        List<Path> shards = shardPaths(folder);
        List<SafeTensorsFile> files = new ArrayList<>();
        Map<String, SafeTensorsFile> byTensor = new HashMap<>();
        try {
            for (Path shard : shards) {
                SafeTensorsFile file = SafeTensorsFile.open(shard);
                files.add(file);
                for (String name : file.tensors().keySet()) byTensor.put(name, file);
            }
        } catch (SafeTensorsException e) {
            files.forEach(SafeTensorsFile::close);
            throw e;
        }
        return new Checkpoint(folder, config, byTensor, files);
    }

    private static List<Path> shardPaths(Path folder) {
        Path index = folder.resolve("model.safetensors.index.json");
        if (Files.exists(index)) {
            try {
                JsonNode map = JSON.readTree(Files.readString(index)).get("weight_map");
                if (map == null || !map.isObject()) throw new CheckpointException(index + ": field 'weight_map' is missing");
                LinkedHashMap<String, Path> unique = new LinkedHashMap<>();
                map.fields().forEachRemaining(e -> unique.put(e.getValue().asText(), folder.resolve(e.getValue().asText())));
                return new ArrayList<>(unique.values());
            } catch (IOException e) {
                throw new CheckpointException(index + ": cannot read: " + e.getMessage());
            }
        }
        Path single = folder.resolve("model.safetensors");
        if (Files.exists(single)) return List.of(single);
        try (Stream<Path> s = Files.list(folder)) {
            List<Path> found = s.filter(p -> {
                String name = p.getFileName().toString();
                return name.startsWith("model") && name.endsWith(".safetensors");
            }).sorted().toList();
            if (found.isEmpty()) {
                throw new CheckpointException(folder + ": no model.safetensors, model.safetensors.index.json"
                        + " or model-*.safetensors shards");
            }
            return found;
        } catch (IOException e) {
            throw new CheckpointException(folder + ": cannot list: " + e.getMessage());
        }
    }

    public Path folder() {
        return folder;
    }

    public ModelConfig config() {
        return config;
    }

    /** Every tensor name, with the shard file that holds it. */
    public Map<String, SafeTensorsFile> tensorFiles() {
        return java.util.Collections.unmodifiableMap(tensorToFile);
    }

    public boolean has(String name) {
        return tensorToFile.containsKey(name);
    }

    private SafeTensorsFile fileOf(String name) {
        SafeTensorsFile file = tensorToFile.get(name);
        if (file == null) throw new CheckpointException(folder + ": tensor '" + name + "' is missing from the checkpoint");
        return file;
    }

    private TensorInfo checked(String name, long... shape) {
        SafeTensorsFile file = fileOf(name);
        TensorInfo info = file.info(name);
        if (info.dtype() != DType.F32 && info.dtype() != DType.BF16 && info.dtype() != DType.F16) {
            throw new CheckpointException(file.path() + ": tensor '" + name + "' has dtype " + info.dtype()
                    + "; weights must be F32, BF16 or F16");
        }
        if (!info.hasShape(shape)) {
            throw new CheckpointException(file.path() + ": tensor '" + name + "' has shape " + info.shapeString()
                    + ", expected " + java.util.Arrays.toString(shape) + " from " + folder.resolve("config.json"));
        }
        return info;
    }

    public WeightMatrix matrix(String name, int rows, int cols) {
        TensorInfo info = checked(name, rows, cols);
        return new WeightMatrix(fileOf(name).map(name), info.dtype(), rows, cols);
    }

    public float[] vector(String name, int length) {
        checked(name, length);
        return fileOf(name).readFloats(name);
    }

    @Override
    public void close() {
        files.forEach(SafeTensorsFile::close);
    }
}
