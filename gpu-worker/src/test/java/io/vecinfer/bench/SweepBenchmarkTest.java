package io.vecinfer.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vecinfer.eval.task.BatchSize;
import io.vecinfer.testing.RepoPaths;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The sweep benchmark's plan, and the whole run on the CPU backend with the shipped reference model (tiny windows
 * and the shortest passkey prompts): the same runner path the CUDA backend takes, only the backend differs.
 */
class SweepBenchmarkTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void defaultsAreTheEightBSweep() {
        SweepBenchmark.Plan plan = SweepBenchmark.Plan.parse(new String[0]);
        assertEquals("cuda", plan.backend());
        assertEquals(Path.of("/tmp/llama8b-random"), plan.model());
        List<SweepBenchmark.TaskRun> tasks = plan.tasks();
        assertEquals(List.of("perplexity", "passkey"), tasks.stream().map(SweepBenchmark.TaskRun::task).toList());
        for (SweepBenchmark.TaskRun t : tasks) {
            assertEquals(4096, t.cell().contextLength());
            assertEquals(BatchSize.AUTO, t.cell().batch());
            assertEquals("fp16", t.cell().method());
        }
        assertEquals(16, tasks.get(0).samples());
        assertEquals(20, tasks.get(1).samples());
        assertFalse(plan.listOnly());
    }

    @Test
    void argumentsAreReadAndBadOnesRefused() {
        SweepBenchmark.Plan plan = SweepBenchmark.Plan.parse(new String[]{"--backend", "cpu", "--windows", "3", "--window", "256",
                "--passkeys", "2", "--passkey-context", "512", "--reps", "3", "--list-only", "--model", "m"});
        assertEquals("cpu", plan.backend());
        assertEquals(3, plan.reps());
        assertTrue(plan.listOnly());
        assertEquals(3, plan.tasks().get(0).samples());
        assertEquals(256, plan.tasks().get(0).cell().contextLength());
        assertEquals(512, plan.tasks().get(1).cell().contextLength());
        assertEquals(Path.of("m").toAbsolutePath().toString(), plan.tasks().get(0).cell().model());
        assertThrows(IllegalArgumentException.class, () -> SweepBenchmark.Plan.parse(new String[]{"--backend", "tpu"}));
        assertThrows(IllegalArgumentException.class, () -> SweepBenchmark.Plan.parse(new String[]{"--windows", "0"}));
        assertThrows(IllegalArgumentException.class, () -> SweepBenchmark.Plan.parse(new String[]{"--reps"}));
        assertThrows(IllegalArgumentException.class, () -> SweepBenchmark.Plan.parse(new String[]{"--batch", "4"}));
    }

    @Test
    void runsTheSweepOnTheCpuBackendAndListsTheSamplesForThePeer(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("ours.json"), samples = dir.resolve("samples.json");
        SweepBenchmark.main(new String[]{"--model", RepoPaths.referenceModel().toString(), "--datasets",
                RepoPaths.root().resolve("datasets").toString(), "--backend", "cpu", "--windows", "2", "--window", "128",
                "--passkeys", "2", "--passkey-context", "512", "--reps", "1", "--out", out.toString(),
                "--samples-out", samples.toString()});

        JsonNode listing = JSON.readTree(Files.readString(samples));
        JsonNode windows = listing.get("tasks").get(0), passkeys = listing.get("tasks").get(1);
        assertEquals("perplexity", windows.get("task").asText());
        assertEquals(0, windows.get("max_new_tokens").asInt());
        assertEquals(2, windows.get("samples").size());
        assertEquals(129, windows.get("samples").get(0).get("prompt").size(), "BOS and the window");
        assertEquals(0, windows.get("samples").get(0).get("prompt").get(0).asInt(), "the reference model's BOS");
        assertEquals("passkey", passkeys.get("task").asText());
        assertEquals(6, passkeys.get("max_new_tokens").asInt());
        assertEquals(512, passkeys.get("samples").get(1).get("prompt").size());

        JsonNode result = JSON.readTree(Files.readString(out));
        assertFalse(result.has("error"), result.toString());
        assertFalse(result.has("in_progress"));
        JsonNode rows = result.get("rows");
        assertEquals(2, rows.size());
        for (JsonNode row : rows) {
            assertEquals("cpu", row.get("ran_on").asText(), row.toString());
            assertEquals(2, row.get("samples").asInt());
            assertEquals(1, row.get("warm_up_s").size());
            assertEquals(1, row.get("ours_s").size());
            double perS = row.get("ours_samples_per_s").asDouble();
            assertEquals(2 / row.get("ours_median_s").asDouble(), perS, perS * 0.01 + 1e-3);
            assertTrue(perS > 0, row.toString());
            assertEquals(1, row.get("device_batch").asInt(), "the CPU backend decodes an auto batch one by one");
        }
        JsonNode ppl = rows.get(0);
        assertEquals(2 * 129, ppl.get("prompt_tokens").asInt());
        double nll = ppl.get("ours_mean_nll").asDouble();
        // The trained model on its held-out text: far below a uniform guess over its 8192 tokens (ln 8192 = 9.0).
        assertTrue(nll > 0.5 && nll < 6, "mean nll " + nll);
        JsonNode passkey = rows.get(1);
        assertEquals(2 * 6, passkey.get("generated_tokens").asInt());
        assertEquals(1.0, passkey.get("ours_mean_accuracy").asDouble(), "the shipped model retrieves 512-token passkeys");
    }

    @Test
    void tooFewSamplesForTheSweepIsAClearError() {
        SweepBenchmark.Plan plan = SweepBenchmark.Plan.parse(new String[]{"--model", RepoPaths.referenceModel().toString(),
                "--datasets", RepoPaths.root().resolve("datasets").toString(), "--passkeys", "21", "--passkey-context", "512",
                "--window", "128"});
        var e = assertThrows(IllegalArgumentException.class, () -> SweepBenchmark.writeSamples(plan));
        assertTrue(e.getMessage().contains("passkey at context 512 has 20 samples"), e.getMessage());
    }
}
