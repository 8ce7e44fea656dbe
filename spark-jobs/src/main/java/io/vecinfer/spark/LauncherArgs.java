package io.vecinfer.spark;

import java.nio.file.Path;

/** Command-line arguments shared by the launchers: {@code SWEEP_FILE [--output DIR]}. */
final class LauncherArgs {
    private LauncherArgs() {
    }

    /** The main of a sweep job under spark-submit: read the sweep, run the job on the session spark-submit made. */
    static void runSweepJob(String[] args, String mainClass, String appName,
                            java.util.function.BiConsumer<org.apache.spark.sql.SparkSession, SweepFile> job) {
        SweepFile sweep = sweep(args, mainClass);
        org.apache.spark.sql.SparkSession spark = org.apache.spark.sql.SparkSession.builder().appName(appName).getOrCreate();
        try {
            job.accept(spark, sweep);
        } finally {
            spark.stop();
        }
    }

    static SweepFile sweep(String[] args, String mainClass) {
        if (args.length != 1 && !(args.length == 3 && args[1].equals("--output"))) {
            System.err.println("usage: " + mainClass + " SWEEP_FILE [--output DIR]");
            System.exit(2);
        }
        SweepFile sweep = SweepFile.read(Path.of(args[0]));
        return args.length == 3 ? sweep.withOutput(args[2]) : sweep;
    }
}
