package io.vecinfer.spark;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileContext;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Options;
import org.apache.hadoop.fs.Path;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * {@code <out>/failed-cells.json}: the cells whose last run failed, each with its error, so that a
 * failure outlives the console it was printed on and the report names it. Every Evaluate run rewrites
 * the entries of its own cells (dropping those that now completed, adding those that failed) and keeps
 * the others; the file goes away when no cell has failed. Written to a temporary name and renamed over
 * the old one, so a kill leaves the old file or the new one.
 */
final class FailedCells {
    static final String FILE = "failed-cells.json";
    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private FailedCells() {
    }

    /** One failed cell as the file holds it. */
    record Entry(String configHash, String error, int samples, String executorId, String failedAt) {
    }

    static Path file(Path output) {
        return new Path(output, FILE);
    }

    /** @param sweepCells the config hashes of every cell of the sweep just run */
    static void record(Path output, Collection<String> sweepCells, List<EvaluatePartition.CellFailure> failed, Configuration conf) {
        Map<String, Entry> entries = new LinkedHashMap<>();
        for (Entry e : read(output, conf)) if (!sweepCells.contains(e.configHash())) entries.put(e.configHash(), e);
        String now = Instant.now().toString();
        for (EvaluatePartition.CellFailure f : failed) entries.put(f.configHash(), new Entry(f.configHash(), f.error(), f.samples(), f.executorId(), now));
        Path file = file(output);
        try {
            FileSystem fs = file.getFileSystem(conf);
            if (entries.isEmpty()) {
                fs.delete(file, false);
                return;
            }
            Path temp = new Path(output, "." + FILE + "." + UUID.randomUUID() + ".tmp");
            try (FSDataOutputStream out = fs.create(temp, false)) {
                out.write(MAPPER.writeValueAsBytes(new ArrayList<>(entries.values())));
            }
            FileContext.getFileContext(file.toUri(), conf).rename(temp, file, Options.Rename.OVERWRITE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /** The failed cells recorded under the output; none when there is no file. */
    static List<Entry> read(Path output, Configuration conf) {
        Path file = file(output);
        try {
            FileSystem fs = file.getFileSystem(conf);
            if (!fs.exists(file)) return List.of();
            try (FSDataInputStream in = fs.open(file)) {
                return MAPPER.readValue(in.readAllBytes(), new TypeReference<List<Entry>>() { });
            }
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot read the failed cells (delete the file; the next Evaluate run writes it again): "
                    + e.getMessage(), e);
        }
    }

    /**
     * What the report prints after its table: the failed cells and their errors, or nothing.
     *
     * @param cells the config hashes the report covers (the last sweep's), or null for every cell of the output
     */
    static String describe(Path output, Configuration conf, java.util.Collection<String> cells) {
        List<Entry> entries = read(output, conf).stream().filter(e -> cells == null || cells.contains(e.configHash())).toList();
        if (entries.isEmpty()) return "";
        return entries.size() + " cell(s) failed in their last run and have no rows in this report (" + file(output) + "):\n"
                + entries.stream().map(e -> "  " + e.error() + " (" + e.samples() + " samples, " + e.failedAt() + ")").collect(Collectors.joining("\n")) + "\n";
    }
}
