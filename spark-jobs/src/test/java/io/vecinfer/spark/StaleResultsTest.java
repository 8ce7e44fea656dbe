package io.vecinfer.spark;

import io.vecinfer.spark.testing.LocalSpark;
import io.vecinfer.spark.testing.Sweeps;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Item 1 of issue 14: a cell's hash covers what its results depend on (checkpoint and dataset contents,
 * canonical method, codebook content, code), not where files lie; a rerun after a change computes the
 * affected cells and says why.
 */
class StaleResultsTest {
    private static final List<String> METHODS = List.of("fp16", "kivi:k=b2g32,v=b2g32,r=32");
    /** 2 methods × (5 perplexity + 4 passkey samples). */
    private static final int SAMPLES = 18;

    @TempDir
    Path dir;

    private Path copyOf(Path source, Path target) {
        try (Stream<Path> files = Files.walk(source)) {
            for (Path file : files.toList()) {
                Path to = target.resolve(source.relativize(file).toString());
                if (Files.isDirectory(file)) Files.createDirectories(to);
                else Files.copy(file, to);
            }
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Path modelCopy(String name) {
        return copyOf(Path.of(Sweeps.referenceModel()), dir.resolve(name));
    }

    private Evaluate.Outcome evaluate(Path model, List<String> methods) {
        String json = """
                {"models": ["%s"], "methods": [%s],
                 "tasks": [{"name": "perplexity", "limit": 5, "contextLengths": [128]}, {"name": "passkey", "limit": 4, "contextLengths": [512]}],
                 "batchSizes": [2], "seeds": [7], "samplesPerTask": 3, "output": "%s"}
                """.formatted(model, methods.stream().map(m -> "\"" + m + "\"").collect(Collectors.joining(", ")), dir.resolve("out"));
        return Evaluate.run(LocalSpark.session(), SweepFile.read(Sweeps.writeText(dir.resolve("sweep.json"), json)));
    }

    private long rows() {
        return LocalSpark.rawSamples(dir.resolve("out")).count();
    }

    private static void flipAByte(Path file, long at) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(at);
            int b = f.read();
            f.seek(at);
            f.write(b ^ 0x01);
        }
    }

    @Test
    void aWeightChangedInPlaceMakesNewCellsAndTheRerunSaysWhy() throws Exception {
        Path model = modelCopy("model");
        assertEquals(SAMPLES, evaluate(model, METHODS).committedNow());
        assertEquals(0, evaluate(model, METHODS).committedNow());

        Path weights = model.resolve("model.safetensors");
        flipAByte(weights, Files.size(weights) - 100); // a weight tensor's byte; size and name unchanged
        Evaluate.Outcome rerun = evaluate(model, METHODS);
        assertEquals(SAMPLES, rerun.committedNow(), "every cell of the changed model runs again");
        assertEquals(4, rerun.recomputedBecause().size(), rerun.recomputedBecause().toString());
        rerun.recomputedBecause().values().forEach(why -> assertTrue(why.startsWith("the model's checkpoint files changed"), why));
        assertEquals(0, evaluate(model, METHODS).committedNow());

        // The old weights' cells are still in the output: each cell pairs with the fp16 cell of its own weights only.
        for (Row r : Report.run(LocalSpark.session(), dir.resolve("out").toString()).collectAsList()) {
            assertEquals(r.<Long>getAs("n"), r.<Long>getAs("n_paired"), r.toString());
        }
    }

    @Test
    void aModelMovedElsewhereCostsNoRecomputationAndNoDuplicateRows() throws Exception {
        Path model = modelCopy("here");
        evaluate(model, METHODS);
        Path moved = Files.move(model, Files.createDirectories(dir.resolve("moved")).resolve("renamed-model"));
        Evaluate.Outcome rerun = evaluate(moved, METHODS);
        assertEquals(0, rerun.committedNow());
        assertEquals(SAMPLES, rerun.alreadyDone());
        assertEquals(SAMPLES, rows());

        // A method added after the move pairs with the fp16 cell computed before it.
        String added = "kivi:k=b4g32,v=b4g32,r=32";
        assertEquals(SAMPLES / 2, evaluate(moved, List.of("fp16", "kivi:k=b2g32,v=b2g32,r=32", added)).committedNow());
        Row nll = Report.run(LocalSpark.session(), dir.resolve("out").toString()).collectAsList().stream()
                .filter(r -> r.getAs("method").equals(added) && r.getAs("score").equals("nll")).findFirst().orElseThrow();
        assertEquals(5L, nll.<Long>getAs("n_paired"));
    }

    @Test
    void movedDatasetsCostNothingAndAChangedDatasetFileRecomputesOnlyItsTasksCells() throws Exception {
        Path datasets = dir.resolve("datasets");
        for (String sub : List.of("heldout", "passkey", "calibration")) copyOf(Sweeps.repoRoot().resolve("datasets").resolve(sub), datasets.resolve(sub));
        Path model = Path.of(Sweeps.referenceModel());
        withDatasets(datasets, () -> evaluate(model, METHODS));

        Path moved = Files.move(datasets, dir.resolve("datasets-moved"));
        assertEquals(0, withDatasets(moved, () -> evaluate(model, METHODS)).committedNow());

        Files.writeString(moved.resolve("heldout/heldout.jsonl"), "{\"text\": \"one more held-out document\"}\n", StandardOpenOption.APPEND);
        Evaluate.Outcome rerun = withDatasets(moved, () -> evaluate(model, METHODS));
        assertEquals(10, rerun.committedNow(), "the perplexity cells (2 methods × 5 samples), not the passkey ones");
        assertEquals(2, rerun.recomputedBecause().size());
        rerun.recomputedBecause().values().forEach(why -> assertEquals("the dataset files changed: heldout/heldout.jsonl", why));
    }

    private static <T> T withDatasets(Path datasets, Supplier<T> run) {
        String before = System.getProperty("vecinfer.datasets");
        System.setProperty("vecinfer.datasets", datasets.toString());
        try {
            return run.get();
        } finally {
            if (before == null) System.clearProperty("vecinfer.datasets");
            else System.setProperty("vecinfer.datasets", before);
        }
    }

    @Test
    void twoSpellingsOfOneMethodAreOneCellStoredCanonicalAndMatchTheirCodebook() throws Exception {
        // A whole file for the method on this model: the sweep's pre-flight reads its header.
        Path books = io.vecinfer.spark.testing.CodebookFiles.forModel(dir.resolve("books/vq.safetensors"), "vecinfer:k=d4b8,v=d4b8,r=32", Sweeps.referenceModel());
        String json = """
                {"models": ["%s"],
                 "methods": ["vecinfer:k=d4b8,v=d4b8,r=32", "vecinfer:v=d4b8,r=32,k=d4b8,smooth=on"],
                 "codebooks": [{"model": "%1$s", "method": "vecinfer:r=32,hadamard=on,k=d4b8,v=d4b8", "path": "%s"}],
                 "tasks": [{"name": "perplexity", "limit": 5, "contextLengths": [128]}],
                 "batchSizes": [2], "seeds": [7], "samplesPerTask": 3, "output": "%s"}
                """.formatted(Sweeps.referenceModel(), books, dir.resolve("out"));
        Evaluate.Outcome outcome = Evaluate.run(LocalSpark.session(), SweepFile.read(Sweeps.writeText(dir.resolve("spellings.json"), json)));
        assertEquals(1, outcome.cells());
        assertEquals(5, outcome.committedNow());
        List<Row> rows = LocalSpark.rawSamples(dir.resolve("out")).collectAsList();
        assertEquals(Map.of("vecinfer:k=d4b8,v=d4b8,r=32", 5L), rows.stream().collect(Collectors.groupingBy(r -> r.<String>getAs("method"), Collectors.counting())));
        rows.forEach(r -> assertEquals(books.toString(), r.getAs("codebook")));
    }

    @Test
    void aCodebookEntersTheHashByContentNotPath() throws Exception {
        Path a = Files.write(Files.createDirectories(dir.resolve("a")).resolve("books.safetensors"), new byte[] {1, 2, 3});
        Path b = Files.write(Files.createDirectories(dir.resolve("b")).resolve("other-name.safetensors"), new byte[] {1, 2, 3});
        String model = Sweeps.referenceModel(), method = "vecinfer:k=d4b8,v=d4b8,r=32";
        var atA = new io.vecinfer.eval.task.Cell(model, method, a.toString(), "perplexity", 128, 2, 0);
        var atB = new io.vecinfer.eval.task.Cell(model, method, b.toString(), "perplexity", 128, 2, 0);
        assertEquals(CellCodec.configHash(atA), CellCodec.configHash(atB));
        Files.write(b, new byte[] {1, 2, 4});
        assertTrue(!CellCodec.configHash(atA).equals(CellCodec.configHash(atB)), "retrained codebooks are new cells");
    }

    /** A user's task file enters the hash by content, like a codebook; the prefill is a coordinate of the cell. */
    @Test
    void aTaskInputFileEntersTheHashByContentAndThePrefillSeparatesCells() throws Exception {
        Path a = Files.writeString(Files.createDirectories(dir.resolve("inputs-a")).resolve("test.jsonl"), "{\"question\": \"1+1?\"}\n");
        Path b = Files.writeString(Files.createDirectories(dir.resolve("inputs-b")).resolve("moved.jsonl"), "{\"question\": \"1+1?\"}\n");
        String model = Sweeps.referenceModel();
        var exact = io.vecinfer.kvcache.Prefill.EXACT;
        var atA = new io.vecinfer.eval.task.Cell(model, "fp16", null, "gsm8k", 512, 2, 0, exact, Map.of("file", a.toString(), "shots", "2"));
        var atB = new io.vecinfer.eval.task.Cell(model, "fp16", null, "gsm8k", 512, 2, 0, exact, Map.of("file", b.toString(), "shots", "2"));
        assertEquals(CellCodec.configHash(atA), CellCodec.configHash(atB), "the same file moved is the same cell");
        var otherShots = new io.vecinfer.eval.task.Cell(model, "fp16", null, "gsm8k", 512, 2, 0, exact, Map.of("file", a.toString(), "shots", "3"));
        assertTrue(!CellCodec.configHash(atA).equals(CellCodec.configHash(otherShots)), "another number of shots is another cell");
        var compressed = new io.vecinfer.eval.task.Cell(model, "fp16", null, "gsm8k", 512, 2, 0, io.vecinfer.kvcache.Prefill.COMPRESSED,
                Map.of("file", a.toString(), "shots", "2"));
        assertTrue(!CellCodec.configHash(atA).equals(CellCodec.configHash(compressed)), "the prefill separates cells");
        var chat = new io.vecinfer.eval.task.Cell(model, "fp16", null, "gsm8k", 512, 2, 0, exact,
                Map.of("file", a.toString(), "shots", "2", "chat", "template"));
        assertTrue(!CellCodec.configHash(atA).equals(CellCodec.configHash(chat)), "chat-templated prompts are other cells");
        assertTrue(CellCodec.inputsJson(chat).contains("\"chat\":\"template\""), "and the rows' task_inputs say so");
        Files.writeString(b, "{\"question\": \"2+2?\"}\n");
        assertTrue(!CellCodec.configHash(atA).equals(CellCodec.configHash(atB)), "an edited task file makes new cells");
    }
}
