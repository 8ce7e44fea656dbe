package io.vecinfer.spark;

import io.vecinfer.spark.testing.HashCellRunner;
import io.vecinfer.spark.testing.LocalSpark;
import io.vecinfer.spark.testing.Sweeps;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.Row;
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
 * A {@code "backend": "cuda"} sweep on a local Spark, as a new user runs it: the driver plans with the
 * worker's own sample catalog, and the tasks run on stand-in GPU runners ({@link HashCellRunner#create(int)}),
 * since this machine has no GPU; the validator is told there is one.
 */
class CudaSweepInLocalModeTest {
    private static final List<String> METHODS = List.of("fp16", "kivi:k=b2g32,v=b2g32,r=32");
    /** 2 methods × (5 perplexity + 4 passkey samples), per batch size. */
    private static final int SAMPLES = 18;
    private static final GpuPresence A_GPU = new GpuPresence(true, "a GPU this test pretends to have");
    /** The worker's CPU runner class, as a new user has it, so the driver lists ids with the worker's catalog. */
    private static final Runners.Classes WORKER_CPU_STAND_IN_GPU = new Runners.Classes(Runners.DEFAULT_CLASS, HashCellRunner.class.getName());

    @TempDir
    Path dir;

    private Evaluate.Outcome evaluate(List<Integer> batchSizes, GpuPresence gpus) {
        Path sweep = Sweeps.write(dir, "cuda.json", METHODS, 5, 4, dir.resolve("out"), "cuda", batchSizes);
        return Evaluate.run(LocalSpark.session(), SweepFile.read(sweep), gpus, WORKER_CPU_STAND_IN_GPU);
    }

    @Test
    void theDriversPlanningLeavesDeviceZeroToTheTasks() {
        Evaluate.Outcome outcome = evaluate(List.of(2), A_GPU);
        assertTrue(outcome.complete(), () -> outcome.failedCells().toString());
        assertEquals(SAMPLES, outcome.committedNow());
        List<Row> rows = LocalSpark.rawSamples(dir.resolve("out")).collectAsList();
        assertEquals(SAMPLES, rows.size());
        for (Row row : rows) {
            assertEquals("cuda", row.getAs("backend"));
            assertEquals("cuda:0 (test)", row.getAs("device"));
        }
        // The ids are the shipped tasks' own, listed from the model's config and tokenizer.
        assertTrue(rows.stream().anyMatch(r -> r.getAs("sample_id").equals("heldout-128-w0")), "ids: " + rows.stream().map(r -> r.getAs("sample_id")).toList());
        assertTrue(rows.stream().anyMatch(r -> r.<String>getAs("sample_id").startsWith("passkey-512-")));
    }

    @Test
    void aGpuOutOfMemoryForOneCellsBatchFailsThatCellAloneAndNamesIt() {
        int tooLarge = HashCellRunner.DEVICE_BATCH_LIMIT * 2;
        Evaluate.Outcome outcome = evaluate(List.of(2, tooLarge), A_GPU);
        assertEquals(SAMPLES, outcome.committedNow(), "the cells of batch 2 complete");
        assertEquals(4, outcome.failedCells().size(), "one failure per cell of batch " + tooLarge + ": " + outcome.failedCells());
        for (EvaluatePartition.CellFailure failure : outcome.failedCells()) {
            String error = failure.error();
            assertTrue(error.startsWith("cell " + failure.configHash() + " ("), error);
            assertTrue(error.contains("/ batch " + tooLarge + " /"), error);
            assertTrue(error.contains("cannot allocate " + tooLarge * HashCellRunner.BYTES_PER_SAMPLE + " bytes on cuda:0"), error);
            assertTrue(error.contains(HashCellRunner.DEVICE_FREE_BYTES + " bytes free"), error);
        }
        assertEquals(SAMPLES, outcome.failedCells().stream().mapToInt(EvaluatePartition.CellFailure::samples).sum(),
                "each failed cell counts its samples of every task once");
        assertTrue(LocalSpark.rawSamples(dir.resolve("out")).collectAsList().stream().allMatch(r -> r.<Integer>getAs("batch_size") == 2));
        var e = new CellsFailedException(outcome.failedCells());
        assertTrue(e.getMessage().startsWith("4 cell(s) failed"), e.getMessage());

        Evaluate.Outcome rerun = evaluate(List.of(2, tooLarge), A_GPU);
        assertEquals(SAMPLES, rerun.alreadyDone());
        assertEquals(4, rerun.failedCells().size(), "a rerun retries the failed cells, and only them");
    }

    @Test
    void cudaWhereNoGpuIsScheduledIsRejectedBeforeAnyWork() {
        GpuPresence cluster = GpuPresence.of(new SparkConf().set("spark.master", "spark://head:7077"));
        assertFalse(cluster.present());
        SweepSpecException e = assertThrows(SweepSpecException.class, () -> evaluate(List.of(2), cluster));
        assertEquals(1, e.problems().size(), e.getMessage());
        assertEquals("backend", e.problems().get(0).field());
        assertTrue(e.getMessage().contains("spark.executor.resource.gpu.amount"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("out/samples")));
    }
}
