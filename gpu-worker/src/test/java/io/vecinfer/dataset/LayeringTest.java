package io.vecinfer.dataset;

import io.vecinfer.testing.RepoPaths;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Lower layers never import higher ones: read off the sources, so a new import that breaks it fails here. */
class LayeringTest {
    private static final Path SOURCES = RepoPaths.root().resolve("gpu-worker/src/main/java/io/vecinfer");

    @ParameterizedTest(name = "{0} imports nothing of {1}")
    @CsvSource({
            "dataset, eval|calibrate|quant|decoder|model",
            "kvcache, eval|calibrate|quant|decoder",
            "calibrate, eval",
            "quant, eval|calibrate"})
    void lowerPackagesDoNotImportHigherOnes(String lower, String higher) throws IOException {
        Pattern forbidden = Pattern.compile("^import (static )?io\\.vecinfer\\.(" + higher + ")\\.", Pattern.MULTILINE);
        try (Stream<Path> files = Files.walk(SOURCES.resolve(lower))) {
            List<String> offending = files.filter(f -> f.toString().endsWith(".java"))
                    .filter(f -> forbidden.matcher(read(f)).find())
                    .map(f -> SOURCES.relativize(f).toString()).toList();
            assertEquals(List.of(), offending);
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
