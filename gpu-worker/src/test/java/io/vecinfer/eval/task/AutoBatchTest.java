package io.vecinfer.eval.task;

import io.vecinfer.decoder.CpuBackend;
import io.vecinfer.model.Model;
import io.vecinfer.quant.MethodSpec;
import io.vecinfer.testing.RepoPaths;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A cell's batch: fixed, or auto (what the backend says fits), and the batch each row says it ran in. */
class AutoBatchTest {
    private static final Path DATASETS = RepoPaths.root().resolve("datasets");

    /** The CPU backend that claims room for {@code fits} sequences and records what it was asked. */
    private static final class Fits extends CpuStandInBackend {
        private final int fits;
        final List<Integer> askedTokens = new ArrayList<>();

        Fits(int fits) {
            super("fits-" + fits);
            this.fits = fits;
        }

        @Override
        public int sequencesThatFit(Model model, MethodSpec method, int tokens, String cell) {
            askedTokens.add(tokens);
            if (fits == 0) throw new IllegalStateException(cell + ": not even one sequence fits");
            return fits;
        }
    }

    private static Cell passkey(int batch) {
        return new Cell(RepoPaths.referenceModel().toString(), "fp16", null, "passkey", 512, batch, 0);
    }

    private static List<Integer> deviceBatches(List<SampleResult> rows) {
        return rows.stream().map(SampleResult::deviceBatch).toList();
    }

    @Test
    void autoRunsAsManyAsTheBackendHoldsAtTheLongestPromptPlusItsNewTokens() {
        Fits backend = new Fits(2);
        try (ModelCellRunner runner = new ModelCellRunner(DATASETS, new KvMethods(DATASETS), backend)) {
            Cell cell = passkey(BatchSize.AUTO_CODE);
            List<SampleResult> rows = runner.run(cell, runner.sampleIds(cell, 3));
            assertEquals(List.of(2, 2, 1), deviceBatches(rows));
            assertEquals(List.of(512 + 6), backend.askedTokens, "asked once per call, at prompt + generated tokens");
            assertTrue(rows.stream().allMatch(r -> r.batchMillis() > 0), "each row has its batch's wall time");
            assertEquals(rows.get(0).batchMillis(), rows.get(1).batchMillis(), "one batch, one time");
        }
    }

    @Test
    void aFixedBatchIsNotAskedAndAnAutoBatchNeverExceedsTheSamplesGiven() {
        Fits backend = new Fits(100);
        try (ModelCellRunner runner = new ModelCellRunner(DATASETS, new KvMethods(DATASETS), backend)) {
            Cell fixed = passkey(2);
            assertEquals(List.of(2, 2, 1), deviceBatches(runner.run(fixed, runner.sampleIds(fixed, 3))));
            assertEquals(List.of(), backend.askedTokens);
            Cell auto = passkey(BatchSize.AUTO_CODE);
            assertEquals(List.of(2, 2), deviceBatches(runner.run(auto, runner.sampleIds(auto, 2))));
        }
    }

    @Test
    void autoOnTheCpuBackendIsOneAtATime() {
        try (ModelCellRunner runner = new ModelCellRunner(DATASETS, new KvMethods(DATASETS), new CpuBackend())) {
            Cell cell = passkey(BatchSize.AUTO_CODE);
            assertEquals(List.of(1, 1), deviceBatches(runner.run(cell, runner.sampleIds(cell, 2))));
        }
    }

    @Test
    void anAutoBatchThatDoesNotFitFailsTheCellByName() {
        try (ModelCellRunner runner = new ModelCellRunner(DATASETS, new KvMethods(DATASETS), new Fits(0))) {
            Cell cell = passkey(BatchSize.AUTO_CODE);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> runner.run(cell, runner.sampleIds(cell, 1)));
            assertTrue(e.getMessage().startsWith("cell fp16 / passkey / ctx 512 / batch auto on "), e.getMessage());
        }
    }

    @Test
    void batchSizesAreAutoOrAtLeastOne() {
        assertEquals("auto", BatchSize.of(0).toString());
        assertTrue(BatchSize.of(0).auto());
        assertEquals(4, BatchSize.of(4).sequences());
        assertEquals(BatchSize.AUTO, passkey(0).batch());
        assertThrows(IllegalArgumentException.class, () -> BatchSize.fixed(0));
        assertThrows(IllegalArgumentException.class, () -> passkey(-1));
    }
}
