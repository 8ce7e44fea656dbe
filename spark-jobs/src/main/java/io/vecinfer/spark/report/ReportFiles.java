package io.vecinfer.spark.report;

import io.vecinfer.spark.CodeVersion;
import io.vecinfer.spark.SweepRecord;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

import java.time.Instant;
import java.util.List;

import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.first;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.regexp_extract;
import static org.apache.spark.sql.functions.when;

/** What the report job writes beside {@code metrics/} for people: the HTML report and the CSV export. */
public final class ReportFiles {
    /** Where a report's files went. */
    public record Written(Path html, Path metricsCsv, Path samplesCsv) {
    }

    /** The passkey sample ids of datasets/passkey: {@code passkey-<tokens>-d<depth percent>-<i>}. */
    static final String PASSKEY_DEPTH = "-d(\\d{1,3})-\\d+$";

    private ReportFiles() {
    }

    /**
     * @param samples the committed samples (deduplicated)
     * @param metrics the metrics as written
     */
    public static Written write(Dataset<Row> samples, Dataset<Row> metrics, Path output, Configuration conf) {
        CsvExport.write(samples, metrics, output);
        List<Metric> rows = metrics.collectAsList().stream().map(Metric::of).toList();
        List<Chart> charts = Figures.all(rows, passkeyCells(samples));
        RunMetadata run = new RunMetadata(SweepRecord.read(output, conf), RunMetadata.cells(samples), CodeVersion.get(), Instant.now());
        String title = "vecinfer-eval report: " + output.toUri().getPath().replaceAll("/+$", "").replaceAll(".*/", "");
        Path html = HtmlReport.location(output);
        HtmlReport.write(HtmlReport.render(title, rows, charts, run), html, conf);
        return new Written(html, CsvExport.metrics(output), CsvExport.samples(output));
    }

    /** Passkey accuracy per (model, method, context tokens, depth), over the cells' samples. */
    static List<PasskeyCell> passkeyCells(Dataset<Row> samples) {
        Dataset<Row> passkey = samples.filter(col("task").equalTo(lit("passkey")).and(col("scores").getItem("accuracy").isNotNull()))
                .withColumn("depth_text", regexp_extract(col("sample_id"), PASSKEY_DEPTH, 1))
                .withColumn("depth_percent", when(col("depth_text").equalTo(lit("")), lit(-1)).otherwise(col("depth_text").cast("int")));
        return passkey.groupBy("model", "method", "context_tokens", "depth_percent")
                .agg(first("model_variant").as("model_variant"), count(lit(1)).as("n"), avg(col("scores").getItem("accuracy")).as("accuracy"))
                .orderBy("model", "method", "context_tokens", "depth_percent")
                .collectAsList().stream()
                .map(r -> new PasskeyCell(Metric.modelName(r.getAs("model"), r.getAs("model_variant")),
                        Figures.methodName(MethodTraits.of(r.getAs("method"))), r.<Integer>getAs("context_tokens"),
                        r.<Integer>getAs("depth_percent"), r.<Long>getAs("n"), r.<Double>getAs("accuracy")))
                .toList();
    }
}
