package io.vecinfer.spark.testing;

import io.vecinfer.spark.Evaluate;
import io.vecinfer.spark.LocalMain;
import io.vecinfer.spark.Report;
import io.vecinfer.spark.SweepFile;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The default sweep (spark-jobs/src/main/resources/default-sweep.json: its models, methods, tasks, limits),
 * evaluated on the tests' local Spark with {@link HashCellRunner} and reported, once per test JVM, into
 * {@code spark-jobs/target/default-sweep-report/}: the folder the browser and notebook tests read, left
 * there after the build for a look.
 */
public final class DefaultSweepOutput {
    private static Path output;

    private DefaultSweepOutput() {
    }

    public static synchronized Path get() {
        if (output != null) return output;
        Path root = Sweeps.repoRoot();
        Path dir = root.resolve("spark-jobs/target/default-sweep-report");
        try {
            deleteTree(dir);
            // The sweep's paths are relative to the repository root, where LocalMain runs; the tests run in spark-jobs/.
            String text = Files.readString(root.resolve(LocalMain.DEFAULT_SWEEP)).replace("\"datasets/", "\"" + root.resolve("datasets") + "/");
            Path sweep = Sweeps.writeText(dir.resolve("default-sweep.json"), text);
            Path out = dir.resolve("out");
            Evaluate.run(LocalSpark.session(), SweepFile.read(sweep).withOutput(out.toString()));
            Report.run(LocalSpark.session(), out.toString());
            output = out;
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (var files = Files.walk(dir)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }
}
