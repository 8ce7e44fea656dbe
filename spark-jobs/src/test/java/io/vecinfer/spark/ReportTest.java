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

    private Path evaluated(List<String> methods) {
        Path out = dir.resolve("out");
        Evaluate.run(LocalSpark.session(), SweepFile.read(Sweeps.write(dir, "s.json", methods, 5, 4, out)));
        return out;
    }

    private static List<String> listing(Path folder) throws Exception {
        try (var files = Files.walk(folder)) {
            return files.map(f -> folder.relativize(f).toString()).sorted().toList();
        }
    }

    @Test
    void aFolderOfTheUsersAtMetricsIsRefusedAndKept() throws Exception {
        Path out = evaluated(List.of("fp16"));
        Path notes = Files.writeString(Files.createDirectories(out.resolve("metrics")).resolve("my-notes.txt"), "mine");
        var e = org.junit.jupiter.api.Assertions.assertThrows(MetricsFolder.NotOursException.class, () -> Report.run(LocalSpark.session(), out.toString()));
        assertTrue(e.getMessage().contains(out.resolve("metrics") + " holds my-notes.txt, which a report did not write"), e.getMessage());
        assertEquals("mine", Files.readString(notes));
        assertEquals(List.of("", "my-notes.txt"), listing(out.resolve("metrics")));
    }

    @Test
    void aReportReplacesItsOwnMetricsWhole() throws Exception {
        Path out = evaluated(List.of("fp16"));
        assertEquals(3, Report.run(LocalSpark.session(), out.toString()).count());
        evaluated(List.of("fp16", "kivi:k=b2g32,v=b2g32,r=32"));
        assertEquals(6, Report.run(LocalSpark.session(), out.toString()).count());
        assertEquals(6, LocalSpark.session().read().parquet(out.resolve("metrics").toString()).count());
        assertEquals(List.of(), swapLeftovers(out), "no temporary folders left");
    }

    @Test
    void aWriteThatDiesLeavesTheOldMetricsAndTheNextReportRecovers() throws Exception {
        Path out = evaluated(List.of("fp16"));
        Report.run(LocalSpark.session(), out.toString());
        List<String> before = listing(out.resolve("metrics"));
        org.apache.hadoop.fs.Path metrics = new org.apache.hadoop.fs.Path(out.resolve("metrics").toUri());
        // Dies halfway through writing the new metrics (as a killed report does): the old ones stay as they were.
        org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, () -> MetricsFolder.replace(metrics, new org.apache.hadoop.conf.Configuration(), folder -> {
            LocalSpark.session().range(3).write().parquet(folder.toString());
            throw new IllegalStateException("killed mid-write");
        }));
        assertEquals(before, listing(out.resolve("metrics")));

        // Killed between its two renames: the old metrics moved aside, the new ones never moved in.
        Files.move(out.resolve("metrics"), out.resolve(MetricsFolder.OLD_PREFIX + "killed"));
        Files.createDirectories(out.resolve(MetricsFolder.NEW_PREFIX + "killed/task=perplexity"));
        assertEquals(3, Report.run(LocalSpark.session(), out.toString()).count());
        assertEquals(List.of(), swapLeftovers(out), "the half-done swap is repaired");
        assertTrue(Files.isDirectory(out.resolve("metrics")), "the metrics are in place");
    }

    @Test
    void aReportCoversTheSweepJustRunAndAllReportsEveryCellThere() throws Exception {
        Path out = evaluated(List.of("fp16", "kivi:k=b2g32,v=b2g32,r=32"));
        // A later sweep into the same output with one new method: its report is of its own 2 cells, paired
        // with the fp16 cells an earlier sweep computed.
        String added = "kivi:k=b4g32,v=b4g32,r=32";
        evaluated(List.of(added));
        String[] printed = new String[1];
        List<Row> last = printed(printed, () -> Report.run(LocalSpark.session(), out.toString())).collectAsList();
        assertEquals(3, last.size(), last.toString());
        assertTrue(last.stream().allMatch(r -> r.getAs("method").equals(added)), last.toString());
        assertEquals(3, LocalSpark.session().read().parquet(out.resolve("metrics").toString()).count());
        assertTrue(printed[0].contains("2 of its 2 cells with samples; 4 other cell(s) there are left out (--all reports them)"), printed[0]);
        Row nll = last.stream().filter(r -> r.getAs("score").equals("nll")).findFirst().orElseThrow();
        Cell b4 = new Cell(Sweeps.referenceModel(), added, null, "perplexity", 128, 2, 7);
        Cell fp16 = new Cell(Sweeps.referenceModel(), "fp16", null, "perplexity", 128, 2, 7);
        assertEquals(5L, nll.<Long>getAs("n_paired"));
        assertEquals(mean(IntStream.range(0, 5).mapToDouble(i -> nll(b4, i) - nll(fp16, i)).toArray()), nll.<Double>getAs("delta_vs_fp16"), 1e-12);

        assertEquals(9, Report.run(LocalSpark.session(), out.toString(), true).count());
        assertEquals(9, LocalSpark.session().read().parquet(out.resolve("metrics").toString()).count());

        // An output whose sweep record lists no cells (written before they were kept): every cell.
        Path record = out.resolve(SweepRecord.FILE);
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        var node = (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(record.toFile());
        node.remove("cells");
        json.writeValue(record.toFile(), node);
        Files.deleteIfExists(out.resolve("." + SweepRecord.FILE + ".crc")); // Hadoop's checksum of the old text
        assertEquals(9, Report.run(LocalSpark.session(), out.toString()).count());
    }

    @Test
    void theReportMainTakesAllAndTheSweepJobsDoNot() {
        String report = "io.vecinfer.spark.Report OUTPUT_DIR [" + Report.ALL_FLAG + "] [--verbose]";
        assertTrue(Launcher.parse(new String[] {"out", "--all"}, report, null, false).all());
        assertTrue(!Launcher.parse(new String[] {"out"}, report, null, false).all());
        var e = org.junit.jupiter.api.Assertions.assertThrows(Launcher.UsageException.class,
                () -> Launcher.parse(new String[] {"s.json", "--all"}, "io.vecinfer.spark.Evaluate " + Launcher.SWEEP_USAGE, null, true));
        assertTrue(e.getMessage().startsWith("unknown flag --all (known: --output, --verbose)"), e.getMessage());
        var r = org.junit.jupiter.api.Assertions.assertThrows(Launcher.UsageException.class,
                () -> Launcher.parse(new String[] {"out", "--al"}, report, null, false));
        assertTrue(r.getMessage().startsWith("unknown flag --al (known: --all, --verbose)"), r.getMessage());
    }

    private static <T> T printed(String[] into, java.util.function.Supplier<T> body) {
        java.io.PrintStream before = System.out;
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        System.setOut(new java.io.PrintStream(bytes, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            return body.get();
        } finally {
            System.setOut(before);
            into[0] = bytes.toString(java.nio.charset.StandardCharsets.UTF_8);
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

    /** What a metrics swap leaves beside the output's own files if it does not finish (the report's HTML and CSV are not that). */
    private static List<String> swapLeftovers(Path out) throws java.io.IOException {
        try (var siblings = Files.list(out)) {
            return siblings.map(p -> p.getFileName().toString())
                    .filter(n -> n.startsWith(MetricsFolder.NEW_PREFIX) || n.startsWith(MetricsFolder.OLD_PREFIX) || n.startsWith("_temporary"))
                    .sorted().toList();
        }
    }
}
