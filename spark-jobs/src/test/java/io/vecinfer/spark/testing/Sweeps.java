package io.vecinfer.spark.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

/** Sweep files for tests, on the shipped reference model. */
public final class Sweeps {
    private Sweeps() {
    }

    public static Path repoRoot() {
        String property = System.getProperty("vecinfer.repo");
        if (property != null && Files.isDirectory(Path.of(property, "datasets"))) return Path.of(property);
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.isDirectory(dir.resolve("datasets"))) dir = dir.getParent();
        if (dir == null) throw new IllegalStateException("cannot find the repository root (a folder holding datasets/)");
        return dir;
    }

    public static String referenceModel() {
        return repoRoot().resolve("datasets/reference-model").toString();
    }

    /** A sweep over the given methods with perplexity (limit ppl) and passkey (limit pk) at one context length. */
    public static Path write(Path dir, String name, List<String> methods, int ppl, int pk, Path output) {
        return write(dir, name, methods, ppl, pk, output, "cpu", List.of(2));
    }

    /** The same sweep on a backend (cpu or cuda) and with other batch sizes (integers, or the string "auto"). */
    public static Path write(Path dir, String name, List<String> methods, int ppl, int pk, Path output, String backend, List<?> batchSizes) {
        String json = """
                {
                  "models": ["%s"],
                  "methods": [%s],
                  "tasks": [
                    {"name": "perplexity", "limit": %d, "contextLengths": [128]},
                    {"name": "passkey", "limit": %d, "contextLengths": [512]}
                  ],
                  "batchSizes": %s,
                  "seeds": [7],
                  "samplesPerTask": 3,
                  "backend": "%s",
                  "output": "%s"
                }
                """.formatted(referenceModel(), methods.stream().map(m -> "\"" + m + "\"").collect(Collectors.joining(", ")), ppl, pk,
                batchSizes.stream().map(b -> b instanceof String ? "\"" + b + "\"" : b.toString()).collect(Collectors.joining(", ", "[", "]")),
                backend, output);
        return writeText(dir.resolve(name), json);
    }

    public static Path writeText(Path file, String text) {
        try {
            Files.createDirectories(file.getParent());
            return Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
