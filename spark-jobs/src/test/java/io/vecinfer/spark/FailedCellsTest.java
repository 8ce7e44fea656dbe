package io.vecinfer.spark;

import io.vecinfer.eval.task.Cell;
import io.vecinfer.spark.testing.ErrorMidTaskRunner;
import io.vecinfer.spark.testing.HashCellRunner;
import io.vecinfer.spark.testing.LocalSpark;
import io.vecinfer.spark.testing.Sweeps;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Item 3 of issue 14: a failed cell is recorded and reported; a retried task recomputes and recommits nothing. */
class FailedCellsTest {
    private static final GpuPresence A_GPU = new GpuPresence(true, "a GPU this test pretends to have");
    private static final Runners.Classes STAND_IN_GPU = new Runners.Classes(Runners.DEFAULT_CLASS, HashCellRunner.class.getName());

    @TempDir
    Path dir;

    private Evaluate.Outcome evaluateCuda(List<Integer> batchSizes) {
        Path sweep = Sweeps.write(dir, "cuda.json", List.of("fp16"), 5, 4, dir.resolve("out"), "cuda", batchSizes);
        return Evaluate.run(LocalSpark.session(), SweepFile.read(sweep), A_GPU, STAND_IN_GPU);
    }

    @Test
    void aFailedCellIsRecordedNamedInTheReportAndClearedOnceItCompletes() {
        int tooLarge = HashCellRunner.DEVICE_BATCH_LIMIT * 2;
        Evaluate.Outcome outcome = evaluateCuda(List.of(2, tooLarge));
        assertEquals(2, outcome.failedCells().size());
        org.apache.hadoop.fs.Path out = outcome.output();
        List<FailedCells.Entry> recorded = FailedCells.read(out, new Configuration());
        assertEquals(outcome.failedCells().stream().map(EvaluatePartition.CellFailure::configHash).sorted().toList(),
                recorded.stream().map(FailedCells.Entry::configHash).sorted().toList());
        recorded.forEach(e -> assertTrue(e.error().contains("CUDA_ERROR_OUT_OF_MEMORY") && e.error().contains("/ batch " + tooLarge + " /"), e.error()));

        String report = printed(() -> Report.run(LocalSpark.session(), out.toString()));
        assertTrue(report.contains("2 cell(s) failed in their last run"), report);
        for (FailedCells.Entry e : recorded) assertTrue(report.contains(e.error()), report);

        // A sweep without the failed cells leaves their entries as they are.
        evaluateCuda(List.of(2));
        assertEquals(2, FailedCells.read(out, new Configuration()).size(), "cells outside this sweep keep their entries");
        // The report covers the last sweep: the earlier sweep's failures are not its; --all reports them with every cell.
        String lastSweep = printed(() -> Report.run(LocalSpark.session(), out.toString()));
        assertFalse(lastSweep.contains("failed in their last run"), lastSweep);
        String everything = printed(() -> Report.run(LocalSpark.session(), out.toString(), true));
        assertTrue(everything.contains("2 cell(s) failed in their last run"), everything);
        // The same cells where they fit (the CPU stand-in has no device limit): they complete, and no failure is left.
        Path cpuSweep = Sweeps.write(dir, "cpu.json", List.of("fp16"), 5, 4, dir.resolve("out"), "cpu", List.of(2, tooLarge));
        Evaluate.Outcome onCpu = Evaluate.run(LocalSpark.session(), SweepFile.read(cpuSweep), A_GPU, new Runners.Classes(HashCellRunner.class.getName(), HashCellRunner.class.getName()));
        assertTrue(onCpu.complete());
        assertEquals(List.of(), FailedCells.read(out, new Configuration()));
        assertFalse(Files.exists(dir.resolve("out").resolve(FailedCells.FILE)));
    }

    private static String printed(Runnable body) {
        PrintStream before = System.out;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        try {
            body.run();
        } finally {
            System.setOut(before);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void aRetriedTaskNeitherRecomputesNorRecommitsTheCellsItsFailedAttemptCommitted() throws Exception {
        Path samples = dir.resolve("out/samples");
        Cell good = new Cell(Sweeps.referenceModel(), "fp16", null, "perplexity", 128, 2, 7);
        Cell dies = new Cell(Sweeps.referenceModel(), "fp32", null, "perplexity", 128, 2, 7);
        Map<String, String> cellJson = new LinkedHashMap<>(), modelIds = new LinkedHashMap<>();
        List<WorkItem> items = new ArrayList<>();
        for (Cell cell : List.of(good, dies)) {
            String hash = CellCodec.configHash(cell);
            cellJson.put(hash, CellCodec.toJson(cell));
            modelIds.put(hash, String.valueOf(CellIdentity.of(cell).get("model")));
            for (int i = 0; i < 3; i++) items.add(new WorkItem(hash, String.format("perplexity-%03d", i)));
        }
        EvaluatePartition task = new EvaluatePartition(cellJson, modelIds, new Runners.Classes(ErrorMidTaskRunner.class.getName(), Runners.DEFAULT_CUDA_CLASS),
                SweepBackend.CPU, new org.apache.hadoop.fs.Path(samples.toUri()));
        ErrorMidTaskRunner.RUNS.clear();
        // The first attempt and Spark's retries of it: the same items each time.
        for (int attempt = 0; attempt < 4; attempt++) assertThrows(OutOfMemoryError.class, () -> task.call(items.iterator()));

        assertEquals(1, ErrorMidTaskRunner.RUNS.get("fp16").get(), "the good cell ran once");
        assertEquals(4, ErrorMidTaskRunner.RUNS.get("fp32").get());
        try (Stream<Path> files = Files.list(samples.resolve("config_hash=" + CellCodec.configHash(good)))) {
            assertEquals(1, files.filter(f -> f.getFileName().toString().startsWith("part-")).count(), "committed once");
        }
        assertEquals(3, LocalSpark.rawSamples(dir.resolve("out")).count());
    }
}
