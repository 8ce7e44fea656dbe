package io.vecinfer.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vecinfer.decoder.Decoder;
import io.vecinfer.decoder.Sequence;
import io.vecinfer.kvcache.DenseKvCache;
import io.vecinfer.safetensors.SafeTensorsException;
import io.vecinfer.safetensors.SafeTensorsWriter;
import io.vecinfer.testing.RepoPaths;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every bad checkpoint is refused with a message that names the file and the tensor or field. */
class CheckpointErrorsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private Path copyOf(String arch) throws IOException {
        Path from = RepoPaths.fixtures().resolve("tiny").resolve(arch);
        Path to = tmp.resolve(arch);
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from)) {
            for (Path f : files.toList()) Files.copy(f, to.resolve(f.getFileName()));
        }
        return to;
    }

    private static void assertMessage(RuntimeException e, String... parts) {
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), "message '" + e.getMessage() + "' lacks '" + part + "'");
        }
    }

    @Test
    void missingSafetensorsFile() throws IOException {
        Path folder = copyOf("mistral");
        Files.delete(folder.resolve("model.safetensors"));
        var e = assertThrows(CheckpointException.class, () -> Model.load(folder));
        assertMessage(e, folder.toString(), "model.safetensors");
    }

    @Test
    void missingShardNamedByIndex() throws IOException {
        Path folder = copyOf("llama3");
        Files.delete(folder.resolve("model-00003-of-00006.safetensors"));
        var e = assertThrows(SafeTensorsException.class, () -> Model.load(folder));
        assertMessage(e, "model-00003-of-00006.safetensors", "not found");
    }

    @Test
    void truncatedSafetensorsFile() throws IOException {
        Path folder = copyOf("qwen2");
        Path file = folder.resolve("model.safetensors");
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, java.util.Arrays.copyOf(bytes, bytes.length - 100));
        var e = assertThrows(SafeTensorsException.class, () -> Model.load(folder));
        assertMessage(e, file.toString(), "truncated", "tensor '");
    }

    @Test
    void corruptHeader() throws IOException {
        Path folder = copyOf("qwen2");
        Path file = folder.resolve("model.safetensors");
        byte[] bytes = Files.readAllBytes(file);
        bytes[9] = '#';
        Files.write(file, bytes);
        var e = assertThrows(SafeTensorsException.class, () -> Model.load(folder));
        assertMessage(e, file.toString(), "corrupt header");
    }

    @Test
    void unknownDtypeInHeader() throws IOException {
        Path folder = copyOf("qwen2");
        Path file = folder.resolve("model.safetensors");
        byte[] bytes = Files.readAllBytes(file);
        long headerLength = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        String header = new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8);
        String changed = header.replaceFirst("\"F32\"", "\"F8X\"");
        System.arraycopy(changed.getBytes(StandardCharsets.UTF_8), 0, bytes, 8, (int) headerLength);
        Files.write(file, bytes);
        var e = assertThrows(SafeTensorsException.class, () -> Model.load(folder));
        assertMessage(e, file.toString(), "tensor '", "unknown dtype 'F8X'");
    }

    @Test
    void shapeMismatch() throws IOException {
        Path folder = copyOf("mistral");
        ObjectNode config = (ObjectNode) JSON.readTree(folder.resolve("config.json").toFile());
        config.put("intermediate_size", 96);
        JSON.writeValue(folder.resolve("config.json").toFile(), config);
        var e = assertThrows(CheckpointException.class, () -> Model.load(folder));
        assertMessage(e, "model.safetensors", "tensor 'model.layers.0.mlp.gate_proj.weight'", "shape [160, 64]", "expected [96, 64]");
    }

    @Test
    void dtypeMismatch() throws IOException {
        Path folder = copyOf("mistral");
        Path file = folder.resolve("model.safetensors");
        try (var original = io.vecinfer.safetensors.SafeTensorsFile.open(file)) {
            SafeTensorsWriter writer = new SafeTensorsWriter();
            for (var info : original.tensors().values()) {
                if (info.name().equals("model.norm.weight")) {
                    writer.i32(info.name(), new int[(int) info.elements()], info.shape());
                } else {
                    writer.f32(info.name(), original.readFloats(info.name()), info.shape());
                }
            }
            Path rewritten = tmp.resolve("rewritten.safetensors");
            writer.write(rewritten);
            Files.move(rewritten, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        var e = assertThrows(CheckpointException.class, () -> Model.load(folder));
        assertMessage(e, file.toString(), "tensor 'model.norm.weight'", "dtype I32");
    }

    @Test
    void missingTensor() throws IOException {
        Path folder = copyOf("qwen3");
        ObjectNode config = (ObjectNode) JSON.readTree(folder.resolve("config.json").toFile());
        config.put("num_hidden_layers", 3);
        JSON.writeValue(folder.resolve("config.json").toFile(), config);
        var e = assertThrows(CheckpointException.class, () -> Model.load(folder));
        assertMessage(e, folder.toString(), "tensor 'model.layers.2.");
    }

    @Test
    void unknownArchitecture() throws IOException {
        Path folder = copyOf("qwen3");
        ObjectNode config = (ObjectNode) JSON.readTree(folder.resolve("config.json").toFile());
        config.put("model_type", "gpt_neox");
        JSON.writeValue(folder.resolve("config.json").toFile(), config);
        var e = assertThrows(CheckpointException.class, () -> Model.load(folder));
        assertMessage(e, "config.json", "model_type", "gpt_neox");
    }

    @Test
    void unsupportedRopeScaling() throws IOException {
        Path folder = copyOf("llama3");
        ObjectNode config = (ObjectNode) JSON.readTree(folder.resolve("config.json").toFile());
        ((ObjectNode) config.get("rope_parameters")).put("rope_type", "yarn");
        JSON.writeValue(folder.resolve("config.json").toFile(), config);
        var e = assertThrows(CheckpointException.class, () -> Model.load(folder));
        assertMessage(e, "config.json", "rope_parameters.rope_type", "yarn");
    }

    @Test
    void promptLongerThanContext() throws IOException {
        try (Model model = Model.load(RepoPaths.fixtures().resolve("tiny/qwen2"))) {
            int context = model.config().contextLength();
            var decoder = new Decoder(model);
            var sequence = new Sequence<>(DenseKvCache.factory(DenseKvCache.Precision.FP32).create(model.kvLayout()));
            var e = assertThrows(IllegalArgumentException.class,
                    () -> decoder.forwardLast(List.of(sequence), List.of(new int[context + 1])));
            assertMessage(e, String.valueOf(context + 1), "context of " + context, "max_position_embeddings");
        }
    }
}
