package io.vecinfer.spark;

import io.vecinfer.spark.testing.Sweeps;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SweepFileTest {
    private static final GpuPresence NO_GPU = new GpuPresence(false, "no GPU in this test");

    @TempDir
    Path dir;

    private String valid(String overrides) {
        return """
                {
                  "models": ["%s"],
                  "methods": ["fp16", "vecinfer:k=d4b8,v=d4b8,r=128"],
                  "tasks": [
                    {"name": "perplexity", "limit": 4, "contextLengths": [128, 256]},
                    {"name": "passkey", "limit": 2}
                  ],
                  "batchSizes": [1, 4],
                  "seeds": [0],
                  "output": "%s"%s
                }
                """.formatted(Sweeps.referenceModel(), dir.resolve("out"), overrides);
    }

    /** A sweep file shipped in resources, read with its datasets/ paths made absolute (the tests' working folder differs). */
    private SweepFile shipped(Path file) throws java.io.IOException {
        String text = Files.readString(file).replace("\"datasets/", "\"" + Sweeps.repoRoot().resolve("datasets") + "/");
        return SweepFile.read(Sweeps.writeText(dir.resolve(file.getFileName().toString()), text));
    }

    private SweepSpecException.Problem onlyProblem(String name, String text) {
        Path file = Sweeps.writeText(dir.resolve(name), text);
        SweepSpecException e = assertThrows(SweepSpecException.class,
                () -> SweepValidator.validate(SweepFile.read(file), NO_GPU, new Configuration()));
        assertEquals(1, e.problems().size(), e.getMessage());
        SweepSpecException.Problem problem = e.problems().get(0);
        assertEquals(file.toString(), problem.file());
        assertTrue(e.getMessage().contains(file.getFileName().toString()), e.getMessage());
        return problem;
    }

    private static int lineOf(String text, String needle) {
        String before = text.substring(0, text.indexOf(needle));
        return (int) before.chars().filter(c -> c == '\n').count() + 1;
    }

    @Test
    void aValidSweepExpandsToItsGridWithStableHashes() {
        SweepFile sweep = SweepFile.read(Sweeps.writeText(dir.resolve("ok.json"), valid("")));
        SweepValidator.validate(sweep, NO_GPU, new Configuration());
        List<PlannedCell> cells = Grid.expand(sweep.spec());
        // 1 model × 2 methods × (2 perplexity contexts + 1 passkey default) × 2 batch sizes × 1 seed
        assertEquals(12, cells.size());
        assertEquals(12, cells.stream().map(PlannedCell::configHash).distinct().count());
        PlannedCell first = cells.get(0);
        assertEquals(16, first.configHash().length());
        assertEquals(first.configHash(), CellCodec.configHash(CellCodec.fromJson(CellCodec.toJson(first.cell()))));
        assertEquals(CellCodec.configHash(first.cell()), Grid.expand(SweepFile.read(Sweeps.writeText(dir.resolve("again.json"), valid(""))).spec()).get(0).configHash());
        assertEquals(8, sweep.spec().samplesPerTask());
        assertEquals(SweepBackend.CPU, sweep.spec().backend());
        assertNull(first.cell().codebook());
    }

    @Test
    void prefillIsAnAxisWithTheTasksDefaultAndEntersTheHash() {
        String text = valid("").replace("{\"name\": \"passkey\", \"limit\": 2}",
                "{\"name\": \"passkey\", \"limit\": 2, \"prefill\": [\"exact\", \"compressed\"]}");
        SweepFile sweep = SweepFile.read(Sweeps.writeText(dir.resolve("prefill.json"), text));
        SweepValidator.validate(sweep, NO_GPU, new Configuration());
        List<PlannedCell> cells = Grid.expand(sweep.spec());
        assertEquals(16, cells.size());
        assertEquals(16, cells.stream().map(PlannedCell::configHash).distinct().count());
        // Perplexity names no prefill: its cells take the task's default.
        assertTrue(cells.stream().filter(c -> c.cell().task().equals("perplexity"))
                .allMatch(c -> c.cell().prefill() == io.vecinfer.kvcache.Prefill.COMPRESSED));
        PlannedCell exact = cells.stream().filter(c -> c.cell().prefill() == io.vecinfer.kvcache.Prefill.EXACT).findFirst().orElseThrow();
        assertTrue(CellCodec.toJson(exact.cell()).contains("\"prefill\":\"exact\""), CellCodec.toJson(exact.cell()));
        assertEquals(exact.cell(), CellCodec.fromJson(CellCodec.toJson(exact.cell())));
        // The passkey default (exact) is what a sweep without the axis gets.
        assertTrue(Grid.expand(SweepFile.read(Sweeps.writeText(dir.resolve("default.json"), valid(""))).spec()).stream()
                .filter(c -> c.cell().task().equals("passkey")).allMatch(c -> c.cell().prefill() == io.vecinfer.kvcache.Prefill.EXACT));
    }

    @Test
    void taskInputFilesAreCheckedAndReachTheCellAbsolute() {
        String inputs = "{\"name\": \"longbench\", \"limit\": 2, \"inputs\": {\"file\": \"%s\"}}";
        Path fixture = Sweeps.repoRoot().resolve("datasets/fixtures/longbench/hotpotqa.jsonl");
        String text = valid("").replace("{\"name\": \"passkey\", \"limit\": 2}", inputs.formatted(fixture));
        SweepFile sweep = SweepFile.read(Sweeps.writeText(dir.resolve("inputs.json"), text));
        SweepValidator.validate(sweep, NO_GPU, new Configuration());
        List<PlannedCell> longbench = Grid.expand(sweep.spec()).stream().filter(c -> c.cell().task().equals("longbench")).toList();
        assertEquals(4, longbench.size());
        assertTrue(longbench.stream().allMatch(c -> c.cell().inputs().equals(java.util.Map.of("file", fixture.toString()))));
        assertTrue(CellCodec.toJson(longbench.get(0).cell()).contains("\"inputs\":{\"file\":"));
        assertEquals(longbench.get(0).cell(), CellCodec.fromJson(CellCodec.toJson(longbench.get(0).cell())));

        String missing = valid("").replace("{\"name\": \"passkey\", \"limit\": 2}", inputs.formatted(dir.resolve("nowhere.jsonl")));
        SweepSpecException.Problem p = onlyProblem("missing-input.json", missing);
        assertEquals("tasks[1].inputs.file", p.field());
        assertTrue(p.message().contains("file not found: " + dir.resolve("nowhere.jsonl")), p.message());
    }

    /**
     * Every sweep file shipped in resources (the README's, the GPU runs' of docs/results) reads and validates, so none
     * is found broken on a device call; a cuda sweep is validated as on a GPU host, the rest as here.
     */
    @Test
    void everyShippedSweepFileIsValid() throws Exception {
        Path resources = Sweeps.repoRoot().resolve("spark-jobs/src/main/resources");
        List<Path> files;
        try (var listing = Files.list(resources)) {
            files = listing.filter(f -> f.getFileName().toString().endsWith("-sweep.json")).sorted().toList();
        }
        assertTrue(files.size() >= 9, "sweep files in " + resources + ": " + files);
        for (Path file : files) {
            SweepFile sweep = shipped(file);
            boolean cuda = sweep.spec().backend() == SweepBackend.CUDA;
            SweepValidator.validate(sweep, cuda ? new GpuPresence(true, "validated as on a GPU host") : NO_GPU, new Configuration());
            assertFalse(Grid.expand(sweep.spec()).isEmpty(), file + ": no cells");
        }
    }

    @Test
    void theReadmesDeploymentSweepIsValidAndAllExactPrefill() throws Exception {
        SweepFile sweep = shipped(Sweeps.repoRoot().resolve("spark-jobs/src/main/resources/deployment-sweep.json"));
        SweepValidator.validate(sweep, NO_GPU, new Configuration());
        List<PlannedCell> cells = Grid.expand(sweep.spec());
        // 3 methods × (3 LongBench files + GSM8K + 6 RULER tasks × 3 lengths)
        assertEquals(3 * (3 + 1 + 6 * 3), cells.size());
        assertTrue(cells.stream().allMatch(c -> c.cell().prefill() == io.vecinfer.kvcache.Prefill.EXACT));
        assertEquals(java.util.Set.of("fp16", "vecinfer:k=d4b8,v=d4b8,r=128", "vecinfer:k=d8b12,v=d8b12,r=128"),
                cells.stream().map(c -> c.cell().method()).collect(java.util.stream.Collectors.toSet()));
    }

    @Test
    void theReadmesPrefillSemanticsSweepHasBothValuesPerCell() throws Exception {
        SweepFile sweep = shipped(Sweeps.repoRoot().resolve("spark-jobs/src/main/resources/prefill-semantics-sweep.json"));
        SweepValidator.validate(sweep, NO_GPU, new Configuration());
        List<PlannedCell> cells = Grid.expand(sweep.spec());
        // 2 models × 4 methods × 2 tasks × 2 prefill values
        assertEquals(32, cells.size());
        assertEquals(16, cells.stream().filter(c -> c.cell().prefill() == io.vecinfer.kvcache.Prefill.EXACT).count());
    }

    @Test
    void theBackendIsParsedOnceAndAnUnknownOneIsNamedWithItsLine() {
        Path cuda = Sweeps.writeText(dir.resolve("cuda.json"), valid(",\n  \"backend\": \"cuda\""));
        assertEquals(SweepBackend.CUDA, SweepFile.read(cuda).spec().backend());
        String text = valid(",\n  \"backend\": \"tpu\"");
        SweepSpecException.Problem p = onlyProblem("bad-backend.json", text);
        assertEquals("backend", p.field());
        assertEquals(lineOf(text, "\"tpu\""), p.line());
        assertTrue(p.message().contains("unknown backend 'tpu' (known: cpu, cuda)"), p.message());
    }

    @Test
    void unknownPrefillIsNamedWithItsLine() {
        String text = valid("").replace("{\"name\": \"passkey\", \"limit\": 2}",
                "{\"name\": \"passkey\", \"limit\": 2,\n     \"prefill\": [\"exact\", \"lazy\"]}");
        SweepSpecException.Problem p = onlyProblem("bad-prefill.json", text);
        assertEquals("tasks[1].prefill[1]", p.field());
        assertEquals(lineOf(text, "\"lazy\""), p.line());
        assertTrue(p.message().contains("unknown prefill 'lazy' (known: exact, compressed)"), p.message());
    }

    @Test
    void yamlIsReadLikeJson() {
        String yaml = """
                models: [%s]
                methods: [fp16, "kivi:k=b2g32,v=b2g32,r=32"]
                tasks:
                  - name: passkey
                    limit: 3
                    contextLengths: [512]
                output: %s
                """.formatted(Sweeps.referenceModel(), dir.resolve("out"));
        SweepFile sweep = SweepFile.read(Sweeps.writeText(dir.resolve("s.yaml"), yaml));
        SweepValidator.validate(sweep, NO_GPU, new Configuration());
        assertEquals(2, Grid.expand(sweep.spec()).size());
        assertEquals(512, Grid.expand(sweep.spec()).get(1).cell().contextLength());
    }

    @Test
    void syntaxErrorNamesItsLine() {
        String text = valid("").replace("\"batchSizes\": [1, 4],", "\"batchSizes\": [1, 4]");
        SweepSpecException.Problem p = onlyProblem("syntax.json", text);
        assertEquals(lineOf(text, "\"seeds\""), p.line());
    }

    @Test
    void wrongTypeNamesFieldAndLine() {
        String text = valid("").replace("\"limit\": 4", "\"limit\": \"four\"");
        SweepSpecException.Problem p = onlyProblem("type.json", text);
        assertEquals("tasks[0].limit", p.field());
        assertEquals(lineOf(text, "\"four\""), p.line());
    }

    @Test
    void unknownFieldIsRejected() {
        String text = valid(",\n  \"batchsize\": 3");
        SweepSpecException.Problem p = onlyProblem("unknown-field.json", text);
        assertEquals("batchsize", p.field());
        assertEquals(lineOf(text, "\"batchsize\""), p.line());
    }

    @Test
    void unknownTaskListsKnownOnes() {
        String text = valid("").replace("\"name\": \"passkey\"", "\"name\": \"needle\"");
        SweepSpecException.Problem p = onlyProblem("task.json", text);
        assertEquals("tasks[1].name", p.field());
        assertEquals(lineOf(text, "\"needle\""), p.line());
        assertTrue(p.message().contains("fidelity, gsm8k, longbench, passkey, perplexity, ruler_cwe"), p.message());
    }

    @Test
    void malformedMethods() {
        for (String bad : List.of("", "turbo:k=2", "kivi:k2")) {
            String text = valid("").replace("\"fp16\",", "\"" + bad + "\",");
            SweepSpecException.Problem p = onlyProblem("method.json", text);
            assertEquals("methods[0]", p.field());
            assertEquals(lineOf(text, "\"methods\""), p.line());
        }
    }

    @Test
    void missingModelFolder() {
        Path notAModel = dir.resolve("no-model");
        String text = valid("").replace(Sweeps.referenceModel(), notAModel.toString());
        SweepSpecException.Problem p = onlyProblem("model.json", text);
        assertEquals("models[0]", p.field());
        assertTrue(p.message().contains("no config.json") && p.message().contains(notAModel.toString()), p.message());
    }

    @Test
    void missingCodebookFile() {
        Path codebook = dir.resolve("missing.cb");
        String text = valid(",\n  \"codebooks\": [{\"model\": \"" + Sweeps.referenceModel()
                + "\", \"method\": \"vecinfer:k=d4b8,v=d4b8,r=128\",\n    \"path\": \"" + codebook + "\"}]");
        SweepSpecException.Problem p = onlyProblem("codebook.json", text);
        assertEquals("codebooks[0].path", p.field());
        assertEquals(lineOf(text, "\"path\""), p.line());
    }

    @Test
    void aPresentCodebookReachesItsCells() throws Exception {
        Path codebook = io.vecinfer.spark.testing.CodebookFiles.forModel(dir.resolve("cb.safetensors"), "vecinfer:k=d4b8,v=d4b8,r=128", Sweeps.referenceModel());
        String text = valid(",\n  \"codebooks\": [{\"model\": \"" + Sweeps.referenceModel()
                + "\", \"method\": \"vecinfer:k=d4b8,v=d4b8,r=128\", \"path\": \"" + codebook + "\"}]");
        SweepFile sweep = SweepFile.read(Sweeps.writeText(dir.resolve("cb.json"), text));
        SweepValidator.validate(sweep, NO_GPU, new Configuration());
        assertTrue(Grid.expand(sweep.spec()).stream().allMatch(c -> c.cell().method().equals("fp16") == (c.cell().codebook() == null)));
    }

    @Test
    void outputThatCannotBeCreated() throws Exception {
        Path aFile = Files.writeString(dir.resolve("a-file"), "not a folder");
        String text = valid("").replace(dir.resolve("out").toString(), aFile.resolve("out").toString());
        SweepSpecException.Problem p = onlyProblem("output.json", text);
        assertEquals("output", p.field());
        assertTrue(p.message().contains("not writable"), p.message());
    }

    @Test
    void cudaWithoutGpuSaysSo() {
        String text = valid(",\n  \"backend\": \"cuda\"");
        SweepSpecException.Problem p = onlyProblem("cuda.json", text);
        assertEquals("backend", p.field());
        assertEquals(lineOf(text, "\"cuda\""), p.line());
        assertTrue(p.message().contains("no GPU is available") && p.message().contains("spark.executor.resource.gpu.amount"), p.message());
        SweepValidator.validate(SweepFile.read(dir.resolve("cuda.json")), new GpuPresence(true, "test"), new Configuration());
    }

    @Test
    void theSameTaskAndContextListedTwiceWithDifferentLimitsIsAnError() {
        String text = valid("").replace("{\"name\": \"passkey\", \"limit\": 2}",
                "{\"name\": \"passkey\", \"limit\": 2},\n    {\"name\": \"perplexity\", \"limit\": 9, \"contextLengths\": [256, 512]}");
        SweepSpecException.Problem p = onlyProblem("twice.json", text);
        assertEquals("tasks[2].limit", p.field());
        assertEquals(lineOf(text, "\"limit\": 9"), p.line());
        assertTrue(p.message().contains("task perplexity at context length 256 is also listed at tasks[0] with limit 4, here 9"), p.message());

        // Other context lengths, or the same limit, are no conflict: nothing collapses silently.
        String distinct = valid("").replace("{\"name\": \"passkey\", \"limit\": 2}",
                "{\"name\": \"passkey\", \"limit\": 2},\n    {\"name\": \"perplexity\", \"limit\": 9, \"contextLengths\": [512]},\n"
                        + "    {\"name\": \"perplexity\", \"limit\": 4, \"contextLengths\": [128]}");
        SweepValidator.validate(SweepFile.read(Sweeps.writeText(dir.resolve("distinct.json"), distinct)), NO_GPU, new Configuration());
    }

    @Test
    void nullEntriesAreNamedWithTheirLinesAllAtOnce() {
        String text = valid(",\n  \"codebooks\": [null]")
                .replace("\"vecinfer:k=d4b8,v=d4b8,r=128\"]", "null]")
                .replace("{\"name\": \"passkey\", \"limit\": 2}", "null,\n    {\"limit\": 2}")
                .replace("\"models\": [\"", "\"models\": [null, \"");
        Path file = Sweeps.writeText(dir.resolve("nulls.json"), text);
        SweepSpecException e = assertThrows(SweepSpecException.class,
                () -> SweepValidator.validate(SweepFile.read(file), NO_GPU, new Configuration()));
        List<String> fields = e.problems().stream().map(SweepSpecException.Problem::field).toList();
        assertEquals(List.of("models[0]", "methods[1]", "codebooks[0]", "tasks[1]", "tasks[2].name"), fields, e.getMessage());
        for (SweepSpecException.Problem p : e.problems()) {
            assertEquals(file.toString(), p.file());
            assertTrue(p.line() > 0, p.toString());
        }
        assertEquals(lineOf(text, "{\"limit\": 2}"), e.problems().get(4).line());
        assertTrue(e.problems().get(1).message().startsWith("null entry; expected a method"), e.getMessage());
    }

    @Test
    void everyProblemIsReportedAtOnce() {
        String text = valid("").replace("\"name\": \"passkey\"", "\"name\": \"needle\"").replace("\"fp16\",", "\"fp8\",");
        Path file = Sweeps.writeText(dir.resolve("two.json"), text);
        SweepSpecException e = assertThrows(SweepSpecException.class,
                () -> SweepValidator.validate(SweepFile.read(file), NO_GPU, new Configuration()));
        assertEquals(2, e.problems().size(), e.getMessage());
    }
}
