package io.vecinfer.spark;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Where a sweep's output goes: {@code <out>/samples/config_hash=<hash>/part-*.parquet} (one row per
 * sample, written by the executors), {@code <out>/metrics/task=<task>/} (written by the report) and
 * {@code <out>/codebooks/<name>.safetensors} (written by {@link Calibrate}, see {@link CalibratedCodebooks}).
 * Paths are fully qualified on the driver, so executors write to the same place whatever their working
 * directory.
 */
public final class OutputLayout {
    public static final String SAMPLES = "samples";
    public static final String METRICS = "metrics";
    public static final String CODEBOOKS = "codebooks";
    public static final String PARTITION_COLUMN = "config_hash";

    private OutputLayout() {
    }

    /** A local path (relative to the working directory) or a Hadoop URI, fully qualified. */
    public static Path qualify(String output, Configuration hadoopConf) {
        Path path = new Path(output);
        if (path.toUri().getScheme() == null) path = new Path(LocalPaths.resolve(output).toUri());
        try {
            return path.getFileSystem(hadoopConf).makeQualified(path);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static Path samples(Path output) {
        return new Path(output, SAMPLES);
    }

    public static Path metrics(Path output) {
        return new Path(output, METRICS);
    }

    public static Path codebooks(Path output) {
        return new Path(output, CODEBOOKS);
    }

    public static Path cellDirectory(Path samples, String configHash) {
        return new Path(samples, PARTITION_COLUMN + "=" + configHash);
    }
}
