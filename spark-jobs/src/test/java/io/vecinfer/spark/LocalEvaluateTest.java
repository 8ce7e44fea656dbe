package io.vecinfer.spark;

import io.vecinfer.eval.task.Cell;
import io.vecinfer.spark.testing.HashCellRunner;
import io.vecinfer.spark.testing.LocalSpark;
import io.vecinfer.spark.testing.Sweeps;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Evaluate on a local Spark: exactly once per (cell, sample), and resume fills exactly the gaps. */
class LocalEvaluateTest {
    private static final List<String> METHODS = List.of("fp16", "kivi:k=b2g32,v=b2g32,r=32");
    /** 2 methods × (5 perplexity + 4 passkey samples). */
    private static final int SAMPLES = 18;

    @TempDir
    Path dir;

    private Evaluate.Outcome evaluate(Path sweep) {
        return Evaluate.run(LocalSpark.session(), SweepFile.read(sweep));
    }

    private Path sweep(String name, List<String> methods) {
        return Sweeps.write(dir, name, methods, 5, 4, dir.resolve("out"));
    }

    /** Each row's cell, rebuilt from its columns, must give the row's config_hash and the runner's scores. */
    static void assertExactlyOnceWithRightScores(Path output, int expected) {
        List<Row> rows = LocalSpark.rawSamples(output).collectAsList();
        assertEquals(expected, rows.size());
        assertEquals(expected, rows.stream().map(r -> r.getAs("config_hash") + "/" + r.getAs("sample_id")).distinct().count());
        for (Row r : rows) {
            Cell cell = new Cell(r.getAs("model"), r.getAs("method"), r.getAs("codebook"), r.getAs("task"),
                    r.<Integer>getAs("context_length"), r.<Integer>getAs("batch_size"), r.<Long>getAs("seed"),
                    io.vecinfer.kvcache.Prefill.parse(r.getAs("prefill")));
            assertEquals(CellCodec.configHash(cell), r.getAs("config_hash"));
            assertEquals(HashCellRunner.expectedScores(cell, r.getAs("sample_id")), r.getJavaMap(r.fieldIndex("scores")));
        }
    }

    @Test
    void eachSampleOnceAndARerunAddsNothing() {
        Path sweep = sweep("sweep.json", METHODS);
        Evaluate.Outcome first = evaluate(sweep);
        assertEquals(4, first.cells());
        assertEquals(SAMPLES, first.samples());
        assertEquals(0, first.alreadyDone());
        assertEquals(SAMPLES, first.committedNow());
        assertExactlyOnceWithRightScores(dir.resolve("out"), SAMPLES);

        Row any = LocalSpark.rawSamples(dir.resolve("out")).first();
        assertEquals("cpu", any.getAs("backend"));
        assertEquals("none", any.getAs("gpu_address"));
        assertEquals("driver", any.getAs("executor_id"));

        List<Path> files = LocalSpark.sampleFiles(dir.resolve("out"));
        Evaluate.Outcome second = evaluate(sweep);
        assertEquals(SAMPLES, second.alreadyDone());
        assertEquals(0, second.committedNow());
        assertEquals(files, LocalSpark.sampleFiles(dir.resolve("out")));
    }

    @Test
    void deletedFilesAreRecomputedAndNothingElse() throws Exception {
        Path sweep = sweep("sweep.json", METHODS);
        evaluate(sweep);
        List<Path> files = LocalSpark.sampleFiles(dir.resolve("out"));
        assertTrue(files.size() >= 4, "files: " + files);
        long deleted = 0;
        for (Path file : List.of(files.get(0), files.get(files.size() - 1))) {
            deleted += LocalSpark.session().read().parquet(file.toString()).count();
            Files.delete(file);
        }
        Evaluate.Outcome rerun = evaluate(sweep);
        assertEquals(SAMPLES - deleted, rerun.alreadyDone());
        assertEquals(deleted, rerun.committedNow());
        assertExactlyOnceWithRightScores(dir.resolve("out"), SAMPLES);
    }

    @Test
    void aWiderSweepRunsOnlyItsNewCells() {
        Evaluate.Outcome partial = evaluate(sweep("fp16-only.json", List.of("fp16")));
        assertEquals(SAMPLES / 2, partial.committedNow());
        Evaluate.Outcome full = evaluate(sweep("sweep.json", METHODS));
        assertEquals(SAMPLES / 2, full.alreadyDone());
        assertEquals(SAMPLES / 2, full.committedNow());
        Map<String, Long> byMethod = LocalSpark.rawSamples(dir.resolve("out")).collectAsList().stream()
                .collect(Collectors.groupingBy(r -> r.getAs("method"), Collectors.counting()));
        assertEquals(Map.of("fp16", 9L, "kivi:k=b2g32,v=b2g32,r=32", 9L), byMethod);
        assertExactlyOnceWithRightScores(dir.resolve("out"), SAMPLES);
    }

    @Test
    void aFileCommittedTwiceByARetriedTaskCountsOnce() throws Exception {
        Path sweep = sweep("sweep.json", METHODS);
        evaluate(sweep);
        Path file = LocalSpark.sampleFiles(dir.resolve("out")).get(0);
        Files.copy(file, file.resolveSibling("part-retried-copy.parquet"));
        assertTrue(LocalSpark.rawSamples(dir.resolve("out")).count() > SAMPLES);
        Path samples = dir.resolve("out/samples");
        assertEquals(SAMPLES, SampleStore.committed(LocalSpark.session(), new org.apache.hadoop.fs.Path(samples.toUri())).count());
        assertEquals(0, evaluate(sweep).committedNow());
    }

    @Test
    void aHiddenPartialFileIsIgnored() throws Exception {
        Path sweep = sweep("sweep.json", METHODS);
        evaluate(sweep);
        Path file = LocalSpark.sampleFiles(dir.resolve("out")).get(0);
        long lost = LocalSpark.session().read().parquet(file.toString()).count();
        // What a task killed mid-write leaves: a hidden, unrenamed file (here truncated), and no visible one.
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file.resolveSibling("." + file.getFileName() + ".inprogress"), java.util.Arrays.copyOf(bytes, bytes.length / 2));
        Files.delete(file);
        assertEquals(lost, evaluate(sweep).committedNow());
        assertExactlyOnceWithRightScores(dir.resolve("out"), SAMPLES);
    }
}
