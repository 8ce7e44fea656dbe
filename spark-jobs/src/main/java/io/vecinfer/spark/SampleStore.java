package io.vecinfer.spark;

import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The committed per-sample rows under {@code <out>/samples/}, as the driver and the report see them.
 * Reading drops duplicates by (config_hash, sample_id): a task that committed its file and was then
 * retried (its executor lost before Spark heard of the success, or speculation) commits the same
 * samples again, and whichever copy is kept has the same scores, since cells are deterministic.
 */
public final class SampleStore {
    private SampleStore() {
    }

    public static Dataset<Row> committed(SparkSession spark, Path samples) {
        if (!exists(spark, samples)) return spark.createDataFrame(List.of(), SampleColumns.sparkSchema());
        // The explicit schema keeps config_hash a string: partition type inference would turn a
        // hash of digits only into a number.
        return spark.read().schema(SampleColumns.sparkSchema()).option("basePath", samples.toString())
                .parquet(samples.toString())
                .dropDuplicates(OutputLayout.PARTITION_COLUMN, "sample_id");
    }

    /**
     * The (config_hash, sample_id) pairs committed so far, as {@link #key} strings, collected to the
     * driver: a plain scan, no shuffle (a sweep of a million samples is some tens of MB here).
     */
    public static Set<String> committedKeys(SparkSession spark, Path samples) {
        Set<String> keys = new HashSet<>();
        if (!exists(spark, samples)) return keys;
        spark.read().schema(SampleColumns.sparkSchema()).option("basePath", samples.toString()).parquet(samples.toString())
                .select(OutputLayout.PARTITION_COLUMN, "sample_id").collectAsList()
                .forEach(row -> keys.add(key(row.getString(0), row.getString(1))));
        return keys;
    }

    public static String key(String configHash, String sampleId) {
        return configHash + "/" + sampleId;
    }

    private static boolean exists(SparkSession spark, Path path) {
        try {
            FileSystem fs = path.getFileSystem(spark.sparkContext().hadoopConfiguration());
            return fs.exists(path);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
