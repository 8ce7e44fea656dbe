package io.vecinfer.spark.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.Path;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The self-contained HTML report, {@code <out>/report.html}: the ablation tables, the charts (their data
 * embedded as JSON, drawn by the ECharts build inlined from its npm package) and the run's metadata, in one
 * file that loads nothing from anywhere.
 */
public final class HtmlReport {
    public static final String FILE = "report.html";
    static final String CHART_LIBRARY = "assets/echarts.min.js";
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private HtmlReport() {
    }

    public static Path location(Path output) {
        return new Path(output, FILE);
    }

    static String render(String title, List<Metric> metrics, List<Chart> charts, RunMetadata run) {
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("title", title);
        data.put("charts", charts);
        String json;
        try {
            json = MAPPER.writeValueAsString(data);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        Map<String, String> parts = new LinkedHashMap<>();
        parts.put("<!--TITLE-->", Html.escape(title));
        parts.put("<!--TABLES-->", AblationTable.html(metrics));
        parts.put("<!--METADATA-->", run.html());
        // "</" only occurs inside JSON strings, where "<\/" means the same: the script element cannot be closed early.
        parts.put("<!--DATA-->", json.replace("</", "<\\/"));
        parts.put("<!--CHART_LIBRARY-->", "/* Apache ECharts " + libraryVersion() + ", Apache-2.0, inlined from its npm package */\n"
                + resource(CHART_LIBRARY));
        parts.put("<!--REPORT_SCRIPT-->", resource("report.js"));
        return fill(resource("report.html"), parts);
    }

    static void write(String html, Path file, Configuration conf) {
        try (FSDataOutputStream out = file.getFileSystem(conf).create(file, true)) {
            out.write(html.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /** Each marker replaced wherever the template has it; what is put in is not searched again for markers. */
    static String fill(String template, Map<String, String> parts) {
        StringBuilder out = new StringBuilder(template.length());
        int at = 0;
        while (true) {
            int next = -1;
            String marker = null;
            for (String m : parts.keySet()) {
                int i = template.indexOf(m, at);
                if (i >= 0 && (next < 0 || i < next)) {
                    next = i;
                    marker = m;
                }
            }
            if (marker == null) break;
            out.append(template, at, next).append(parts.get(marker));
            at = next + marker.length();
        }
        return out.append(template.substring(at)).toString();
    }

    private static String libraryVersion() {
        try {
            return MAPPER.readTree(resource("assets/package.json")).get("version").asText();
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("the chart library's package.json in the jar is not JSON", e);
        }
    }

    static String resource(String name) {
        try (InputStream in = HtmlReport.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("io/vecinfer/spark/report/" + name + " is not on the classpath: the build copies the"
                        + " chart library from spark-jobs/node_modules (npm install in spark-jobs/), see spark-jobs/pom.xml");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
