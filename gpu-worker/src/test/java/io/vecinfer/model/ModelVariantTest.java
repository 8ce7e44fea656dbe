package io.vecinfer.model;

import io.vecinfer.testing.RepoPaths;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelVariantTest {
    @TempDir
    Path dir;

    @Test
    void theShippedModelsAreLabelledOriginalAndTransformed() {
        assertEquals(ModelVariant.ORIGINAL, ModelVariant.describe(RepoPaths.root().resolve("datasets/reference-model")));
        String outliers = ModelVariant.describe(RepoPaths.root().resolve("datasets/reference-model-outliers"));
        assertTrue(outliers.startsWith("transformed: outlier-calibrated from reference-model, 2 RoPE channel pairs"), outliers);
    }

    @Test
    void aFolderWithoutConfigIsAnErrorNamingTheFile() {
        var e = assertThrows(IllegalArgumentException.class, () -> ModelVariant.describe(dir));
        assertTrue(e.getMessage().contains(dir.resolve("config.json").toString()), e.getMessage());
    }
}
