package io.vecinfer.spark;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The code version moves with the code, and a cell computed on other code is new, with the reason. */
class CodeVersionTest {
    @TempDir
    Path dir;

    @Test
    void theBuildHashChangesWithAnyClassAndIgnoresTheManifest() throws Exception {
        Path classes = Files.createDirectories(dir.resolve("classes/io/vecinfer"));
        Files.write(classes.resolve("A.class"), new byte[] {1, 2, 3});
        Files.createDirectories(dir.resolve("classes/META-INF"));
        Files.writeString(dir.resolve("classes/META-INF/MANIFEST.MF"), "Built-At: 10:00\n");
        String before = CodeVersion.buildHash(List.of(dir.resolve("classes")));

        Files.writeString(dir.resolve("classes/META-INF/MANIFEST.MF"), "Built-At: 11:00\n");
        assertEquals(before, CodeVersion.buildHash(List.of(dir.resolve("classes"))), "a rebuild of the same code is the same code");

        Files.write(classes.resolve("A.class"), new byte[] {1, 2, 4});
        assertNotEquals(before, CodeVersion.buildHash(List.of(dir.resolve("classes"))));
    }

    @Test
    void theRecordedVersionCarriesTheBuildHash() {
        String version = CodeVersion.get();
        assertTrue(version.matches("(dev|[0-9][^+]*)\\+[0-9a-f]{12}"), version); // built from class folders or jars, both hashable
    }

    @Test
    void aCellComputedOnOtherCodeIsNewAndSaysSo() {
        Map<String, Object> earlier = new TreeMap<>(Map.of("method", "fp16", "task", "perplexity", "context_length", 128,
                "batch_size", 2, "seed", 7L, "model", "sha256:aa", "model_path", "/m", "code_version", "dev+111111111111"));
        Map<String, Object> now = new TreeMap<>(earlier);
        now.remove("model_path");
        now.put("code_version", "dev+222222222222");
        assertEquals("the code changed (dev+111111111111 -> dev+222222222222)", CellManifests.whyNew(now, "/m", List.of(earlier)));
        now.put("context_length", 256);
        assertNull(CellManifests.whyNew(now, "/m", List.of(earlier)), "another context length is another cell, not a changed one");
    }
}
