package io.vecinfer.spark.notebooks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vecinfer.spark.testing.DefaultSweepOutput;
import io.vecinfer.spark.testing.LocalSpark;
import io.vecinfer.spark.testing.Sweeps;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every notebooks/*.ipynb executed headless by Debian's jupyter-nbconvert (packages jupyter-nbconvert,
 * python3-nbclient, python3-ipykernel, python3-pandas, python3-matplotlib; .ci/run installs them) on the default
 * sweep's output: a cell that raises fails the test. The executed notebooks are kept in target/notebooks/.
 * Skipped, saying why, where nbconvert is not installed; in CI (CI=true) that fails instead.
 */
class NotebooksTest {
    private static final Path NBCONVERT = Path.of(System.getenv().getOrDefault("JUPYTER_NBCONVERT", "/usr/bin/jupyter-nbconvert"));
    private static final Path EXECUTED = Path.of("target/notebooks").toAbsolutePath();
    private static final ObjectMapper JSON = new ObjectMapper();

    @TestFactory
    Stream<DynamicTest> eachNotebookRunsToTheEndAndDrawsItsPlots() throws IOException {
        if (!Files.isExecutable(NBCONVERT)) {
            String reason = "jupyter-nbconvert is not installed (" + NBCONVERT + "): apt-get install jupyter-nbconvert python3-nbclient"
                    + " python3-ipykernel python3-pandas python3-matplotlib";
            if ("true".equals(System.getenv("CI"))) throw new IllegalStateException(reason + "; .ci/run installs them");
            Assumptions.abort(reason);
        }
        Path folder = Sweeps.repoRoot().resolve("notebooks");
        List<Path> notebooks;
        try (Stream<Path> files = Files.list(folder)) {
            notebooks = files.filter(f -> f.toString().endsWith(".ipynb")).sorted().toList();
        }
        assertTrue(notebooks.size() >= 3, "notebooks: " + notebooks);
        Path output = DefaultSweepOutput.get();
        return notebooks.stream().map(nb -> DynamicTest.dynamicTest(nb.getFileName().toString(), () -> {
            JsonNode executed = execute(nb, output);
            List<JsonNode> outputs = new ArrayList<>();
            executed.get("cells").forEach(c -> {
                if (c.has("outputs")) c.get("outputs").forEach(outputs::add);
            });
            long images = outputs.stream().filter(o -> o.has("data") && o.get("data").has("image/png")).count();
            assertTrue(images >= 1, nb + " drew no plot");
            if (nb.getFileName().toString().equals("sweep-report.ipynb")) {
                assertEquals(5, images, "sweep-report.ipynb: score, ablation, passkey, KV and speed plots");
                // What the notebook read (Parquet or CSV) is all the report wrote: the first output line counts it.
                long metrics = LocalSpark.session().read().parquet(output.resolve("metrics").toString()).count();
                long samples = LocalSpark.session().read().parquet(output.resolve("samples").toString()).count();
                String first = text(outputs.get(0));
                assertTrue(first.contains(": " + metrics + " metrics rows, " + samples + " samples, read from "), first);
            }
        }));
    }

    private static JsonNode execute(Path notebook, Path sweepOutput) throws Exception {
        Files.createDirectories(EXECUTED);
        Path log = EXECUTED.resolve(notebook.getFileName() + ".log");
        ProcessBuilder builder = new ProcessBuilder(NBCONVERT.toString(), "--to", "notebook", "--execute",
                "--ExecutePreprocessor.timeout=600", "--output-dir", EXECUTED.toString(), notebook.toString())
                .directory(notebook.getParent().toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().put("VECINFER_SWEEP", sweepOutput.toString());
        builder.environment().put("PYDEVD_DISABLE_FILE_VALIDATION", "1");
        Process process = builder.start();
        if (!process.waitFor(10, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            throw new AssertionError(notebook + " ran past 10 minutes; its log: " + log);
        }
        String said = Files.readString(log, StandardCharsets.UTF_8);
        assertEquals(0, process.exitValue(), notebook + " failed:\n" + said);
        return JSON.readTree(EXECUTED.resolve(notebook.getFileName()).toFile());
    }

    private static String text(JsonNode output) {
        JsonNode text = output.has("text") ? output.get("text") : output.path("data").path("text/plain");
        if (text.isArray()) {
            StringBuilder joined = new StringBuilder();
            text.forEach(t -> joined.append(t.asText()));
            return joined.toString();
        }
        return text.asText();
    }
}
