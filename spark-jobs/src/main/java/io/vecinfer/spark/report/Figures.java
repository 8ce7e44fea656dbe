package io.vecinfer.spark.report;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;
import java.util.stream.Collectors;

/**
 * The report's plots, built from the metrics rows (and the passkey accuracy by depth): every point is one
 * metrics value, or the mean of the cells named in the chart's axis title, never anything else.
 */
public final class Figures {
    public static final String SCORE = "score", ABLATION = "ablation", PASSKEY = "passkey", KV = "kv", SPEED = "speed";
    /** How rows sort in legends: the families in this order, then fewer bits last. */
    private static final List<String> FAMILY_ORDER = List.of("fp32", "fp16", "kivi", "rawvq", "vecinfer");
    static final Comparator<Metric> METHOD_ORDER = Comparator.<Metric>comparingInt(m -> familyRank(m.traits().family()))
            .thenComparing(m -> -m.traits().bitsPerElement()).thenComparing(Metric::method);

    private Figures() {
    }

    public static List<Chart> all(List<Metric> metrics, List<PasskeyCell> passkey) {
        List<Metric> sorted = metrics.stream().sorted(METHOD_ORDER).toList();
        List<Chart> charts = new ArrayList<>();
        charts.addAll(scoreByBits(sorted));
        charts.addAll(transformAblation(sorted));
        charts.addAll(passkeyHeatmaps(passkey));
        charts.addAll(kvFootprint(sorted));
        charts.addAll(speed(sorted));
        return charts;
    }

    /** The method as legends name it: family (and kept transform), bits. */
    static String methodName(MethodTraits t) {
        return t.family().startsWith("fp") ? t.family() : t.label() + " " + bits(t.bitsPerElement()) + " bit";
    }

    static String bits(double bits) {
        return bits == Math.rint(bits) ? String.valueOf((long) bits) : String.valueOf(bits);
    }

    /** One chart per (task, score): one line per (method family, model), x bits per element, y the mean ± its standard error. */
    static List<Chart> scoreByBits(List<Metric> sorted) {
        List<Chart> charts = new ArrayList<>();
        byTaskAndScore(sorted).forEach((taskScore, rows) -> {
            Function<Metric, String> seriesName = withVarying(rows, m -> m.traits().label() + " · " + m.modelName());
            List<Chart.Series> series = new ArrayList<>();
            group(rows, seriesName).forEach((name, points) -> series.add(new Chart.Series(name, points.stream()
                    .sorted(Comparator.comparingDouble(m -> m.traits().bitsPerElement()))
                    .map(m -> Chart.Point.of(m.traits().bitsPerElement(), m.mean(), m.stderr())).toList())));
            charts.add(new Chart(id(SCORE, taskScore), SCORE, taskScore, "line", "bits per element", rows.get(0).score() + " (mean ± se)",
                    "log2", List.of(), List.of(), series));
        });
        return charts;
    }

    /** VecInfer's key transforms (none, smooth, Hadamard, both) side by side at each bit width: Δ against fp16 per (task, score). */
    static List<Chart> transformAblation(List<Metric> sorted) {
        List<Metric> vecinfer = sorted.stream().filter(m -> m.traits().transform() != null && m.deltaVsFp16() != null).toList();
        List<Chart> charts = new ArrayList<>();
        byTaskAndScore(vecinfer).forEach((taskScore, rows) -> {
            List<Double> widths = new ArrayList<>(new TreeSet<>(rows.stream().map(m -> m.traits().bitsPerElement()).toList()));
            Function<Metric, String> seriesName = withVarying(rows, m -> m.traits().transform() + " · " + m.modelName());
            List<Chart.Series> series = new ArrayList<>();
            group(rows.stream().sorted(Comparator.comparingInt(m -> transformRank(m.traits().transform()))).toList(), seriesName)
                    .forEach((name, points) -> series.add(new Chart.Series(name, points.stream()
                            .map(m -> Chart.Point.of(widths.indexOf(m.traits().bitsPerElement()), m.deltaVsFp16(), m.deltaStderr()))
                            .sorted(Comparator.comparingDouble(Chart.Point::x)).toList())));
            charts.add(new Chart(id(ABLATION, taskScore), ABLATION, taskScore, "bar", "bits per element",
                    "Δ " + rows.get(0).score() + " vs fp16", "category", widths.stream().map(b -> bits(b) + " bit").toList(), List.of(), series));
        });
        return charts;
    }

    /** One heatmap per (model, method): accuracy over context length × key depth. */
    static List<Chart> passkeyHeatmaps(List<PasskeyCell> cells) {
        List<Chart> charts = new ArrayList<>();
        Map<String, List<PasskeyCell>> byMethod = cells.stream().collect(Collectors.groupingBy(
                c -> c.methodName() + " · " + c.modelName(), LinkedHashMap::new, Collectors.toList()));
        byMethod.forEach((name, group) -> {
            List<Integer> contexts = new ArrayList<>(new TreeSet<>(group.stream().map(PasskeyCell::contextTokens).toList()));
            List<Integer> depths = new ArrayList<>(new TreeSet<>(group.stream().map(PasskeyCell::depthPercent).toList()));
            List<Chart.Point> points = group.stream()
                    .map(c -> Chart.Point.cell(contexts.indexOf(c.contextTokens()), depths.indexOf(c.depthPercent()), c.accuracy())).toList();
            charts.add(new Chart(id(PASSKEY, name), PASSKEY, name, "heatmap", "context tokens", "key depth", "category",
                    contexts.stream().map(String::valueOf).toList(), depths.stream().map(d -> d < 0 ? "not in id" : d + "%").toList(),
                    List.of(new Chart.Series("accuracy", points))));
        });
        return charts;
    }

    /** KV bytes per token and compression ratio against bits: one line per (family, context length), a point per method (mean over its cells). */
    static List<Chart> kvFootprint(List<Metric> sorted) {
        List<Metric> cells = perCell(sorted);
        Function<Metric, String> seriesName = m -> m.traits().label() + " · ctx " + m.contextLength();
        return List.of(
                perMethodLine(KV, "KV bytes per token", cells, seriesName, Metric::kvBytesPerToken, "KV bytes per token (mean over cells)"),
                perMethodLine(KV, "compression ratio", cells, seriesName, Metric::compressionRatio, "fp16 bytes / method's (mean over cells)"));
    }

    /** Throughput and latency against context length (a line per method and batch size) and against batch size (per method and context). */
    static List<Chart> speed(List<Metric> sorted) {
        List<Metric> cells = perCell(sorted);
        Function<Metric, String> atBatch = m -> methodName(m.traits()) + " · batch " + io.vecinfer.eval.task.BatchSize.of(m.batchSize());
        Function<Metric, String> atContext = m -> methodName(m.traits()) + " · ctx " + m.contextLength();
        return List.of(
                meanLine("prefill tokens/s by context", cells, atBatch, m -> m.contextLength(), Metric::prefillTokensPerS, "context length", "prefill tokens/s"),
                meanLine("decode tokens/s by context", cells, atBatch, m -> m.contextLength(), Metric::decodeTokensPerS, "context length", "decode tokens/s"),
                meanLine("prefill latency by context", cells, atBatch, m -> m.contextLength(), Metric::prefillMsP50, "context length", "prefill ms (p50)"),
                meanLine("decode latency by context", cells, atBatch, m -> m.contextLength(), Metric::decodeMsPerTokenP50, "context length", "decode ms per token (p50)"),
                meanLine("decode tokens/s by batch", cells, atContext, m -> m.batchSize(), Metric::decodeTokensPerS, "batch size", "decode tokens/s"));
    }

    private static Chart perMethodLine(String section, String title, List<Metric> cells, Function<Metric, String> seriesName,
                                       ToDoubleFunction<Metric> value, String yName) {
        List<Chart.Series> series = new ArrayList<>();
        group(cells, seriesName).forEach((name, rows) -> {
            List<Chart.Point> points = new ArrayList<>();
            group(rows, Metric::method).forEach((method, same) -> points.add(Chart.Point.of(same.get(0).traits().bitsPerElement(),
                    same.stream().mapToDouble(value).average().orElseThrow(), null)));
            points.sort(Comparator.comparingDouble(Chart.Point::x));
            series.add(new Chart.Series(name, points));
        });
        return new Chart(id(section, title), section, title, "line", "bits per element", yName, "log2", List.of(), List.of(), series);
    }

    /** A line per series name, a point per distinct x: the mean of the cells' values there, cells without a value left out. */
    private static Chart meanLine(String title, List<Metric> cells, Function<Metric, String> seriesName, ToDoubleFunction<Metric> x,
                                  Function<Metric, Double> y, String xName, String yName) {
        List<Chart.Series> series = new ArrayList<>();
        group(cells.stream().filter(m -> y.apply(m) != null).toList(), seriesName).forEach((name, rows) -> {
            Map<Double, List<Metric>> byX = rows.stream().collect(Collectors.groupingBy(x::applyAsDouble, java.util.TreeMap::new, Collectors.toList()));
            List<Chart.Point> points = new ArrayList<>();
            byX.forEach((at, same) -> points.add(Chart.Point.of(at, same.stream().mapToDouble(y::apply).average().orElseThrow(), null)));
            series.add(new Chart.Series(name, points));
        });
        return new Chart(id(SPEED, title), SPEED, title, "line", xName, yName + " (mean over cells)", "value", List.of(), List.of(), series);
    }

    /** One row per cell (its first score's row): what per-cell columns (bytes, latency) are plotted from. */
    private static List<Metric> perCell(List<Metric> sorted) {
        Map<String, Metric> byHash = new LinkedHashMap<>();
        sorted.forEach(m -> byHash.putIfAbsent(m.configHash(), m));
        return List.copyOf(byHash.values());
    }

    private static Map<String, List<Metric>> byTaskAndScore(List<Metric> rows) {
        return group(rows.stream().filter(m -> Scores.plotted(m.score()))
                .sorted(Comparator.comparing(Metric::task).thenComparing(Metric::score)).toList(), m -> m.task() + " · " + m.score())
                .entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey,
                        e -> e.getValue().stream().sorted(METHOD_ORDER).toList(), (a, b) -> a, LinkedHashMap::new));
    }

    /** The name, plus the context length, batch size and seed where the rows have more than one of them. */
    private static Function<Metric, String> withVarying(Collection<Metric> rows, Function<Metric, String> name) {
        boolean contexts = rows.stream().map(Metric::contextLength).distinct().count() > 1;
        boolean batches = rows.stream().map(Metric::batchSize).distinct().count() > 1;
        boolean seeds = rows.stream().map(Metric::seed).distinct().count() > 1;
        return m -> name.apply(m) + (contexts ? " · ctx " + m.contextLength() : "") + (batches ? " · batch " + io.vecinfer.eval.task.BatchSize.of(m.batchSize()) : "")
                + (seeds ? " · seed " + m.seed() : "");
    }

    private static <K> Map<K, List<Metric>> group(List<Metric> rows, Function<Metric, K> key) {
        return rows.stream().collect(Collectors.groupingBy(key, LinkedHashMap::new, Collectors.toList()));
    }

    private static int familyRank(String family) {
        int i = FAMILY_ORDER.indexOf(family);
        return i < 0 ? FAMILY_ORDER.size() : i;
    }

    private static int transformRank(String transform) {
        return List.of("none", "smooth", "Hadamard", MethodTraits.BOTH).indexOf(Objects.requireNonNull(transform));
    }

    private static String id(String section, String title) {
        return section + "-" + title.replaceAll("[^A-Za-z0-9]+", "-").replaceAll("-+$", "").toLowerCase();
    }
}
