package io.vecinfer.eval.task;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vecinfer.testing.RepoPaths;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The tasks on the shipped model, checked against what its training log measured with transformers. */
class TasksOnReferenceModelTest {
    private static CpuCellRunner runner;
    private static final String MODEL = RepoPaths.referenceModel().toString();

    @BeforeAll
    static void open() {
        runner = new CpuCellRunner(RepoPaths.root().resolve("datasets"));
    }

    @AfterAll
    static void close() {
        runner.close();
    }

    private static Cell cell(String method, String task, int context, int batch) {
        return new Cell(MODEL, method, null, task, context, batch, 0);
    }

    @Test
    void perplexityWindowMatchesTrainingLog() throws Exception {
        JsonNode log = new ObjectMapper().readTree(Files.readString(RepoPaths.referenceModel().resolve("training-log.json")));
        double logged = log.get("heldout").get("mean_nll_per_window").get(0).asDouble();
        for (String method : List.of("fp32", "fp16")) {
            Cell cell = cell(method, "perplexity", 0, 1);
            List<String> ids = runner.sampleIds(cell, 1);
            assertEquals(List.of("heldout-2048-w0"), ids);
            double nll = runner.run(cell, ids).get(0).scores().get("nll");
            double tolerance = method.equals("fp32") ? 1e-4 : 1e-3; // fp16 rounding of K/V moves the 4th digit at most
            assertEquals(logged, nll, logged * tolerance, method + " nll of window 0");
        }
    }

    @Test
    void passkeyIsRetrievedAndScoredByTheKey() {
        Cell cell = cell("fp16", "passkey", 1024, 2);
        List<String> ids = runner.sampleIds(cell, 4);
        assertEquals(4, ids.size());
        var results = runner.run(cell, ids);
        for (SampleResult r : results) {
            assertEquals(1.0, r.scores().get("accuracy"), r.sampleId() + " generated '" + r.prediction() + "'");
            assertTrue(r.prediction().strip().startsWith(r.reference()));
            assertEquals(1024, r.contextTokens());
            assertTrue(r.kvBytesPerToken() > 0 && Math.abs(r.compressionRatio() - 1.0) < 1e-9, "fp16 is the unit of compression");
        }
    }

    @Test
    void fidelityOfFp16AgainstItselfIsPerfectAndFp32IsClose() {
        var same = runner.run(cell("fp16", "fidelity", 128, 2), runner.sampleIds(cell("fp16", "fidelity", 128, 2), 2));
        for (SampleResult r : same) {
            assertEquals(0.0, r.scores().get("kl"), 1e-12);
            assertEquals(1.0, r.scores().get("top1_agreement"));
            assertEquals(1.0, r.scores().get("greedy_exact_match"));
        }
        var close = runner.run(cell("fp32", "fidelity", 128, 2), runner.sampleIds(cell("fp32", "fidelity", 128, 2), 2));
        for (SampleResult r : close) {
            double kl = r.scores().get("kl");
            assertTrue(kl > 0 && kl < 1e-4, "fp32 vs fp16 KL " + kl);
        }
    }

    @Test
    void aContextThatDoesNotFitTheModelIsRefused() {
        var e = assertThrows(IllegalArgumentException.class, () -> runner.sampleIds(cell("fp16", "perplexity", 8192, 1), 1));
        assertTrue(e.getMessage().contains("8192") && e.getMessage().contains("context of 4096"), e.getMessage());
    }

    @Test
    void unknownTaskIsRefusedWithTheKnownOnes() {
        var e = assertThrows(IllegalArgumentException.class, () -> TaskRegistry.task("mmlu"));
        assertTrue(e.getMessage().contains("mmlu") && e.getMessage().contains("perplexity"), e.getMessage());
    }
}
