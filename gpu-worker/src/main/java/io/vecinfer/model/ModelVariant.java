package io.vecinfer.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * How a checkpoint relates to a trained model, for report rows: "original", or "transformed: ..." for a
 * variant whose config.json records the transform it was made by (the outlier-calibrated reference
 * model's {@code vecinfer_outlier_variant}), so no report shows a constructed model as a trained one.
 */
public final class ModelVariant {
    public static final String ORIGINAL = "original";
    private static final Map<Path, String> CACHE = new ConcurrentHashMap<>();

    private ModelVariant() {
    }

    public static String describe(Path modelFolder) {
        return CACHE.computeIfAbsent(modelFolder.toAbsolutePath().normalize(), ModelVariant::read);
    }

    private static String read(Path folder) {
        Path config = folder.resolve("config.json");
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(Files.readString(config));
        } catch (IOException e) {
            throw new IllegalArgumentException(config + ": cannot read the model's config (" + e.getMessage() + ")", e);
        }
        JsonNode variant = root.get("vecinfer_outlier_variant");
        if (variant == null) return ORIGINAL;
        return "transformed: outlier-calibrated from " + variant.path("base_model").asText("?") + ", "
                + variant.path("pairs_per_head").asInt() + " RoPE channel pairs per KV head scaled toward "
                + variant.path("target_max_over_median").asDouble() + "x the median max|K| (logits unchanged)";
    }
}
