package io.vecinfer.spark;

import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The calibrate job: fits the codebooks of every (model, VQ method) of a sweep that gives no codebook
 * file for it, one Spark task per file, into {@code <out>/codebooks/} (see {@link CalibratedCodebooks}
 * for the names). {@link Evaluate} then uses those files instead of calibrating on demand in every
 * executor that meets the method, which costs each executor a calibration per (model, method) and
 * leaves no file to reuse or inspect.
 *
 * <p>Resume: a file that exists is complete (temp + rename), so a rerun fits only the missing ones.
 *
 * <p>Usage: {@code spark-submit --class io.vecinfer.spark.Calibrate spark-jobs.jar SWEEP_FILE [--output DIR]},
 * settings from the sweep's optional {@code calibration} object.
 */
public final class Calibrate {
    private static final Logger LOG = LoggerFactory.getLogger(Calibrate.class);

    /**
     * @param planned     codebook files the sweep needs
     * @param alreadyDone of those, present before this run
     * @param fitted      written by this run
     */
    public record Outcome(Path folder, int planned, int alreadyDone, List<CalibrateTask.Fitted> fitted) {
    }

    private Calibrate() {
    }

    public static void main(String[] args) {
        Launcher.runSweepJob(args, "io.vecinfer.spark.Calibrate", "vecinfer-calibrate", Calibrate::run);
    }

    public static Outcome run(SparkSession spark, SweepFile sweep) {
        Configuration hadoopConf = spark.sparkContext().hadoopConfiguration();
        SweepValidator.validate(sweep, GpuPresence.of(spark.sparkContext().getConf()), hadoopConf, true);
        Path folder = CalibratedCodebooks.folder(OutputLayout.qualify(sweep.spec().output(), hadoopConf));
        List<CalibratedCodebooks.Target> planned = CalibratedCodebooks.planned(sweep.spec(), folder);
        List<CalibratedCodebooks.Target> todo = planned.stream().filter(t -> !Files.isRegularFile(Path.of(t.file()))).toList();
        LOG.info("calibration: {} codebook files planned under {}, {} present, {} to fit", planned.size(), folder,
                planned.size() - todo.size(), todo.size());
        if (todo.isEmpty()) return new Outcome(folder, planned.size(), planned.size(), List.of());
        try {
            Files.createDirectories(folder);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        // One partition per file: each fit is minutes of decoding and k-means, worth a task of its own.
        List<CalibrateTask.Fitted> fitted = JavaSparkContext.fromSparkContext(spark.sparkContext())
                .parallelize(todo, todo.size())
                .map(new CalibrateTask())
                .collect();
        LOG.info("calibration: fitted {} codebook files under {}", fitted.size(), folder);
        return new Outcome(folder, planned.size(), planned.size() - todo.size(), fitted);
    }
}
