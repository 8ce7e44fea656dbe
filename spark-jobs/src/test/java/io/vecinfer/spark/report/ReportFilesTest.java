package io.vecinfer.spark.report;

import io.vecinfer.spark.Evaluate;
import io.vecinfer.spark.Report;
import io.vecinfer.spark.SweepFile;
import io.vecinfer.spark.testing.LocalSpark;
import io.vecinfer.spark.testing.Sweeps;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the report job writes beside the Parquet files: one offline HTML file, and CSV that holds the same rows. */
class ReportFilesTest {
    @TempDir
    Path dir;

    @Test
    void csvHoldsEveryMetricsAndSampleRowAndTheHtmlFetchesNothing() throws Exception {
        Path out = dir.resolve("out");
        Path sweep = Sweeps.write(dir, "s.json", List.of("fp16", "vecinfer:k=d4b8,v=d4b8,r=32", "vecinfer:k=d4b8,v=d4b8,r=32,smooth=off"), 3, 5, out);
        Evaluate.run(LocalSpark.session(), SweepFile.read(sweep));
        List<Row> metrics = Report.run(LocalSpark.session(), out.toString()).collectAsList();

        Dataset<Row> metricsCsv = csv(out.resolve("csv/metrics"));
        assertEquals(metrics.size(), metricsCsv.count());
        assertTrue(Arrays.asList(metricsCsv.columns()).containsAll(List.of("config_hash", "method", "score", "mean", "delta_stderr",
                MethodColumns.BITS, MethodColumns.FAMILY, MethodColumns.TRANSFORM)), Arrays.toString(metricsCsv.columns()));
        Dataset<Row> samplesCsv = csv(out.resolve("csv/samples"));
        assertEquals(3 * (3 + 5), samplesCsv.count());
        assertTrue(Arrays.asList(samplesCsv.columns()).containsAll(List.of("sample_id", "score_nll", "score_tokens", "score_accuracy", "config_hash")),
                Arrays.toString(samplesCsv.columns()));
        assertEquals(3 * 5, samplesCsv.filter("task = 'passkey' and score_accuracy is not null and score_nll is null").count());

        String html = Files.readString(out.resolve("report.html"));
        int library = html.indexOf("/* Apache ECharts 6.1.0");
        assertTrue(library > 0, "the inlined library");
        // Ours, without the library (whose SVG renderer writes url(#id) fragment references): nothing the browser would fetch.
        String ours = html.substring(0, library) + html.substring(html.indexOf("</script>", library));
        assertFalse(Pattern.compile("(src|href)\\s*=", Pattern.CASE_INSENSITIVE).matcher(ours).find(), "a fetched resource");
        assertFalse(Pattern.compile("url\\(|@import", Pattern.CASE_INSENSITIVE).matcher(ours).find(), "a fetched style");
        assertTrue(html.contains(sweep.toAbsolutePath().toString()), "the sweep file is named");
        for (Row r : metrics) assertTrue(html.contains(r.<String>getAs("config_hash")), "cell " + r.getAs("config_hash") + " listed");
    }

    @Test
    void markersAreFilledOnceAndWhatIsPutInIsNotSearchedAgain() {
        assertEquals("a[<!--B-->]c[x]", HtmlReport.fill("a<!--A-->c<!--B-->", new java.util.LinkedHashMap<>(java.util.Map.of("<!--A-->", "[<!--B-->]", "<!--B-->", "[x]"))));
    }

    private static Dataset<Row> csv(Path folder) {
        return LocalSpark.session().read().option("header", "true").option("escape", "\"").option("multiLine", "true").csv(folder.toString());
    }
}
