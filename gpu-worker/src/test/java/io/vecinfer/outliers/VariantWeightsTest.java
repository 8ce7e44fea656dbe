package io.vecinfer.outliers;

import io.vecinfer.testing.RepoPaths;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The shipped outlier variants' weights are derived at build time, byte for byte, and refused when they would differ. */
class VariantWeightsTest {
    private static final Path BASE = RepoPaths.referenceModel(), SHIPPED = RepoPaths.root().resolve("datasets/reference-model-outliers");

    @Test
    void derivesTheRecordedBytesOnceThenLeavesThemAlone(@TempDir Path dir) throws IOException {
        Path variant = copyWithoutWeights(dir);
        assertTrue(VariantWeights.ensure(BASE, variant), "first call derives the weights");
        assertEquals(Files.readString(variant.resolve(VariantWeights.HASH)).split("\\s+")[0], VariantWeights.sha256(variant.resolve(VariantWeights.WEIGHTS)));
        long modified = Files.getLastModifiedTime(variant.resolve(VariantWeights.WEIGHTS)).toMillis();
        assertFalse(VariantWeights.ensure(BASE, variant), "a file with the recorded hash is left alone");
        assertEquals(modified, Files.getLastModifiedTime(variant.resolve(VariantWeights.WEIGHTS)).toMillis());
    }

    @Test
    void theTokenizerIsTheBasesCopiedWhenMissingOrDifferentThenLeftAlone(@TempDir Path dir) throws IOException {
        Path variant = copyWithoutWeights(dir);
        Files.deleteIfExists(variant.resolve(VariantWeights.TOKENIZER));
        assertTrue(VariantWeights.ensureTokenizer(BASE, variant), "a missing tokenizer is copied");
        assertEquals(-1, Files.mismatch(BASE.resolve(VariantWeights.TOKENIZER), variant.resolve(VariantWeights.TOKENIZER)));
        assertFalse(VariantWeights.ensureTokenizer(BASE, variant), "the same bytes are left alone");
        Files.writeString(variant.resolve(VariantWeights.TOKENIZER), "{}");
        assertTrue(VariantWeights.ensureTokenizer(BASE, variant), "other bytes are replaced");
        assertEquals(-1, Files.mismatch(BASE.resolve(VariantWeights.TOKENIZER), variant.resolve(VariantWeights.TOKENIZER)));
        assertFalse(Files.exists(variant.resolve(VariantWeights.TOKENIZER + ".partial")));
        var e = assertThrows(IllegalArgumentException.class, () -> VariantWeights.ensureTokenizer(dir.resolve("no-base"), variant));
        assertTrue(e.getMessage().contains("no-base/tokenizer.json is missing"), e.getMessage());
    }

    @Test
    void aHashThatDoesNotMatchIsNamedAndLeavesNoFile(@TempDir Path dir) throws IOException {
        Path variant = copyWithoutWeights(dir);
        Files.writeString(variant.resolve(VariantWeights.HASH), "0".repeat(64) + "  model.safetensors\n");
        var e = assertThrows(IllegalStateException.class, () -> VariantWeights.ensure(BASE, variant));
        assertTrue(e.getMessage().contains("model.safetensors.sha256 says " + "0".repeat(64)), e.getMessage());
        assertFalse(Files.exists(variant.resolve(VariantWeights.WEIGHTS)), "no weights of the wrong bytes");
        assertFalse(Files.exists(variant.resolve(VariantWeights.WEIGHTS + ".partial")), "no partial file left");
    }

    @Test
    void aConfigWithoutScaledPairsIsNamed(@TempDir Path dir) throws IOException {
        Path variant = copyWithoutWeights(dir);
        Files.copy(BASE.resolve("config.json"), variant.resolve("config.json"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        var e = assertThrows(IllegalArgumentException.class, () -> VariantWeights.ensure(BASE, variant));
        assertTrue(e.getMessage().contains("config.json: no vecinfer_outlier_variant.scaled_pairs"), e.getMessage());
    }

    @Test
    void theShippedDatasetsFolderListsBothVariantsWithTheirBases() throws IOException {
        Path datasets = RepoPaths.root().resolve("datasets");
        assertEquals(List.of(datasets.resolve("long-context-model-outliers"), datasets.resolve("reference-model-outliers")),
                VariantWeights.variants(datasets));
        assertEquals(datasets.resolve("long-context-model"), VariantWeights.recordedBase(datasets.resolve("long-context-model-outliers")));
        assertEquals(BASE, VariantWeights.recordedBase(SHIPPED));
    }

    @Test
    void theFolderFormDerivesEveryVariantFromItsRecordedBase(@TempDir Path root) throws IOException {
        // A copy of datasets/ holding just the two bases (linked, not copied: 42 MB) and the variants without weights.
        for (String base : new String[]{"reference-model", "long-context-model"}) {
            Path folder = Files.createDirectories(root.resolve(base));
            for (String f : new String[]{"config.json", VariantWeights.WEIGHTS}) {
                Files.createSymbolicLink(folder.resolve(f), RepoPaths.root().resolve("datasets").resolve(base).resolve(f));
            }
            copyWithoutWeights(RepoPaths.root().resolve("datasets").resolve(base + "-outliers"), root.resolve(base + "-outliers"));
        }
        List<Path> variants = VariantWeights.variants(root);
        assertEquals(List.of(root.resolve("long-context-model-outliers"), root.resolve("reference-model-outliers")), variants);
        for (Path variant : variants) {
            assertTrue(VariantWeights.ensure(VariantWeights.recordedBase(variant), variant), "derives " + variant);
            assertEquals(Files.readString(variant.resolve(VariantWeights.HASH)).split("\\s+")[0], VariantWeights.sha256(variant.resolve(VariantWeights.WEIGHTS)));
        }
    }

    private static Path copyWithoutWeights(Path dir) throws IOException {
        return copyWithoutWeights(SHIPPED, dir.resolve("variant"));
    }

    private static Path copyWithoutWeights(Path shipped, Path variant) throws IOException {
        Files.createDirectories(variant);
        for (String f : new String[]{"config.json", VariantWeights.HASH}) { // the tokenizer is derived too (ensureTokenizer)
            Files.copy(shipped.resolve(f), variant.resolve(f));
        }
        return variant;
    }
}
