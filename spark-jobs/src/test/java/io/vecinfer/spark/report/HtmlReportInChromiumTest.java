package io.vecinfer.spark.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vecinfer.spark.testing.DefaultSweepOutput;
import io.vecinfer.spark.testing.LocalSpark;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The default sweep's report.html in a real headless Chromium: it loads nothing from anywhere, logs no
 * error, and its charts (read back as ECharts holds them) have the series and points the metrics and
 * samples Parquet hold, recounted here from those files.
 */
class HtmlReportInChromiumTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path SCREENSHOT = Path.of("target/report-screenshots/default-sweep-report.png");
    private static ChromeDriver browser;
    private static Path output;
    private static JsonNode charts;
    private static List<Row> metrics;

    @BeforeAll
    static void load() throws Exception {
        browser = Chromium.start(1400, 1000);
        output = DefaultSweepOutput.get();
        browser.get(output.resolve("report.html").toUri().toString());
        charts = JSON.readTree((String) browser.executeScript("""
                return JSON.stringify(Array.from(document.querySelectorAll('[data-chart]')).map(function (el) {
                  var o = echarts.getInstanceByDom(el).getOption();
                  return {id: el.getAttribute('data-chart'), title: o.title[0].text,
                          series: o.series.map(function (s) { return {id: s.id, type: s.type, name: s.name, data: s.data}; })};
                }));"""));
        metrics = LocalSpark.session().read().parquet(output.resolve("metrics").toString()).collectAsList();
    }

    @AfterAll
    static void quit() {
        if (browser != null) browser.quit();
    }

    @Test
    void loadsNothingAndLogsNoError() {
        List<LogEntry> errors = browser.manage().logs().get(LogType.BROWSER).getAll().stream()
                .filter(e -> e.getLevel().intValue() >= java.util.logging.Level.WARNING.intValue()).toList();
        assertEquals(List.of(), errors.stream().map(LogEntry::toString).toList(), "console errors and warnings");
        assertEquals(0L, browser.executeScript("return performance.getEntriesByType('resource').length;"), "resources fetched");
        assertEquals(String.valueOf(charts.size()), browser.findElement(By.tagName("body")).getAttribute("data-charts-drawn"));
    }

    @Test
    void scoreAgainstBitsHasALinePerMethodAndModelAndAPointPerMetricsRow() {
        Map<String, List<Row>> byTaskScore = groupBy(plottedScores(), r -> r.getAs("task") + " · " + r.getAs("score"));
        assertEquals(byTaskScore.size(), section("score").size());
        byTaskScore.forEach((title, rows) -> {
            JsonNode chart = chart("score", title);
            assertEquals(distinct(rows, r -> r.getAs("method_family") + "/" + r.getAs("model")), dataSeries(chart).size(), title);
            assertEquals(sorted(rows.stream().map(r -> pair(r.getAs("bits_per_element"), r.getAs("mean"))).toList()),
                    sorted(points(chart)), title);
            long withErrors = rows.stream().filter(r -> r.getAs("stderr") != null && !r.<Double>getAs("stderr").isNaN()).count();
            assertEquals(withErrors, series(chart, "error:").stream().mapToInt(s -> s.get("data").size()).sum(), title + ": error bars");
        });
    }

    @Test
    void transformAblationHasABarPerVecInferCell() {
        Map<String, List<Row>> byTaskScore = groupBy(plottedScores().stream()
                .filter(r -> "vecinfer".equals(r.getAs("method_family")) && r.getAs("delta_vs_fp16") != null).toList(),
                r -> r.getAs("task") + " · " + r.getAs("score"));
        assertEquals(byTaskScore.size(), section("ablation").size());
        assertFalse(byTaskScore.isEmpty(), "the default sweep has VecInfer cells");
        byTaskScore.forEach((title, rows) -> {
            JsonNode chart = chart("ablation", title);
            assertEquals(distinct(rows, r -> r.getAs("key_transform") + "/" + r.getAs("model")), dataSeries(chart).size(), title);
            assertEquals(sorted(rows.stream().map(r -> r.<Double>getAs("delta_vs_fp16")).toList()),
                    sorted(dataSeries(chart).stream().flatMap(s -> stream(s.get("data"))).map(p -> p.get(1).asDouble()).toList()), title);
        });
    }

    @Test
    void passkeyHeatmapsHaveACellPerContextAndDepth() {
        Pattern depth = Pattern.compile("^passkey-\\d+-d(\\d+)-\\d+$");
        List<Row> samples = LocalSpark.session().read().parquet(output.resolve("samples").toString())
                .filter("task = 'passkey'").collectAsList();
        // per (model, method): per (context tokens, depth): accuracies
        Map<String, Map<String, List<Double>>> expected = new TreeMap<>();
        for (Row s : samples) {
            Matcher m = depth.matcher(s.getAs("sample_id"));
            assertTrue(m.matches(), s.<String>getAs("sample_id"));
            expected.computeIfAbsent(s.getAs("model") + "/" + s.getAs("method"), k -> new TreeMap<>())
                    .computeIfAbsent(s.getAs("context_tokens") + "/" + m.group(1), k -> new ArrayList<>())
                    .add(s.<scala.collection.Map<String, Object>>getAs("scores").get("accuracy").map(v -> (Double) v).get());
        }
        List<JsonNode> heatmaps = section("passkey");
        assertEquals(expected.size(), heatmaps.size());
        List<Double> expectedValues = expected.values().stream().flatMap(cells -> cells.values().stream())
                .map(v -> v.stream().mapToDouble(Double::doubleValue).average().orElseThrow()).toList();
        List<Double> drawn = heatmaps.stream().flatMap(h -> dataSeries(h).stream()).flatMap(s -> stream(s.get("data")))
                .map(p -> p.get(2).asDouble()).toList();
        assertEquals(sortedRounded(expectedValues), sortedRounded(drawn));
    }

    @Test
    void kvBytesAndSpeedHaveALinePerGroupAndAPointPerMethodOrContext() {
        List<Row> cells = new ArrayList<>(metrics.stream().collect(Collectors.toMap(r -> r.<String>getAs("config_hash"), r -> r, (a, b) -> a)).values());
        JsonNode bytes = chart("kv", "KV bytes per token");
        assertEquals(distinct(cells, r -> r.getAs("method_family") + "/" + r.getAs("context_length")), dataSeries(bytes).size());
        Map<String, List<Row>> perMethod = groupBy(cells, r -> r.getAs("method_family") + "/" + r.getAs("context_length") + "/" + r.getAs("method"));
        assertEquals(sortedRounded(perMethod.values().stream().map(rows -> rows.stream().mapToDouble(r -> r.<Double>getAs("kv_bytes_per_token")).average().orElseThrow()).toList()),
                sortedRounded(dataSeries(bytes).stream().flatMap(s -> stream(s.get("data"))).map(p -> p.get(1).asDouble()).toList()));

        List<Row> decoding = cells.stream().filter(r -> r.getAs("decode_tokens_per_s") != null).toList();
        JsonNode decode = chart("speed", "decode tokens/s by context");
        assertEquals(distinct(decoding, r -> r.getAs("method") + "/" + r.getAs("batch_size")), dataSeries(decode).size());
        assertEquals(distinct(decoding, r -> r.getAs("method") + "/" + r.getAs("batch_size") + "/" + r.getAs("context_length")),
                dataSeries(decode).stream().mapToInt(s -> s.get("data").size()).sum());
    }

    @Test
    void theAblationTableHasAColumnPerMethodAndTheVariantFootnote() throws Exception {
        long methods = distinct(metrics, r -> r.getAs("method"));
        var tables = browser.findElements(By.cssSelector("table.ablation"));
        assertEquals(distinct(metrics, r -> r.getAs("model")), tables.size());
        for (var table : tables) {
            assertEquals(methods + 1, table.findElements(By.cssSelector("thead th")).size());
            assertFalse(table.findElements(By.cssSelector("tr.average")).isEmpty());
        }
        String footnotes = browser.findElements(By.cssSelector("p.footnote")).stream().map(e -> e.getText()).collect(Collectors.joining("\n"));
        assertTrue(footnotes.contains("reference-model-outliers*: transformed"), footnotes);

        // The artifact: the whole page, kept under target/.
        long height = (Long) browser.executeScript("return document.documentElement.scrollHeight;");
        browser.manage().window().setSize(new org.openqa.selenium.Dimension(1400, (int) Math.min(height + 40, 16000)));
        Files.createDirectories(SCREENSHOT.getParent());
        Files.copy(browser.getScreenshotAs(OutputType.FILE).toPath(), SCREENSHOT, StandardCopyOption.REPLACE_EXISTING);
        assertTrue(Files.size(SCREENSHOT) > 10_000, "screenshot " + SCREENSHOT);
    }

    private static List<Row> plottedScores() {
        return metrics.stream().filter(r -> !"tokens".equals(r.getAs("score"))).toList();
    }

    private static List<JsonNode> section(String section) {
        return stream(charts).filter(c -> c.get("id").asText().startsWith(section + "-")).toList();
    }

    private static JsonNode chart(String section, String title) {
        return section(section).stream().filter(c -> c.get("title").asText().equals(title)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + section + " chart titled " + title + " among " + section(section).stream().map(c -> c.get("title").asText()).toList()));
    }

    private static List<JsonNode> dataSeries(JsonNode chart) {
        return series(chart, "data:");
    }

    private static List<JsonNode> series(JsonNode chart, String prefix) {
        return stream(chart.get("series")).filter(s -> s.get("id").asText().startsWith(prefix)).toList();
    }

    private static List<String> points(JsonNode chart) {
        return dataSeries(chart).stream().flatMap(s -> stream(s.get("data"))).map(p -> pair(p.get(0).asDouble(), p.get(1).asDouble())).toList();
    }

    private static String pair(double x, double y) {
        return String.format("%.6g/%.9g", x, y);
    }

    private static <T extends Comparable<T>> List<T> sorted(List<T> values) {
        return values.stream().sorted().toList();
    }

    private static List<Double> sortedRounded(List<Double> values) {
        return values.stream().map(v -> Math.round(v * 1e9) / 1e9).sorted().toList();
    }

    private static long distinct(List<Row> rows, Function<Row, Object> key) {
        return rows.stream().map(key).filter(Objects::nonNull).distinct().count();
    }

    private static Map<String, List<Row>> groupBy(List<Row> rows, Function<Row, String> key) {
        return rows.stream().collect(Collectors.groupingBy(key, TreeMap::new, Collectors.toList()));
    }

    private static java.util.stream.Stream<JsonNode> stream(JsonNode array) {
        return java.util.stream.StreamSupport.stream(array.spliterator(), false);
    }
}
