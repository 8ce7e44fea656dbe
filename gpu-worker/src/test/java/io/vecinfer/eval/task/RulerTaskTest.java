package io.vecinfer.eval.task;

import io.vecinfer.eval.ruler.RulerScoring;
import io.vecinfer.kvcache.Prefill;
import io.vecinfer.testing.RepoPaths;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** RULER tasks as sweep cells on the shipped model: listed without weights, run, scored on their own text. */
class RulerTaskTest {
    private static final String MODEL = RepoPaths.referenceModel().toString();
    private static CpuCellRunner runner;

    @BeforeAll
    static void open() {
        runner = new CpuCellRunner(RepoPaths.root().resolve("datasets"));
    }

    @AfterAll
    static void close() {
        runner.close();
    }

    @Test
    void everyKindIsATaskWithExactPrefillByDefault() {
        for (String name : List.of("ruler_niah_single", "ruler_niah_multikey", "ruler_niah_multivalue", "ruler_niah_multiquery",
                "ruler_vt", "ruler_cwe")) {
            assertEquals(Prefill.EXACT, new Cell(MODEL, "fp16", null, name, 1024, 1, 0).prefill(), name);
        }
    }

    @Test
    void aCellRunsAndEachScoreIsItsPredictionsStringMatch() {
        for (String method : List.of("fp16", "kivi:k=b2g32,v=b2g32,r=32")) {
            Cell cell = new Cell(MODEL, method, null, "ruler_niah_multivalue", 1024, 2, 0);
            List<String> ids = runner.sampleIds(cell, 2);
            assertEquals(List.of("ruler_niah_multivalue-1024-0000", "ruler_niah_multivalue-1024-0001"), ids);
            List<SampleResult> results = runner.run(cell, ids);
            for (SampleResult r : results) {
                List<String> references = Arrays.asList(r.reference().split(", "));
                assertEquals(4, references.size());
                assertEquals(RulerScoring.stringMatchAll(r.prediction(), references), r.scores().get("string_match_all"));
                assertTrue(r.generatedTokens() >= 0 && r.generatedTokens() <= 64);
                assertEquals(1024, r.contextTokens());
            }
        }
    }

    @Test
    void aLimitCanAskForMoreThanTheDefaultSamplesUpToTheCap() {
        Cell cell = new Cell(MODEL, "fp16", null, "ruler_niah_single", 1024, 1, 0);
        assertEquals(RulerTask.SAMPLES, runner.sampleIds(cell, 0).size());
        List<String> many = runner.sampleIds(cell, 40);
        assertEquals(40, many.size());
        assertEquals("ruler_niah_single-1024-0039", many.get(39));
        assertEquals(40, new java.util.HashSet<>(many).size());
        assertEquals(RulerTask.MAX_SAMPLES, runner.sampleIds(cell, RulerTask.MAX_SAMPLES + 5).size());
        // A fresh runner (an executor that never listed them) runs an id past "all": the same prompt and answer.
        try (CpuCellRunner fresh = new CpuCellRunner(RepoPaths.root().resolve("datasets"))) {
            SampleResult r = fresh.run(cell, List.of("ruler_niah_single-1024-0039")).get(0);
            assertEquals("ruler_niah_single-1024-0039", r.sampleId());
            SampleResult again = runner.run(cell, List.of("ruler_niah_single-1024-0039")).get(0);
            assertEquals(again.reference(), r.reference());
            assertEquals(again.prediction(), r.prediction());
        }
        assertThrows(IllegalArgumentException.class, () -> runner.run(cell, List.of("ruler_niah_single-1024-1000")));
        assertThrows(IllegalArgumentException.class, () -> runner.run(cell, List.of("ruler_niah_single-2048-0001")));
    }

    @Test
    void aLengthBeyondTheModelIsRefused() {
        Cell cell = new Cell(MODEL, "fp16", null, "ruler_cwe", 4096, 1, 0);
        var e = assertThrows(IllegalArgumentException.class, () -> runner.sampleIds(cell, 1));
        assertTrue(e.getMessage().contains("ruler_cwe: 4096 tokens + 120 generated do not fit"), e.getMessage());
    }
}
