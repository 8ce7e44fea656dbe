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
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The report's aggregates, recomputed here from the runner's known scores. */
class ReportTest {
    @TempDir
    Path dir;

    @Test
    void metricsPerCellAndScoreWithPairedDeltas() {
        Path out = dir.resolve("out");
        Evaluate.Outcome outcome = Evaluate.run(LocalSpark.session(),
                SweepFile.read(Sweeps.write(dir, "s.json", List.of("fp16", "kivi:k=b2g32,v=b2g32,r=32"), 5, 4, out)));
        List<Row> metrics = Report.run(LocalSpark.session(), outcome.output().toString()).collectAsList();
        // per method: perplexity (nll, tokens) + passkey (accuracy)
        assertEquals(6, metrics.size());
        assertTrue(Files.isDirectory(out.resolve("metrics/task=perplexity")) && Files.isDirectory(out.resolve("metrics/task=passkey")));

        Row kiviNll = metrics.stream().filter(r -> r.getAs("method").equals("kivi:k=b2g32,v=b2g32,r=32") && r.getAs("score").equals("nll")).findFirst().orElseThrow();
        Cell kivi = new Cell(Sweeps.referenceModel(), "kivi:k=b2g32,v=b2g32,r=32", null, "perplexity", 128, 2, 7);
        Cell fp16 = new Cell(Sweeps.referenceModel(), "fp16", null, "perplexity", 128, 2, 7);
        double[] x = IntStream.range(0, 5).mapToDouble(i -> nll(kivi, i)).toArray();
        double[] d = IntStream.range(0, 5).mapToDouble(i -> nll(kivi, i) - nll(fp16, i)).toArray();
        assertEquals(5L, kiviNll.<Long>getAs("n"));
        assertEquals(mean(x), kiviNll.<Double>getAs("mean"), 1e-12);
        assertEquals(sd(x) / Math.sqrt(5), kiviNll.<Double>getAs("stderr"), 1e-12);
        assertEquals(mean(d), kiviNll.<Double>getAs("delta_vs_fp16"), 1e-12);
        assertEquals(sd(d) / Math.sqrt(5), kiviNll.<Double>getAs("delta_stderr"), 1e-12);
        assertEquals(4.0, kiviNll.<Double>getAs("compression_ratio"), 1e-12);
        assertEquals("original", kiviNll.getAs("model_variant"));

        for (Row r : metrics) {
            if (r.getAs("method").equals("fp16")) assertEquals(0.0, r.<Double>getAs("delta_vs_fp16"), 0.0);
            assertTrue(r.<Double>getAs("prefill_ms_p50") <= r.<Double>getAs("prefill_ms_p99"));
        }
    }

    @Test
    void aFolderWithoutSamplesIsNamedAndLeftAsItIs() throws Exception {
        Path mistyped = dir.resolve("out-typo");
        var e = org.junit.jupiter.api.Assertions.assertThrows(Report.NoSamplesException.class, () -> Report.run(LocalSpark.session(), mistyped.toString()));
        assertTrue(e.getMessage().startsWith("no samples under ") && e.getMessage().contains(mistyped.toString()), e.getMessage());
        assertTrue(!Files.exists(mistyped), "nothing is created");

        Path empty = Files.createDirectories(dir.resolve("empty"));
        org.junit.jupiter.api.Assertions.assertThrows(Report.NoSamplesException.class, () -> Report.run(LocalSpark.session(), empty.toString()));
        try (var listing = Files.list(empty)) {
            assertEquals(0, listing.count(), "nothing is written into it");
        }
    }

    private static double nll(Cell cell, int i) {
        return HashCellRunner.expectedScores(cell, String.format("perplexity-%03d", i)).get("nll");
    }

    private static double mean(double[] v) {
        return java.util.Arrays.stream(v).average().orElseThrow();
    }

    private static double sd(double[] v) {
        double m = mean(v);
        return Math.sqrt(java.util.Arrays.stream(v).map(a -> (a - m) * (a - m)).sum() / (v.length - 1));
    }
}
