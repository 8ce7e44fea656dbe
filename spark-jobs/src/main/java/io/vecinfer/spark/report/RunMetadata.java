package io.vecinfer.spark.report;

import io.vecinfer.spark.SweepRecord;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

import static org.apache.spark.sql.functions.array_join;
import static org.apache.spark.sql.functions.array_sort;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.collect_set;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.first;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;

/**
 * What ran, for the report's last section: the sweep file (when Evaluate recorded it), every cell with its
 * config hash, where it ran (backend, device, hosts), the code versions and when the samples were written.
 */
record RunMetadata(Optional<SweepRecord> sweep, List<CellRun> cells, String reportVersion, Instant reportedAt) {

    /** One cell's committed samples. */
    record CellRun(String configHash, String model, String method, String codebook, String task, int contextLength, int batchSize,
                   long seed, long samples, String backends, String devices, String hosts, String codeVersions,
                   String firstWritten, String lastWritten) {
    }

    static List<CellRun> cells(Dataset<Row> samples) {
        return samples.groupBy("config_hash").agg(
                        first("model").as("model"), first("method").as("method"), first("codebook").as("codebook"),
                        first("task").as("task"), first("context_length").as("context_length"), first("batch_size").as("batch_size"),
                        first("seed").as("seed"), count("sample_id").as("samples"),
                        joined("backend"), joined("device"), joined("host"), joined("code_version"),
                        min("written_at").cast("string").as("first_written"), max("written_at").cast("string").as("last_written"))
                .orderBy("model", "task", "method", "context_length", "batch_size", "seed")
                .collectAsList().stream()
                .map(r -> new CellRun(r.getAs("config_hash"), r.getAs("model"), r.getAs("method"), r.getAs("codebook"), r.getAs("task"),
                        r.<Integer>getAs("context_length"), r.<Integer>getAs("batch_size"), r.<Long>getAs("seed"), r.<Long>getAs("samples"),
                        r.getAs("backend"), r.getAs("device"), r.getAs("host"), r.getAs("code_version"),
                        r.getAs("first_written"), r.getAs("last_written")))
                .toList();
    }

    private static org.apache.spark.sql.Column joined(String column) {
        return array_join(array_sort(collect_set(col(column))), ", ").as(column);
    }

    String html() {
        StringBuilder out = new StringBuilder("<table class=\"meta\">\n");
        row(out, "sweep file", sweep.map(s -> s.path() + " (sha256 " + s.sha256().substring(0, 16) + "…, evaluated " + s.evaluatedAt() + ")")
                .orElse("not recorded (this folder was evaluated before Evaluate kept " + SweepRecord.FILE + ")"));
        row(out, "backend", distinct(CellRun::backends));
        row(out, "device", distinct(CellRun::devices));
        row(out, "hosts", distinct(CellRun::hosts));
        row(out, "code version", distinct(CellRun::codeVersions) + " (samples); " + reportVersion + " (this report)");
        row(out, "samples written", cells.stream().map(CellRun::firstWritten).min(String::compareTo).orElse("–") + " to "
                + cells.stream().map(CellRun::lastWritten).max(String::compareTo).orElse("–") + " (UTC)");
        row(out, "report written", reportedAt.toString());
        row(out, "cells", cells.size() + " cells, " + cells.stream().mapToLong(CellRun::samples).sum() + " samples");
        out.append("</table>\n");
        sweep.ifPresent(s -> out.append("<details><summary>sweep file</summary><pre>").append(Html.escape(s.text())).append("</pre></details>\n"));
        out.append("<table class=\"cells\">\n<thead><tr><th>config hash</th><th>model</th><th>method</th><th>task</th><th>ctx</th>"
                + "<th>batch</th><th>seed</th><th>samples</th><th>backend</th><th>device</th><th>code version</th></tr></thead>\n<tbody>\n");
        for (CellRun c : cells) {
            out.append("<tr>");
            for (Object v : List.of(c.configHash(), c.model().substring(c.model().lastIndexOf('/') + 1), c.method()
                    + (c.codebook() == null ? "" : " (codebook " + c.codebook().substring(c.codebook().lastIndexOf('/') + 1) + ")"),
                    c.task(), c.contextLength(), c.batchSize(), c.seed(), c.samples(), c.backends(), c.devices(), c.codeVersions())) {
                out.append("<td>").append(Html.escape(String.valueOf(v))).append("</td>");
            }
            out.append("</tr>\n");
        }
        out.append("</tbody>\n</table>\n");
        return out.toString();
    }

    private String distinct(java.util.function.Function<CellRun, String> field) {
        List<String> values = cells.stream().map(field).filter(v -> v != null && !v.isEmpty())
                .flatMap(v -> java.util.Arrays.stream(v.split(", "))).distinct().sorted().toList();
        return values.isEmpty() ? "–" : String.join(", ", values);
    }

    private static void row(StringBuilder out, String name, String value) {
        out.append("<tr><th>").append(Html.escape(name)).append("</th><td>").append(Html.escape(value)).append("</td></tr>\n");
    }
}
