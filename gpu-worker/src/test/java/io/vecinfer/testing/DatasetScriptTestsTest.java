package io.vecinfer.testing;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Python unit tests beside the dataset scripts, run in CI through the README's test command: the long-context
 * model's phase schedule (datasets/long-context-model/test_phase_schedule.py, plain python3, no torch).
 */
class DatasetScriptTestsTest {
    @Test
    void theLongContextTrainingScheduleTestsPass() throws IOException, InterruptedException {
        Process p = new ProcessBuilder("python3", "-m", "unittest", "discover", "-s", "datasets/long-context-model", "-p", "test_*.py", "-v")
                .directory(RepoPaths.root().toFile()).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the tests did not finish in 60 s");
        assertEquals(0, p.exitValue(), output);
        assertTrue(output.contains("Ran ") && output.contains("OK"), output);
    }
}
