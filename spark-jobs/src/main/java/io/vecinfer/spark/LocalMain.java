package io.vecinfer.spark;

import org.apache.spark.sql.SparkSession;

/**
 * Runs a sweep (calibrating first when it has a {@code calibration} object) and its report on a local Spark ({@code local[2]} unless {@code spark.master} is set)
 * started in this JVM: the README's one command. Arguments: {@code [SWEEP_FILE] [--output DIR] [--verbose]}, the
 * sweep defaulting to {@link #DEFAULT_SWEEP} (paths in it are relative to the repository root, where
 * this is meant to be started). The JVM needs Spark's module options (spark-jobs/run-local.sh passes them).
 */
public final class LocalMain {
    public static final String DEFAULT_SWEEP = "spark-jobs/src/main/resources/default-sweep.json";

    private LocalMain() {
    }

    public static void main(String[] args) {
        Launcher.exit(Launcher.run(args, "[SWEEP_FILE] [--output DIR] [--verbose]", "io.vecinfer.spark.LocalMain", DEFAULT_SWEEP,
                System.err, a -> run(Launcher.sweep(a))));
    }

    private static void run(SweepFile sweep) {
        SparkSession spark = SparkSession.builder()
                .appName("vecinfer-local")
                .master(System.getProperty("spark.master", "local[2]"))
                .config("spark.ui.enabled", "false")
                .getOrCreate();
        try {
            if (sweep.spec().calibration() != null) Calibrate.run(spark, sweep);
            Evaluate.Outcome outcome = Evaluate.run(spark, sweep);
            Report.run(spark, outcome.output().toString());
            System.out.println("samples: " + OutputLayout.samples(outcome.output()) + "\nmetrics: " + OutputLayout.metrics(outcome.output()));
            // The report above covers the cells that completed; the failed ones are named last, and fail the run.
            if (!outcome.complete()) throw new CellsFailedException(outcome.failedCells());
        } finally {
            spark.stop();
        }
    }
}
