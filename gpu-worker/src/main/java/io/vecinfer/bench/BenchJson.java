package io.vecinfer.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.file.Files;
import java.nio.file.Path;

/** What the benchmarks' JSON results share: rounded numbers, one-line errors, and the file rewritten after every row. */
final class BenchJson {
    private static final ObjectMapper JSON = new ObjectMapper();

    private BenchJson() {
    }

    /** {@code x} to {@code digits} decimals (half up), so the JSON carries what the measurement resolves and no more. */
    static double round(double x, int digits) {
        double p = Math.pow(10, digits);
        return Math.round(x * p) / p;
    }

    /** An exception's first line, short enough for a JSON field (JCuda's load errors run to pages). */
    static String brief(Throwable e) {
        String text = e.toString().lines().findFirst().orElse("");
        return text.length() > 300 ? text.substring(0, 300) + "…" : text;
    }

    /**
     * Rewrites {@code out} (none: nothing) with the whole result, pretty-printed, so a run cut short keeps what finished; a
     * failed write is reported on stderr and the run goes on.
     */
    static void write(ObjectNode result, Path out) {
        if (out == null) return;
        try {
            Files.writeString(out, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(result));
        } catch (Exception e) {
            System.err.println("cannot write " + out + ": " + e);
        }
    }
}
