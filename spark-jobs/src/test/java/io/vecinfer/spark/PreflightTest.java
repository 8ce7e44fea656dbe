package io.vecinfer.spark;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vecinfer.eval.task.DatasetSampleCatalog;
import io.vecinfer.kvcache.KvLayout;
import io.vecinfer.spark.testing.CodebookFiles;
import io.vecinfer.spark.testing.LocalSpark;
import io.vecinfer.spark.testing.Sweeps;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Incompatibilities between a sweep and its models, found before any work, all at once, each naming the
 * sweep file, line and field: methods that do not fit head_dim, codebook files made for something else or
 * truncated, a tokenizer of another vocabulary, calibration windows and task contexts past the model's context.
 */
class PreflightTest {
    private static final GpuPresence NO_GPU = new GpuPresence(false, "no GPU in this test");
    private static final String VQ = "vecinfer:k=d4b8,v=d4b8,r=128";

    @TempDir
    Path dir;

    /** A sweep on the given models and methods; {@code extra} is more top-level fields, {@code tasks} the task list. */
    private Path sweep(String name, List<String> models, List<String> methods, String tasks, String extra) {
        String json = """
                {
                  "models": [%s],
                  "methods": [%s],
                  "tasks": [
                    %s
                  ],
                  "output": "%s"%s
                }
                """.formatted(quoted(models), quoted(methods), tasks, dir.resolve("out"), extra);
        return Sweeps.writeText(dir.resolve(name), json);
    }

    private static String quoted(List<String> values) {
        return String.join(", ", values.stream().map(v -> "\"" + v + "\"").toList());
    }

    private static final String PERPLEXITY = "{\"name\": \"perplexity\", \"limit\": 2, \"contextLengths\": [128]}";

    /** A model folder that is the reference model's config with some fields changed, and its tokenizer: no weights. */
    private String modelWith(String name, Map<String, Integer> changes) throws IOException {
        Path reference = Path.of(Sweeps.referenceModel());
        ObjectMapper json = new ObjectMapper();
        ObjectNode config = (ObjectNode) json.readTree(reference.resolve("config.json").toFile());
        changes.forEach(config::put);
        Path folder = Files.createDirectories(dir.resolve(name));
        json.writeValue(folder.resolve("config.json").toFile(), config);
        Files.copy(reference.resolve("tokenizer.json"), folder.resolve("tokenizer.json"));
        return folder.toString();
    }

    private SweepSpecException problems(Path file, boolean withCatalog) {
        return assertThrows(SweepSpecException.class, () -> {
            if (withCatalog) {
                try (var catalog = new DatasetSampleCatalog(Sweeps.repoRoot().resolve("datasets"))) {
                    SweepValidator.validate(SweepFile.read(file), NO_GPU, new Configuration(), false, catalog);
                }
            } else {
                SweepValidator.validate(SweepFile.read(file), NO_GPU, new Configuration());
            }
        });
    }

    /** One message, one line per problem, each starting with the sweep file and a line number. */
    private static void eachLineNamesFileAndLine(SweepSpecException e, Path file) {
        List<String> lines = e.getMessage().lines().toList();
        assertEquals("invalid sweep:", lines.get(0));
        assertEquals(e.problems().size(), lines.size() - 1, e.getMessage());
        for (String line : lines.subList(1, lines.size())) {
            assertTrue(line.matches(java.util.regex.Pattern.quote(file.toString()) + ":[1-9][0-9]*: [a-zA-Z].*"), line);
        }
    }

    private static SweepSpecException.Problem at(SweepSpecException e, String field) {
        return e.problems().stream().filter(p -> p.field().equals(field)).findFirst()
                .orElseThrow(() -> new AssertionError("no problem at " + field + " in\n" + e.getMessage()));
    }

    @Test
    void methodsThatDoNotFitHeadDimAreNamedAtTheirLines() {
        Path file = sweep("head-dim.json", List.of(Sweeps.referenceModel()),
                List.of("fp16", "vecinfer:k=d5b8,v=d4b8,r=32", "rawvq:k=d4b8,v=d3b8,r=32", "kivi:k=b2g32,v=b2g48,r=32", "kivi:k=b2g40,v=b2g32,r=32"),
                PERPLEXITY, "");
        SweepSpecException e = problems(file, false);
        assertEquals(List.of("methods[1]", "methods[2]", "methods[3]"), e.problems().stream().map(SweepSpecException.Problem::field).toList(), e.getMessage());
        assertTrue(e.problems().get(0).message().contains("k=d5b8: n=5 does not divide head_dim 128"), e.getMessage());
        assertTrue(e.problems().get(0).message().contains("on model " + Sweeps.referenceModel() + " (head_dim 128"), e.getMessage());
        assertTrue(e.problems().get(1).message().contains("v=d3b8: n=3 does not divide head_dim 128"), e.getMessage());
        assertTrue(e.problems().get(2).message().contains("v=b2g48: a group of 48 channels does not divide head_dim 128"), e.getMessage());
        // KIVI's key groups are groups of tokens: g40 on keys is no problem.
        eachLineNamesFileAndLine(e, file);
    }

    @Test
    void codebookFilesForAnotherModelMethodOrLayoutOrTruncatedAreRefusedAllAtOnce() throws IOException {
        String model = Sweeps.referenceModel();
        KvLayout layout = CodebookFiles.layoutOf(model);
        Path good = CodebookFiles.forModel(dir.resolve("books/good.safetensors"), VQ, model);
        Path otherModel = CodebookFiles.write(dir.resolve("books/other-model.safetensors"), VQ, layout, "sha256:0123456789abcdef");
        Path otherMethod = CodebookFiles.forModel(dir.resolve("books/other-method.safetensors"), "rawvq:k=d4b8,v=d4b8,r=128", model);
        Path otherLayout = CodebookFiles.write(dir.resolve("books/other-layout.safetensors"), VQ,
                new KvLayout(layout.layers() / 2, layout.kvHeads(), layout.queryHeads(), layout.headDim()), ModelIdentity.of(model));
        Path truncated = CodebookFiles.forModel(dir.resolve("books/truncated.safetensors"), VQ, model);
        try (FileChannel channel = FileChannel.open(truncated, StandardOpenOption.WRITE)) {
            channel.truncate(channel.size() - 100);
        }
        String kivi = "kivi:k=b2g32,v=b2g32,r=32";
        List<Path> files = List.of(good, otherModel, otherMethod, otherLayout, truncated, good);
        StringBuilder entries = new StringBuilder();
        for (int i = 0; i < files.size(); i++) {
            String method = i == files.size() - 1 ? kivi : VQ;
            entries.append(i == 0 ? "" : ",\n    ").append("{\"model\": \"").append(model).append("\", \"method\": \"").append(method)
                    .append("\",\n     \"path\": \"").append(files.get(i)).append("\"}");
        }
        Path file = sweep("codebooks.json", List.of(model), List.of("fp16", VQ, kivi), PERPLEXITY, ",\n  \"codebooks\": [\n    " + entries + "]");
        SweepSpecException e = problems(file, false);
        assertEquals(List.of("codebooks[1].path", "codebooks[2].path", "codebooks[3].path", "codebooks[4].path", "codebooks[5].method"),
                e.problems().stream().map(SweepSpecException.Problem::field).toList(), e.getMessage());
        assertTrue(at(e, "codebooks[1].path").message().contains("field 'model' expected " + ModelIdentity.of(model) + ", found sha256:0123456789abcdef"), e.getMessage());
        assertTrue(at(e, "codebooks[2].path").message().contains("field 'method' expected vecinfer, found rawvq"), e.getMessage());
        assertTrue(at(e, "codebooks[3].path").message().contains("field 'layers' expected " + layout.layers() + ", found " + layout.layers() / 2), e.getMessage());
        assertTrue(at(e, "codebooks[4].path").message().contains("truncated"), e.getMessage());
        assertTrue(at(e, "codebooks[5].method").message().contains("kivi:k=b2g32,v=b2g32,r=32 uses no codebooks"), e.getMessage());
        // Each problem points at its own entry's line.
        String text = Files.readString(file);
        assertEquals(lineOf(text, truncated.toString()), at(e, "codebooks[4].path").line());
        eachLineNamesFileAndLine(e, file);
    }

    /** Test access to the worker's model identity, as the codebook files record it. */
    private static final class ModelIdentity {
        static String of(String folder) {
            return io.vecinfer.calibrate.ModelIdentity.of(Path.of(folder));
        }
    }

    @Test
    void aTokenizerOfAnotherVocabularyIsNamed() throws IOException {
        String smaller = modelWith("vocab-4096", Map.of("vocab_size", 4096));
        String larger = modelWith("vocab-32000", Map.of("vocab_size", 32000));
        String padded = modelWith("vocab-8256", Map.of("vocab_size", 8256)); // padded to a multiple of 64: fine
        Path file = sweep("vocab.json", List.of(Sweeps.referenceModel(), smaller, larger, padded), List.of("fp16"), PERPLEXITY, "");
        SweepSpecException e = problems(file, false);
        assertEquals(List.of("models[1]", "models[2]"), e.problems().stream().map(SweepSpecException.Problem::field).toList(), e.getMessage());
        assertTrue(e.problems().get(0).message().contains("a tokenizer of another vocabulary: 8192 tokens, but config.json's vocab_size is 4096"), e.getMessage());
        assertTrue(e.problems().get(1).message().contains("a tokenizer of another vocabulary: 8192 tokens, but config.json's vocab_size is 32000"), e.getMessage());
        eachLineNamesFileAndLine(e, file);
    }

    @Test
    void aCalibrationWindowPastTheContextIsNamed() throws IOException {
        String short256 = modelWith("ctx-256", Map.of("max_position_embeddings", 256));
        // Calibrating ahead with the sweep's settings: the window is the sweep's field.
        Path ahead = sweep("calib.json", List.of(Sweeps.referenceModel(), short256), List.of("fp16", VQ), PERPLEXITY,
                ",\n  \"calibration\": {\"windows\": 2,\n    \"windowTokens\": 300}");
        SweepSpecException e = problems(ahead, false);
        SweepSpecException.Problem p = at(e, "calibration.windowTokens");
        assertEquals(1, e.problems().size(), e.getMessage());
        assertEquals(lineOf(Files.readString(ahead), "\"windowTokens\""), p.line());
        assertTrue(p.message().contains("needs windows of 300 tokens plus BOS, past its context: use windowTokens of at most 255"), p.message());
        assertTrue(p.message().contains(short256), p.message());

        // On demand (no calibration settings, no codebook): the default window of 512 is past it too.
        Path onDemand = sweep("on-demand.json", List.of(short256), List.of("fp16", VQ), PERPLEXITY, "");
        SweepSpecException.Problem q = at(problems(onDemand, false), "methods[1]");
        assertTrue(q.message().contains("needs windows of 512 tokens plus BOS, past its context (the on-demand default)"), q.message());

        // A codebook file for the method: nothing to calibrate.
        Path books = CodebookFiles.forModel(dir.resolve("books/short.safetensors"), VQ, short256);
        SweepValidator.validate(SweepFile.read(sweep("with-books.json", List.of(short256), List.of("fp16", VQ), PERPLEXITY,
                ",\n  \"codebooks\": [{\"model\": \"" + short256 + "\", \"method\": \"" + VQ + "\", \"path\": \"" + books + "\"}]")), NO_GPU, new Configuration());
    }

    private static final String CONTEXTS = """
            {"name": "perplexity", "limit": 2, "contextLengths": [128, 1024, 4096]},
                {"name": "passkey", "limit": 2,
                 "contextLengths": [512, 2048, 5000]},
                {"name": "ruler_niah_single", "limit": 1, "contextLengths": [1024]}""";

    @Test
    void impossibleContextsForATaskAreNamedPerModelAllAtOnce() throws IOException {
        String short1024 = modelWith("ctx-1024", Map.of("max_position_embeddings", 1024));
        Path file = sweep("contexts.json", List.of(Sweeps.referenceModel(), short1024), List.of("fp16"), CONTEXTS, "");
        SweepSpecException e = problems(file, true);
        List<String> fields = e.problems().stream().map(SweepSpecException.Problem::field).toList();
        // The reference model (context 4096): a perplexity window of 4096 plus BOS, and no passkey samples of 5000 tokens.
        // The short model (1024): perplexity 1024 and 4096, passkey 2048 and 5000, RULER 1024 plus what it generates.
        assertEquals(List.of("tasks[0].contextLengths[2]", "tasks[1].contextLengths[2]",
                "tasks[0].contextLengths[1]", "tasks[0].contextLengths[2]", "tasks[1].contextLengths[1]", "tasks[1].contextLengths[2]",
                "tasks[2].contextLengths[0]"), fields, e.getMessage());
        SweepSpecException.Problem window = e.problems().get(0);
        assertTrue(window.message().startsWith("perplexity at context length 4096 on model " + Sweeps.referenceModel()), window.message());
        assertTrue(window.message().contains("a window of 4096 tokens plus BOS does not fit"), window.message());
        assertTrue(e.problems().get(1).message().contains("passkey: no sample has context_tokens 5000"), e.getMessage());
        assertTrue(e.problems().get(4).message().contains("2048 tokens + ") && e.problems().get(4).message().contains("context of 1024"), e.getMessage());
        assertTrue(e.problems().get(6).message().contains("ruler_niah_single: 1024 tokens + "), e.getMessage());
        String text = Files.readString(file);
        assertEquals(lineOf(text, "\"contextLengths\": [512"), e.problems().get(1).line());
        eachLineNamesFileAndLine(e, file);
    }

    @Test
    void evaluateRefusesImpossibleContextsBeforeAnyWork() throws IOException {
        String short1024 = modelWith("ctx-1024", Map.of("max_position_embeddings", 1024));
        Path file = sweep("evaluate.json", List.of(short1024), List.of("fp16", "vecinfer:k=d5b8,v=d4b8,r=32"), CONTEXTS, "");
        SweepSpecException e = assertThrows(SweepSpecException.class, () -> Evaluate.run(LocalSpark.session(), SweepFile.read(file),
                NO_GPU, Runners.Classes.DEFAULTS));
        // The method and the contexts, in one message.
        assertEquals(List.of("methods[1]", "tasks[0].contextLengths[1]", "tasks[0].contextLengths[2]", "tasks[1].contextLengths[1]",
                "tasks[1].contextLengths[2]", "tasks[2].contextLengths[0]"), e.problems().stream().map(SweepSpecException.Problem::field).toList(), e.getMessage());
        Path out = dir.resolve("out");
        assertFalse(Files.exists(out.resolve("samples")) || Files.exists(out.resolve(SweepRecord.FILE)), "nothing was written");
    }

    @Test
    void nullsWhereTheSweepHasNoModelsAreNamedNotANullPointerException() {
        String text = """
                {
                  "methods": ["fp16", "%s"],
                  "codebooks": [{"path": "%s"},
                    {"model": null, "method": null}],
                  "tasks": [%s],
                  "output": "%s"
                }
                """.formatted(VQ, dir.resolve("none.safetensors"), PERPLEXITY, dir.resolve("out"));
        Path file = Sweeps.writeText(dir.resolve("null-codebook.json"), text);
        SweepSpecException e = problems(file, false);
        assertEquals(List.of("models", "codebooks[0].model", "codebooks[0].method", "codebooks[0].path",
                "codebooks[1].model", "codebooks[1].method", "codebooks[1].path"), e.problems().stream().map(SweepSpecException.Problem::field).toList(), e.getMessage());
        assertTrue(at(e, "codebooks[1].model").message().equals("no model given (one of the sweep's models)"), e.getMessage());
        assertTrue(at(e, "codebooks[1].path").message().equals("codebook file not found: (none given)"), e.getMessage());
        assertEquals("no models", at(e, "models").message());
    }

    private static int lineOf(String text, String needle) {
        String before = text.substring(0, text.indexOf(needle));
        return (int) before.chars().filter(c -> c == '\n').count() + 1;
    }
}
