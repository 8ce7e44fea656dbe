package io.vecinfer.spark.testing;

import io.vecinfer.spark.Runners;
import io.vecinfer.spark.SampleColumns;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** One local[2] Spark for all local tests of this JVM (starting one costs seconds), and helpers to look at output. */
public final class LocalSpark {
    private static SparkSession spark;

    private LocalSpark() {
    }

    public static synchronized SparkSession session() {
        if (spark == null) {
            spark = SparkSession.builder()
                    .master("local[2]")
                    .appName("vecinfer-tests")
                    .config("spark.ui.enabled", "false")
                    .config("spark.sql.shuffle.partitions", "4")
                    .config(Runners.CONF_KEY, HashCellRunner.class.getName())
                    .getOrCreate();
        }
        return spark;
    }

    /** Every committed row, duplicates included: what the tests count. */
    public static Dataset<Row> rawSamples(Path output) {
        return session().read().schema(SampleColumns.sparkSchema()).parquet(output.resolve("samples").toString());
    }

    /** The committed (visible) sample files. */
    public static List<Path> sampleFiles(Path output) {
        try (Stream<Path> files = Files.walk(output.resolve("samples"))) {
            return files.filter(f -> f.getFileName().toString().startsWith("part-") && f.toString().endsWith(".parquet")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
