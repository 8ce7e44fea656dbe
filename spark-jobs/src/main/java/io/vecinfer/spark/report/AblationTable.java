package io.vecinfer.spark.report;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The ablation table of the HTML report, one per model: a row per (task, score, context), a column per
 * method (family and bits), each cell the mean ± se and the paired Δ against fp16 ± its se; an average
 * row; and a footnote for a constructed model variant.
 *
 * <p>The average row is the mean over the rows of the relative Δ against fp16 (100·Δ/|fp16 mean|), signed
 * so that positive is better, for the scores whose direction is known; its error combines the rows'
 * errors as independent (√Σse²/k). Scores are in different units, so only relative changes are averaged.
 */
final class AblationTable {
    private AblationTable() {
    }

    static String html(List<Metric> metrics) {
        StringBuilder out = new StringBuilder();
        Map<String, List<Metric>> byModel = metrics.stream().filter(m -> Scores.plotted(m.score()))
                .sorted(Comparator.comparing(Metric::modelName))
                .collect(Collectors.groupingBy(Metric::modelName, LinkedHashMap::new, Collectors.toList()));
        boolean batches = metrics.stream().map(Metric::batchSize).distinct().count() > 1;
        boolean seeds = metrics.stream().map(Metric::seed).distinct().count() > 1;
        byModel.forEach((model, rows) -> {
            List<Metric> methods = distinctBy(rows.stream().sorted(Figures.METHOD_ORDER).toList(), Metric::method);
            Map<String, List<Metric>> byRow = rows.stream()
                    .sorted(Comparator.comparing(Metric::task).thenComparing(Metric::score).thenComparingInt(Metric::contextLength)
                            .thenComparingInt(Metric::batchSize).thenComparingLong(Metric::seed))
                    .collect(Collectors.groupingBy(m -> rowLabel(m, batches, seeds), LinkedHashMap::new, Collectors.toList()));
            out.append("<table class=\"ablation\" data-model=\"").append(Html.escape(model)).append("\">\n<caption>")
                    .append(Html.escape(model)).append("</caption>\n<thead><tr><th>task · score</th>");
            methods.forEach(m -> out.append("<th title=\"").append(Html.escape(m.method())).append("\">")
                    .append(Html.escape(Figures.methodName(m.traits()))).append("</th>"));
            out.append("</tr></thead>\n<tbody>\n");
            byRow.forEach((label, cells) -> {
                out.append("<tr><th>").append(Html.escape(label)).append("</th>");
                for (Metric method : methods) {
                    Optional<Metric> cell = cells.stream().filter(c -> c.method().equals(method.method())).findFirst();
                    out.append("<td>").append(cell.map(AblationTable::cell).orElse("–")).append("</td>");
                }
                out.append("</tr>\n");
            });
            out.append("<tr class=\"average\"><th>average Δ vs fp16 (relative, + is better)</th>");
            for (Metric method : methods) {
                List<Metric> column = rows.stream().filter(r -> r.method().equals(method.method())).toList();
                out.append("<td>").append(average(column)).append("</td>");
            }
            out.append("</tr>\n</tbody>\n</table>\n");
        });
        metrics.stream().filter(Metric::transformedModel).map(m -> m.modelName() + " " + m.modelVariant()).distinct().sorted()
                .forEach(note -> out.append("<p class=\"footnote\">").append(Html.escape(note.replaceFirst("\\* ", "*: "))).append("</p>\n"));
        return out.toString();
    }

    private static String rowLabel(Metric m, boolean batches, boolean seeds) {
        return m.task() + " · " + m.score() + " · ctx " + m.contextLength() + (batches ? " · batch " + io.vecinfer.eval.task.BatchSize.of(m.batchSize()) : "")
                + (seeds ? " · seed " + m.seed() : "");
    }

    private static String cell(Metric m) {
        String mean = "<span class=\"mean\">" + plusMinus(m.mean(), m.stderr()) + "</span>";
        if (m.traits().family().equals("fp16") || m.deltaVsFp16() == null) return mean;
        return mean + "<br><span class=\"delta\">Δ " + signed(m.deltaVsFp16()) + (m.deltaStderr() == null ? "" : " ± " + num(m.deltaStderr())) + "</span>";
    }

    private static String average(List<Metric> column) {
        List<double[]> relative = new ArrayList<>();
        for (Metric m : column) {
            Optional<Boolean> higher = Scores.higherIsBetter(m.score());
            if (higher.isEmpty() || m.deltaVsFp16() == null || m.fp16Mean() == null || m.fp16Mean() == 0) continue;
            double sign = higher.get() ? 1 : -1, scale = 100 / Math.abs(m.fp16Mean());
            relative.add(new double[] {sign * m.deltaVsFp16() * scale, m.deltaStderr() == null ? 0 : m.deltaStderr() * scale});
        }
        if (relative.isEmpty()) return "–";
        double mean = relative.stream().mapToDouble(r -> r[0]).average().orElseThrow();
        double se = Math.sqrt(relative.stream().mapToDouble(r -> r[1] * r[1]).sum()) / relative.size();
        return String.format("%+.2f%% ± %.2f%%", mean, se) + " <span class=\"count\">(" + relative.size() + ")</span>";
    }

    private static String plusMinus(double value, Double error) {
        return num(value) + (error == null ? "" : " ± " + num(error));
    }

    static String num(double v) {
        double a = Math.abs(v);
        return a != 0 && (a >= 1e5 || a < 1e-3) ? String.format("%.3g", v) : String.format("%.4f", v);
    }

    private static String signed(double v) {
        return (v >= 0 ? "+" : "") + num(v);
    }

    private static <K> List<Metric> distinctBy(List<Metric> rows, java.util.function.Function<Metric, K> key) {
        Map<K, Metric> first = new LinkedHashMap<>();
        rows.forEach(r -> first.putIfAbsent(key.apply(r), r));
        return List.copyOf(first.values());
    }
}
