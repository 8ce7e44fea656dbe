package io.vecinfer.spark.report;

import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.map_keys;

/**
 * The metrics and the samples as CSV, for readers without a Parquet library (the notebooks without pyarrow):
 * {@code <out>/csv/metrics/} and {@code <out>/csv/samples/}, one {@code part-*.csv} each with a header, RFC 4180
 * quoting (a quote inside a field is doubled). The samples' {@code scores} map becomes one column per score
 * name, {@code score_<name>}, empty where a sample's task has no such score.
 */
public final class CsvExport {
    public static final String FOLDER = "csv";
    public static final String SCORE_PREFIX = "score_";

    private CsvExport() {
    }

    public static Path metrics(Path output) {
        return new Path(new Path(output, FOLDER), "metrics");
    }

    public static Path samples(Path output) {
        return new Path(new Path(output, FOLDER), "samples");
    }

    static void write(Dataset<Row> samples, Dataset<Row> metrics, Path output) {
        write(metrics.orderBy("task", "model", "method", "context_length", "batch_size", "seed", "score"), metrics(output));
        write(flatScores(samples).orderBy("task", "model", "method", "context_length", "batch_size", "seed", "sample_id"), samples(output));
    }

    static Dataset<Row> flatScores(Dataset<Row> samples) {
        List<String> names = samples.select(explode(map_keys(col("scores")))).distinct().collectAsList().stream()
                .map(r -> r.getString(0)).sorted().toList();
        List<Column> columns = new ArrayList<>();
        Arrays.stream(samples.columns()).filter(c -> !c.equals("scores")).forEach(c -> columns.add(col(c)));
        names.forEach(n -> columns.add(col("scores").getItem(n).as(SCORE_PREFIX + n)));
        return samples.select(columns.toArray(Column[]::new));
    }

    /** One file: a sweep's samples are thousands of rows, not millions, and notebooks read one file best. */
    private static void write(Dataset<Row> rows, Path folder) {
        rows.coalesce(1).write().mode(SaveMode.Overwrite).option("header", "true").option("escape", "\"").csv(folder.toString());
    }
}
