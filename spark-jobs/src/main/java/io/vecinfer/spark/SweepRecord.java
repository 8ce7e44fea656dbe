package io.vecinfer.spark;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The sweep file an output folder was last evaluated from, kept as {@code <out>/sweep-file.json} (its path,
 * sha256, text, when it ran and the config hashes of its cells), so that the report can say what ran
 * without being told, and cover that sweep's cells only.
 *
 * @param cells the config hashes of the sweep's cells; null in records written before they were kept
 */
public record SweepRecord(String path, String sha256, String text, String evaluatedAt, List<String> cells) {
    public static final String FILE = "sweep-file.json";
    private static final ObjectMapper MAPPER = new ObjectMapper();

    public static Path location(Path output) {
        return new Path(output, FILE);
    }

    /** Records the sweep; the previous record is replaced, since a rerun may widen the sweep. */
    static void write(SweepFile sweep, List<String> cells, Path output, Configuration conf) {
        try {
            java.nio.file.Path file = sweep.path().toAbsolutePath();
            String text = Files.readString(file);
            SweepRecord record = new SweepRecord(file.toString(), Hashes.ofFile(file), text, Instant.now().toString(), List.copyOf(cells));
            FileSystem fs = output.getFileSystem(conf);
            try (FSDataOutputStream out = fs.create(location(output), true)) {
                out.write(MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(record));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot record the sweep file in " + location(output), e);
        }
    }

    /** The record, if the folder has one (outputs of an Evaluate before it was kept have none). */
    public static Optional<SweepRecord> read(Path output, Configuration conf) {
        Path file = location(output);
        try {
            FileSystem fs = file.getFileSystem(conf);
            if (!fs.exists(file)) return Optional.empty();
            try (InputStream in = fs.open(file)) {
                return Optional.of(MAPPER.readValue(new String(in.readAllBytes(), StandardCharsets.UTF_8), SweepRecord.class));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }
}
