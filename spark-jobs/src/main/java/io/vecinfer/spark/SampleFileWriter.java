package io.vecinfer.spark;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.hadoop.util.HadoopOutputFile;
import org.apache.parquet.schema.MessageType;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Writes one chunk of finished rows of one cell as a new Parquet file, all or nothing: the file is
 * written under a hidden name (a leading '.', which Spark's readers skip) and renamed to
 * {@code part-<uuid>.parquet} only once it is complete. A task killed mid-write leaves at most a hidden
 * file; a rename on HDFS or a local disk is atomic. (On an object store without atomic rename, put the
 * output on HDFS or a file system that has one.)
 */
public final class SampleFileWriter {
    private static final MessageType SCHEMA = SampleColumns.parquetSchema();

    private SampleFileWriter() {
    }

    /** Commits the rows into the cell's directory under a new random name and returns the committed file. */
    public static Path commit(Path cellDirectory, List<Map<String, Object>> rows, Configuration conf) {
        return commit(cellDirectory, "part-" + UUID.randomUUID() + ".parquet", rows, conf);
    }

    /**
     * Commits the rows as {@code cellDirectory/name}. When another attempt of the same task committed
     * that name first (speculation), its file is kept and this one dropped: both hold the same rows.
     */
    public static Path commit(Path cellDirectory, String name, List<Map<String, Object>> rows, Configuration conf) {
        Path hidden = new Path(cellDirectory, "." + name + "." + UUID.randomUUID() + ".inprogress");
        Path visible = new Path(cellDirectory, name);
        try {
            FileSystem fs = cellDirectory.getFileSystem(conf);
            fs.mkdirs(cellDirectory);
            SimpleGroupFactory groups = new SimpleGroupFactory(SCHEMA);
            try (ParquetWriter<Group> writer = ExampleParquetWriter.builder(HadoopOutputFile.fromPath(hidden, conf))
                    .withType(SCHEMA)
                    .withConf(conf)
                    .withCompressionCodec(CompressionCodecName.SNAPPY)
                    .withWriteMode(ParquetFileWriter.Mode.OVERWRITE)
                    .build()) {
                for (Map<String, Object> row : rows) writer.write(toGroup(groups.newGroup(), row));
            }
            if (fs.exists(visible) || !fs.rename(hidden, visible)) {
                if (!fs.exists(visible)) throw new IOException("cannot rename " + hidden + " to " + visible);
                fs.delete(hidden, false);
            }
            return visible;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write samples to " + cellDirectory, e);
        }
    }

    private static Group toGroup(Group group, Map<String, Object> row) {
        for (SampleColumns.Column column : SampleColumns.COLUMNS) {
            Object value = row.get(column.name());
            if (value == null) {
                if (column.required()) throw new IllegalArgumentException("row lacks required column " + column.name() + ": " + row);
                continue;
            }
            String name = column.name();
            switch (column.kind()) {
                case STRING -> group.append(name, (String) value);
                case INT -> group.append(name, ((Number) value).intValue());
                case LONG -> group.append(name, ((Number) value).longValue());
                case DOUBLE -> group.append(name, ((Number) value).doubleValue());
                case TIMESTAMP -> group.append(name, ChronoUnit.MICROS.between(Instant.EPOCH, (Instant) value));
                case SCORES -> {
                    Group map = group.addGroup(name);
                    @SuppressWarnings("unchecked") Map<String, Double> scores = (Map<String, Double>) value;
                    scores.forEach((key, score) -> map.addGroup("key_value").append("key", key).append("value", score));
                }
            }
        }
        return group;
    }
}
