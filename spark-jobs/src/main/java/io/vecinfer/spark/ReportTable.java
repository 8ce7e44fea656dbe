package io.vecinfer.spark;

import org.apache.spark.sql.Row;

import java.util.Comparator;
import java.util.List;

/** The metrics as a compact text table: one line per (cell, score), grouped by task and model. */
final class ReportTable {
    private ReportTable() {
    }

    private static final String HEADER = String.format("%-10s %-26s %-28s %6s %3s %4s %-10s %-10s %4s %22s %22s %9s %6s %10s %10s %9s",
            "task", "model", "method", "ctx", "bs", "seed", "prefill", "score", "n", "mean ± se", "Δ fp16 ± se",
            "kvB/tok", "ratio", "prefill50", "decode50", "dec tok/s");

    static String format(List<Row> metrics) {
        StringBuilder out = new StringBuilder(HEADER).append('\n');
        metrics.stream()
                .sorted(Comparator.<Row, String>comparing(r -> r.getAs("task"))
                        .thenComparing(r -> r.<String>getAs("model"))
                        .thenComparing(r -> r.<Integer>getAs("context_length"))
                        .thenComparing(r -> r.<Integer>getAs("batch_size"))
                        .thenComparing(r -> r.<Long>getAs("seed"))
                        .thenComparing(r -> String.valueOf(r.<String>getAs("prefill")))
                        .thenComparing(r -> r.<String>getAs("method"))
                        .thenComparing(r -> r.<String>getAs("score")))
                .forEach(r -> out.append(String.format("%-10s %-26s %-28s %6d %3d %4d %-10s %-10s %4d %22s %22s %9.1f %6.2f %10.2f %10.3f %9.1f%n",
                        taskLabel(r), shortName(r.getAs("model")) + (transformed(r) ? "*" : ""), r.getAs("method"), r.<Integer>getAs("context_length"),
                        r.<Integer>getAs("batch_size"), r.<Long>getAs("seed"), r.getAs("prefill"), r.getAs("score"), r.<Long>getAs("n"),
                        plusMinus(r.getAs("mean"), r.getAs("stderr")), plusMinus(r.getAs("delta_vs_fp16"), r.getAs("delta_stderr")),
                        num(r.getAs("kv_bytes_per_token")), num(r.getAs("compression_ratio")),
                        num(r.getAs("prefill_ms_p50")), num(r.getAs("decode_ms_per_token_p50")), num(r.getAs("decode_tokens_per_s")))));
        metrics.stream().filter(ReportTable::transformed)
                .map(r -> "* " + shortName(r.getAs("model")) + ": " + r.<String>getAs("model_variant"))
                .distinct().sorted().forEach(line -> out.append(line).append('\n'));
        return out.toString();
    }

    /** The task, with the stem of the file it read (longbench:hotpotqa) for tasks on the user's files. */
    private static String taskLabel(Row r) {
        String file = r.getAs("task_file");
        if (file == null) return r.getAs("task");
        String name = shortName(file);
        return r.getAs("task") + ":" + (name.endsWith(".jsonl") ? name.substring(0, name.length() - 6) : name);
    }

    private static boolean transformed(Row r) {
        return r.<String>getAs("model_variant").startsWith("transformed");
    }

    private static String shortName(String model) {
        return model.substring(model.lastIndexOf('/') + 1);
    }

    private static String plusMinus(Double value, Double error) {
        if (value == null) return "-";
        return String.format("%.4f ± %s", value, error == null || error.isNaN() ? "-" : String.format("%.4f", error));
    }

    private static double num(Double value) {
        return value == null ? Double.NaN : value;
    }
}
