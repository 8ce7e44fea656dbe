package io.vecinfer.spark;

import io.vecinfer.eval.task.BatchSize;
import io.vecinfer.spark.testing.HashCellRunner;
import io.vecinfer.spark.testing.LocalSpark;
import io.vecinfer.spark.testing.Sweeps;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The GPU batch comes from the sweep (a number or auto), not from Spark's slices, which never cut it. */
class GpuBatchTest {
    private static final GpuPresence NO_GPU = new GpuPresence(false, "no GPU in this test");
    private static final GpuPresence A_GPU = new GpuPresence(true, "a GPU this test pretends to have");
    private static final Runners.Classes STAND_INS = new Runners.Classes(HashCellRunner.class.getName(), HashCellRunner.class.getName());

    @TempDir
    Path dir;

    private String sweep(String backend, String batchSizes, String samplesPerTask) {
        return """
                {
                  "models": ["%s"],
                  "methods": ["fp16"],
                  "tasks": [{"name": "perplexity", "limit": 5, "contextLengths": [128]}],%s%s
                  "backend": "%s",
                  "output": "%s"
                }
                """.formatted(Sweeps.referenceModel(), batchSizes == null ? "" : "\n  \"batchSizes\": " + batchSizes + ",",
                samplesPerTask == null ? "" : "\n  \"samplesPerTask\": " + samplesPerTask + ",", backend, dir.resolve("out"));
    }

    private SweepFile read(String name, String text) {
        return SweepFile.read(Sweeps.writeText(dir.resolve(name), text));
    }

    @Test
    void batchSizesAreIntegersOrAutoReadOnceIntoATypeWithBackendDefaults() {
        SweepFile mixed = read("mixed.json", sweep("cpu", "[1, \"auto\", 16]", null));
        assertEquals(List.of(BatchSize.fixed(1), BatchSize.AUTO, BatchSize.fixed(16)), mixed.spec().batchSizes());
        SweepFile yaml = SweepFile.read(Sweeps.writeText(dir.resolve("mixed.yaml"), "models: [m]\nbatchSizes: [auto, 4]\n"));
        assertEquals(List.of(BatchSize.AUTO, BatchSize.fixed(4)), yaml.spec().batchSizes());

        SweepSpec cuda = read("cuda.json", sweep("cuda", null, null)).spec();
        assertEquals(List.of(BatchSize.AUTO), cuda.batchSizes());
        assertEquals(SweepSpec.CUDA_SAMPLES_PER_TASK, cuda.samplesPerTask());
        SweepSpec cpu = read("cpu.json", sweep("cpu", null, null)).spec();
        assertEquals(List.of(BatchSize.fixed(1)), cpu.batchSizes());
        assertEquals(SweepSpec.CPU_SAMPLES_PER_TASK, cpu.samplesPerTask());
    }

    @Test
    void anythingElseIsRefusedAtItsFileLineAndField() {
        for (String bad : List.of("0", "-2", "2.5", "\"big\"", "\"Auto\"", "true", "4000000000")) {
            String text = sweep("cpu", "[1,\n    " + bad + "]", null);
            SweepSpecException e = assertThrows(SweepSpecException.class, () -> read("bad.json", text), bad);
            SweepSpecException.Problem problem = e.problems().get(0);
            assertEquals(dir.resolve("bad.json").toString(), problem.file(), bad);
            assertEquals(6, problem.line(), bad + ": " + e.getMessage());
            assertTrue(problem.field().startsWith("batchSizes"), bad + ": " + problem.field());
            assertTrue(problem.message().contains("an integer >= 1 or \"auto\""), bad + ": " + problem.message());
        }
        SweepFile empty = read("empty.json", sweep("cpu", "[]", null));
        SweepSpecException e = assertThrows(SweepSpecException.class, () -> SweepValidator.validate(empty, NO_GPU, new Configuration()));
        assertEquals("batchSizes", e.problems().get(0).field());
    }

    @Test
    void aSliceIsWholeBatchesAndAnAutoSliceIsSamplesPerTask() {
        assertEquals(4, CellJobs.sliceSize(2, BatchSize.fixed(4)));
        assertEquals(8, CellJobs.sliceSize(8, BatchSize.fixed(4)));
        assertEquals(12, CellJobs.sliceSize(9, BatchSize.fixed(4)));
        assertEquals(3, CellJobs.sliceSize(3, BatchSize.fixed(1)));
        assertEquals(64, CellJobs.sliceSize(64, BatchSize.AUTO));
        for (int perTask = 1; perTask < 40; perTask++) {
            for (int b = 1; b < 20; b++) {
                int slice = CellJobs.sliceSize(perTask, BatchSize.fixed(b));
                assertEquals(0, slice % b);
                assertTrue(slice >= perTask && slice >= b && slice - b < Math.max(perTask, b), perTask + "/" + b + " -> " + slice);
            }
        }
    }

    @Test
    void aTaskSmallerThanTheBatchIsWidenedSoTheRunnerSeesWholeBatches() {
        HashCellRunner.clearCalls();
        Evaluate.Outcome outcome = Evaluate.run(LocalSpark.session(), read("s.json", sweep("cpu", "[4, \"auto\"]", "2")), NO_GPU, STAND_INS);
        assertTrue(outcome.complete(), () -> outcome.failedCells().toString());
        assertEquals(10, outcome.committedNow());
        Map<String, List<HashCellRunner.Call>> byBatch = new TreeMap<>();
        for (HashCellRunner.Call call : HashCellRunner.calls()) byBatch.computeIfAbsent(call.cell().batch().toString(), b -> new java.util.ArrayList<>()).add(call);
        // Batch 4 from tasks of 2: slices of 4 (and the rest, 1), each one batch.
        assertEquals(List.of(1, 4), byBatch.get("4").stream().map(HashCellRunner.Call::slice).sorted().toList());
        assertTrue(byBatch.get("4").stream().allMatch(c -> c.batches().equals(List.of(c.slice()))), byBatch.toString());
        // Auto on the CPU: slices of samplesPerTask, one sequence at a time.
        assertEquals(List.of(1, 2, 2), byBatch.get("auto").stream().map(HashCellRunner.Call::slice).sorted().toList());
        assertTrue(byBatch.get("auto").stream().allMatch(c -> c.batches().stream().allMatch(b -> b == 1)), byBatch.toString());

        List<Row> rows = LocalSpark.rawSamples(dir.resolve("out")).collectAsList();
        for (Row row : rows) {
            int requested = row.getAs("batch_size");
            int ran = row.getAs("device_batch");
            if (requested == BatchSize.AUTO_CODE) assertEquals(1, ran);
            else assertTrue(ran == 4 || ran == 1, "batch 4 ran in " + ran);
            assertTrue(row.<Double>getAs("batch_ms") >= 0);
        }
        assertEquals(5, rows.stream().filter(r -> r.<Integer>getAs("batch_size") == BatchSize.AUTO_CODE).count());
    }

    @Test
    void autoOnAGpuFillsItsSliceUpToWhatTheDeviceHolds() {
        HashCellRunner.clearCalls();
        Evaluate.Outcome outcome = Evaluate.run(LocalSpark.session(), read("g.json", sweep("cuda", null, null)), A_GPU, STAND_INS);
        assertTrue(outcome.complete(), () -> outcome.failedCells().toString());
        List<HashCellRunner.Call> calls = HashCellRunner.calls();
        assertEquals(1, calls.size(), "5 samples are one slice of the cuda default: " + calls);
        assertEquals(List.of(HashCellRunner.DEVICE_BATCH_LIMIT, 1), calls.get(0).batches());
    }

    @Test
    void theCellsIdentityHashesTheRequestedBatch() {
        SweepFile sweep = read("ids.json", sweep("cpu", "[1, \"auto\"]", null));
        List<PlannedCell> cells = Grid.expand(sweep.spec());
        assertEquals(2, cells.size());
        assertEquals(1, cells.get(0).identity().get("batch_size"));
        assertEquals("auto", cells.get(1).identity().get("batch_size"));
        assertNotEquals(cells.get(0).configHash(), cells.get(1).configHash());
        assertEquals(BatchSize.AUTO, CellCodec.fromJson(CellCodec.toJson(cells.get(1).cell())).batch());
        assertTrue(EvaluatePartition.describe(cells.get(1).configHash(), cells.get(1).cell()).contains("/ batch auto /"));
    }

    @Test
    void theShippedGpuBatchSweepIsValidAndHasItsSamples() throws Exception {
        String text = java.nio.file.Files.readString(Sweeps.repoRoot().resolve("spark-jobs/src/main/resources/gpu-batch-sweep.json"))
                .replace("\"datasets/", "\"" + Sweeps.repoRoot().resolve("datasets") + "/");
        SweepFile sweep = read("gpu-batch-sweep.json", text).withOutput(dir.resolve("out").toString());
        SweepValidator.validate(sweep, A_GPU, new Configuration());
        assertEquals(List.of(BatchSize.fixed(1), BatchSize.fixed(4), BatchSize.fixed(16), BatchSize.AUTO), sweep.spec().batchSizes());
        List<PlannedCell> cells = Grid.expand(sweep.spec());
        assertEquals(16, cells.size(), "2 methods x 2 tasks x 4 batch sizes");
        try (var catalog = io.vecinfer.eval.task.DatasetSampleCatalog.create()) {
            for (PlannedCell cell : cells) {
                assertEquals(cell.cell().task().equals("passkey") ? 20 : 32, catalog.sampleIds(cell.cell(), cell.limit()).size(), cell.cell().task());
            }
        }
    }
}
