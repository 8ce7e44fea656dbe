package io.vecinfer.spark;

import io.vecinfer.spark.report.MethodColumns;
import io.vecinfer.spark.report.ReportFiles;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.first;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sqrt;
import static org.apache.spark.sql.functions.stddev_samp;
import static org.apache.spark.sql.functions.sum;

/**
 * The report job: aggregates {@code <out>/samples/} into {@code <out>/metrics/} (Parquet, partitioned by
 * task, rewritten whole on every run, beside the old ones and swapped in: see {@link MetricsFolder}) with one
 * row per (cell, score name), prints a table, and writes the HTML report and the CSV export beside them
 * ({@link ReportFiles}).
 *
 * <p>Per row: n, mean and its analytic standard error (sample standard deviation / sqrt n); the delta
 * against the paired fp16 cell (same model, task, context length, batch size, seed and prefill; paired by
 * sample id) with the standard error of the per-sample differences, which is much smaller than that of
 * two independent means since both methods see the same samples; KV bytes per token and compression
 * ratio; prefill and per-token decode latency percentiles (exact); prefill and decode tokens per second.
 *
 * <p>It covers the cells of the last sweep evaluated into the output ({@link SweepRecord#cells()}), paired
 * with fp16 cells of any sweep there, and says how many other cells it left out; {@code --all} reports
 * every cell in the output.
 *
 * <p>Usage: {@code spark-submit --class io.vecinfer.spark.Report spark-jobs.jar OUTPUT_DIR [--all]}.
 */
public final class Report {
    static final List<String> CELL_KEYS = List.of("model", "method", "codebook", "task", "context_length", "batch_size", "seed", "prefill");
    /**
     * What makes a cell the fp16 partner of another: everything but method and codebook, the model by its
     * checkpoint's content (model_id), so that a cell is not paired with the fp16 cell of other weights at
     * the same path, and is paired with that of the same weights at another path.
     */
    static final List<String> PAIR_KEYS = List.of("model_id", "task", "context_length", "batch_size", "seed", "prefill", "sample_id", "score");

    private Report() {
    }

    /** The folder holds no committed samples: not a sweep's output, mistyped, or nothing finished yet. */
    public static final class NoSamplesException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        NoSamplesException(Path output) {
            super("no samples under " + OutputLayout.samples(output) + ": is " + output + " the output folder of a sweep"
                    + " (its \"output\", or Evaluate's --output)? Nothing was written.");
        }

        NoSamplesException(Path output, SweepRecord sweep) {
            super("none of the " + sweep.cells().size() + " cells of the last sweep evaluated into " + output + " (" + sweep.path()
                    + ", " + sweep.evaluatedAt() + ") has committed samples under " + OutputLayout.samples(output) + "; "
                    + ALL_FLAG + " reports every cell there. Nothing was written.");
        }
    }

    /** The flag that reports every cell in the output, not only those of the last sweep evaluated into it. */
    public static final String ALL_FLAG = Launcher.ALL_FLAG;

    public static void main(String[] args) {
        Launcher.exit(Launcher.run(args, "OUTPUT_DIR [" + ALL_FLAG + "] [--verbose]", "io.vecinfer.spark.Report", null, System.err, a -> {
            SparkSession spark = Launcher.session("vecinfer-report");
            try {
                run(spark, a.positional().get(0), a.all());
            } finally {
                spark.stop();
            }
        }));
    }

    /** The report of the last sweep evaluated into the output: {@link #run(SparkSession, String, boolean)} without --all. */
    public static Dataset<Row> run(SparkSession spark, String output) {
        return run(spark, output, false);
    }

    /**
     * Writes metrics/ and prints the table; returns the metrics rows. A folder without samples is refused, and left as it is.
     *
     * @param all every cell in the output; else the cells of the last sweep evaluated into it (its {@link SweepRecord}),
     *            paired with fp16 cells of any sweep, and all cells where no sweep recorded its cells
     */
    public static Dataset<Row> run(SparkSession spark, String output, boolean all) {
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        Path out = OutputLayout.qualify(output, conf);
        Dataset<Row> everything = SampleStore.committed(spark, OutputLayout.samples(out));
        if (everything.isEmpty()) throw new NoSamplesException(out);
        Optional<SweepRecord> sweep = all ? Optional.empty() : SweepRecord.read(out, conf).filter(r -> r.cells() != null);
        Dataset<Row> samples = sweep.map(r -> everything.filter(col("config_hash").isin(r.cells().toArray()))).orElse(everything);
        if (sweep.isPresent()) {
            long covered = samples.select("config_hash").distinct().count();
            long others = everything.select("config_hash").distinct().count() - covered;
            if (covered == 0) throw new NoSamplesException(out, sweep.get());
            System.out.println("report of the last sweep evaluated into " + out + ": " + sweep.get().path() + " (" + sweep.get().evaluatedAt() + "), "
                    + covered + " of its " + sweep.get().cells().size() + " cells with samples"
                    + (others > 0 ? "; " + others + " other cell(s) there are left out (" + ALL_FLAG + " reports them)" : ""));
        } else if (!all) {
            System.out.println("report of every cell in " + out + " (no sweep recorded its cells there)");
        }
        // Paired against the fp16 samples of any sweep: a method added in a later sweep still gets its deltas.
        Dataset<Row> metrics = MethodColumns.add(metrics(everything, samples));
        // Written beside the old metrics and swapped in; a folder there that is not ours is refused.
        MetricsFolder.replace(OutputLayout.metrics(out), spark.sparkContext().hadoopConfiguration(),
                folder -> metrics.write().partitionBy("task").parquet(folder.toString()));
        Dataset<Row> written = spark.read().parquet(OutputLayout.metrics(out).toString());
        System.out.println(ReportTable.format(written.collectAsList()));
        // The failed cells of what this report covers: the last sweep's, or (--all, or no sweep record) every one.
        System.out.print(FailedCells.describe(out, spark.sparkContext().hadoopConfiguration(), sweep.map(SweepRecord::cells).orElse(null)));
        ReportFiles.Written files = ReportFiles.write(samples, written, out, spark.sparkContext().hadoopConfiguration());
        System.out.println("report: " + files.html() + "\ncsv: " + files.metricsCsv() + ", " + files.samplesCsv());
        return written;
    }

    static Dataset<Row> metrics(Dataset<Row> samples) {
        return metrics(samples, samples);
    }

    /** @param references where the fp16 partners are looked for; {@code samples} are the rows reported */
    static Dataset<Row> metrics(Dataset<Row> references, Dataset<Row> samples) {
        Dataset<Row> scores = scores(samples);

        Dataset<Row> perScore = scores.groupBy("config_hash", "score").agg(
                count("value").as("n"),
                avg("value").as("mean"),
                stddev_samp("value").divide(sqrt(count("value"))).as("stderr"));

        Dataset<Row> fp16 = scores(references).filter(col("method").equalTo(lit(KnownNames.REFERENCE_METHOD)))
                .select(pairColumns("value", "reference_value"));
        Dataset<Row> diffs = scores.join(fp16, seq(PAIR_KEYS), "inner")
                .withColumn("diff", col("value").minus(col("reference_value")));
        Dataset<Row> paired = diffs.groupBy("config_hash", "score").agg(
                count("diff").as("n_paired"),
                avg("reference_value").as("fp16_mean"),
                avg("diff").as("delta_vs_fp16"),
                stddev_samp("diff").divide(sqrt(count("diff"))).as("delta_stderr"));

        Dataset<Row> perCell = samples.groupBy("config_hash").agg(
                first("model").as("model"), first("model_variant").as("model_variant"), first("method").as("method"), first("codebook").as("codebook"),
                first("task").as("task"), first("context_length").as("context_length"),
                first("batch_size").as("batch_size"), first("seed").as("seed"), first("prefill").as("prefill"),
                first(expr("get_json_object(task_inputs, '$.file')")).as("task_file"),
                avg("kv_bytes_per_token").as("kv_bytes_per_token"),
                avg("compression_ratio").as("compression_ratio"),
                max("peak_memory_bytes").as("peak_memory_bytes"),
                expr("percentile(prefill_ms, 0.5)").as("prefill_ms_p50"),
                expr("percentile(prefill_ms, 0.9)").as("prefill_ms_p90"),
                expr("percentile(prefill_ms, 0.99)").as("prefill_ms_p99"),
                expr("percentile(decode_ms_per_token, 0.5)").as("decode_ms_per_token_p50"),
                expr("percentile(decode_ms_per_token, 0.9)").as("decode_ms_per_token_p90"),
                expr("percentile(decode_ms_per_token, 0.99)").as("decode_ms_per_token_p99"),
                // try_divide: a task that generates nothing (perplexity) has no decode rate, not an error.
                expr("try_divide(sum(context_tokens) * 1000.0, sum(prefill_ms))").as("prefill_tokens_per_s"),
                expr("try_divide(sum(generated_tokens) * 1000.0, sum(decode_ms_per_token * generated_tokens))")
                        .as("decode_tokens_per_s"));

        return perCell.join(perScore, "config_hash")
                .join(paired, seq(List.of("config_hash", "score")), "left");
    }

    private static Dataset<Row> scores(Dataset<Row> samples) {
        return samples.select(col("*"), explode(col("scores")).as(new String[] {"score", "value"})).drop("scores");
    }

    /** The pairing keys and the value, renamed so that it sits beside the other cell's value after the join. */
    private static Column[] pairColumns(String value, String renamed) {
        return Stream.concat(PAIR_KEYS.stream().map(k -> col(k)), Stream.of(col(value).as(renamed))).toArray(Column[]::new);
    }

    private static scala.collection.immutable.Seq<String> seq(List<String> names) {
        return scala.jdk.javaapi.CollectionConverters.asScala(names).toSeq();
    }
}
