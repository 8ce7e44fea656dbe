package io.vecinfer.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * A Hugging Face config.json of the Llama family, reduced to what the decoder needs. Architectures
 * differ only in flags: Qwen2 has q/k/v biases, Qwen3 RMS-normalises q and k per head before RoPE,
 * Llama 3.1 rescales RoPE frequencies; Mistral is Llama with an optional sliding window.
 */
public record ModelConfig(
        Architecture architecture,
        int vocabSize,
        int hiddenSize,
        int intermediateSize,
        int numLayers,
        int numHeads,
        int numKvHeads,
        int headDim,
        int maxPositions,
        float rmsNormEps,
        double ropeTheta,
        RopeScaling ropeScaling,
        boolean tieWordEmbeddings,
        boolean attentionBias,
        Integer slidingWindow,
        int bosTokenId,
        int eosTokenId) {

    public enum Architecture {
        LLAMA("llama"), MISTRAL("mistral"), QWEN2("qwen2"), QWEN3("qwen3");
        public final String modelType;

        Architecture(String modelType) {
            this.modelType = modelType;
        }

        boolean qkNorm() {
            return this == QWEN3;
        }
    }

    /** Llama 3.1's "llama3" frequency rescaling. */
    public record RopeScaling(double factor, double lowFreqFactor, double highFreqFactor, int originalMaxPositions) {
    }

    public boolean qkNorm() {
        return architecture.qkNorm();
    }

    public int kvGroupSize() {
        return numHeads / numKvHeads;
    }

    /** The longest sequence the model accepts: its position limit, or its sliding window if smaller. */
    public int contextLength() {
        return slidingWindow == null ? maxPositions : Math.min(maxPositions, slidingWindow);
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    public static ModelConfig load(Path file) {
        JsonNode root;
        try {
            root = JSON.readTree(Files.readString(file));
        } catch (NoSuchFileException e) {
            throw new CheckpointException(file + ": file not found");
        } catch (JsonProcessingException e) {
            throw new CheckpointException(file + ": not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new CheckpointException(file + ": cannot read: " + e.getMessage());
        }
        return parse(root, file.toString());
    }

    static ModelConfig parse(JsonNode root, String file) {
        Fields f = new Fields(root, file);
        String modelType = f.text("model_type");
        Architecture arch = null;
        for (Architecture a : Architecture.values()) if (a.modelType.equals(modelType)) arch = a;
        if (arch == null) {
            throw new CheckpointException(file + ": field 'model_type': unsupported architecture '" + modelType
                    + "' (supported: llama, mistral, qwen2, qwen3)");
        }
        String act = root.path("hidden_act").asText("silu");
        if (!act.equals("silu")) throw new CheckpointException(file + ": field 'hidden_act': unsupported '" + act + "'");
        int hidden = f.positiveInt("hidden_size");
        int heads = f.positiveInt("num_attention_heads");
        int kvHeads = root.hasNonNull("num_key_value_heads") ? f.positiveInt("num_key_value_heads") : heads;
        if (heads % kvHeads != 0) {
            throw new CheckpointException(file + ": field 'num_key_value_heads': " + kvHeads
                    + " does not divide num_attention_heads " + heads);
        }
        int headDim = root.hasNonNull("head_dim") ? f.positiveInt("head_dim") : hidden / heads;
        // transformers 5 nests theta and scaling in rope_parameters; older files use rope_theta + rope_scaling.
        JsonNode rope = root.hasNonNull("rope_parameters") ? root.get("rope_parameters") : root.path("rope_scaling");
        double theta = rope.hasNonNull("rope_theta") ? rope.get("rope_theta").asDouble()
                : root.path("rope_theta").asDouble(10000.0);
        RopeScaling scaling = ropeScaling(rope, file, root.hasNonNull("rope_parameters") ? "rope_parameters" : "rope_scaling");
        boolean bias = arch == Architecture.QWEN2 || root.path("attention_bias").asBoolean(false);
        if (root.path("mlp_bias").asBoolean(false)) {
            throw new CheckpointException(file + ": field 'mlp_bias': true is not supported");
        }
        Integer window = null;
        boolean windowUsed = arch == Architecture.MISTRAL || root.path("use_sliding_window").asBoolean(false);
        if (windowUsed && root.hasNonNull("sliding_window")) window = f.positiveInt("sliding_window");
        return new ModelConfig(arch, f.positiveInt("vocab_size"), hidden, f.positiveInt("intermediate_size"),
                f.positiveInt("num_hidden_layers"), heads, kvHeads, headDim, f.positiveInt("max_position_embeddings"),
                (float) root.path("rms_norm_eps").asDouble(1e-6), theta, scaling,
                root.path("tie_word_embeddings").asBoolean(false), bias, window,
                firstId(root.get("bos_token_id")), firstId(root.get("eos_token_id")));
    }

    private static RopeScaling ropeScaling(JsonNode rope, String file, String field) {
        if (rope.isMissingNode() || rope.isNull()) return null;
        String type = rope.hasNonNull("rope_type") ? rope.get("rope_type").asText() : rope.path("type").asText("default");
        switch (type) {
            case "default":
                return null;
            case "llama3":
                Fields f = new Fields(rope, file + ": field '" + field + "'");
                return new RopeScaling(f.number("factor"), f.number("low_freq_factor"), f.number("high_freq_factor"),
                        f.positiveInt("original_max_position_embeddings"));
            default:
                throw new CheckpointException(file + ": field '" + field + ".rope_type': unsupported '" + type
                        + "' (supported: default, llama3)");
        }
    }

    private static int firstId(JsonNode node) {
        if (node == null || node.isNull()) return -1;
        return node.isArray() ? (node.size() == 0 ? -1 : node.get(0).asInt()) : node.asInt();
    }

    /** Field access whose errors name the file and the field. */
    private record Fields(JsonNode node, String where) {
        String text(String name) {
            JsonNode v = node.get(name);
            if (v == null || !v.isTextual()) throw new CheckpointException(where + ": field '" + name + "' is missing or not a string");
            return v.asText();
        }

        int positiveInt(String name) {
            JsonNode v = node.get(name);
            if (v == null || !v.canConvertToInt() || !v.isIntegralNumber() || v.asInt() <= 0) {
                throw new CheckpointException(where + ": field '" + name + "' must be a positive integer, found " + v);
            }
            return v.asInt();
        }

        double number(String name) {
            JsonNode v = node.get(name);
            if (v == null || !v.isNumber()) throw new CheckpointException(where + ": field '" + name + "' must be a number, found " + v);
            return v.asDouble();
        }
    }
}
