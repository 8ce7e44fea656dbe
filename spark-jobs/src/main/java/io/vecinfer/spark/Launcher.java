package io.vecinfer.spark;

import io.vecinfer.model.CheckpointException;
import io.vecinfer.safetensors.SafeTensorsException;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * How the mains start and end. Arguments: positional ones, {@code --output DIR} where the main takes it,
 * {@code --verbose}; anything else is refused with the known flags. The session runs on the master
 * spark-submit gives, or on {@code local[*]} when none is given (spark-submit's own default), so the
 * mains also run as plain Java programs. The project's own errors (a bad sweep, failed cells, a bad
 * checkpoint or dataset, no samples) print as their message alone, exit status 1; {@code --verbose}
 * adds the stack trace. A failed Spark job prints as the failed task's own error, once, or names the
 * output file Spark could not read ({@link SparkFailures}). Usage errors exit with status 2.
 */
final class Launcher {
    /** The master when neither spark-submit nor -Dspark.master gives one. */
    static final String DEFAULT_MASTER = "local[*]";
    static final String OUTPUT_FLAG = "--output";
    static final String VERBOSE_FLAG = "--verbose";
    /** Report's: every cell in the output, not only the last sweep's. */
    static final String ALL_FLAG = "--all";

    /** The parsed command line; {@code output} is null when not given; {@code all} only where the usage shows --all. */
    record Args(List<String> positional, String output, boolean verbose, boolean all) {
    }

    /** A command line the main cannot run; the message says what is wrong and how it is used. */
    static final class UsageException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }

    private Launcher() {
    }

    /**
     * @param usage       the arguments as the usage line shows them, e.g. {@code SWEEP_FILE [--output DIR]}
     * @param defaultArgument the one positional argument when none is given; null when it is required
     * @param takesOutput whether {@code --output DIR} is one of its flags
     */
    static Args parse(String[] args, String usage, String defaultArgument, boolean takesOutput) {
        boolean takesAll = usage.contains("[" + ALL_FLAG + "]");
        List<String> known = new ArrayList<>();
        if (takesOutput) known.add(OUTPUT_FLAG);
        if (takesAll) known.add(ALL_FLAG);
        known.add(VERBOSE_FLAG);
        List<String> values = new ArrayList<>();
        String output = null;
        boolean verbose = false;
        boolean all = false;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (arg.equals(VERBOSE_FLAG)) {
                verbose = true;
            } else if (takesAll && arg.equals(ALL_FLAG)) {
                all = true;
            } else if (takesOutput && arg.equals(OUTPUT_FLAG)) {
                if (i + 1 >= args.length) throw new UsageException(OUTPUT_FLAG + " needs a folder; usage: " + usage);
                output = args[++i];
            } else if (arg.startsWith("--")) {
                throw new UsageException("unknown flag " + arg + " (known: " + String.join(", ", known) + "); usage: " + usage);
            } else {
                values.add(arg);
            }
        }
        if (values.isEmpty() && defaultArgument != null) values.add(defaultArgument);
        if (values.size() != 1) {
            throw new UsageException("expected one argument, got " + values.size() + (values.isEmpty() ? "" : " " + values) + "; usage: " + usage);
        }
        return new Args(values, output, verbose, all);
    }

    /** A session on the configured master, else on {@link #DEFAULT_MASTER}. */
    static SparkSession session(String appName) {
        SparkSession.Builder builder = SparkSession.builder().appName(appName);
        masterUnlessConfigured(new SparkConf()).ifPresent(builder::master);
        return builder.getOrCreate();
    }

    /** {@link #DEFAULT_MASTER} where the conf (spark-submit's, or -D system properties) names no master. */
    static java.util.Optional<String> masterUnlessConfigured(SparkConf conf) {
        return conf.contains("spark.master") ? java.util.Optional.empty() : java.util.Optional.of(DEFAULT_MASTER);
    }

    /** The main of a sweep job: {@code SWEEP_FILE [--output DIR] [--verbose]}, the job run on a session. */
    static void runSweepJob(String[] args, String mainClass, String appName, BiConsumer<SparkSession, SweepFile> job) {
        exit(run(args, SWEEP_USAGE, mainClass, null, System.err, a -> {
            SweepFile sweep = sweep(a);
            SparkSession spark = session(appName);
            try {
                job.accept(spark, sweep);
            } finally {
                spark.stop();
            }
        }));
    }

    static final String SWEEP_USAGE = "SWEEP_FILE [--output DIR] [--verbose]";

    /** The sweep file of a sweep job's arguments, with --output applied. */
    static SweepFile sweep(Args args) {
        SweepFile sweep = SweepFile.read(Path.of(args.positional().get(0)));
        return args.output() == null ? sweep : sweep.withOutputFlag(args.output());
    }

    /**
     * Parses the arguments (one positional; --output where the usage shows it) and runs the body; returns
     * the exit status, having printed what went wrong to {@code err}.
     */
    static int run(String[] args, String usage, String mainClass, String defaultArgument, PrintStream err, Consumer<Args> body) {
        boolean verbose = List.of(args).contains(VERBOSE_FLAG);
        try {
            body.accept(parse(args, mainClass + " " + usage, defaultArgument, usage.contains(OUTPUT_FLAG)));
            return 0;
        } catch (UsageException e) {
            err.println("error: " + e.getMessage());
            return 2;
        } catch (Exception e) { // Spark's SparkException is a checked exception that Scala code throws undeclared
            RuntimeException shown = e instanceof RuntimeException r && isOwn(r) ? r : SparkFailures.explain(e);
            if (shown == null) throw e;
            err.println("error: " + shown.getMessage());
            if (verbose) e.printStackTrace(err);
            else err.println("(run with " + VERBOSE_FLAG + " for the stack trace)");
            return 1;
        }
    }

    /** The project's own errors, whose messages say all a user needs; anything else is a bug and keeps its trace. */
    static boolean isOwn(RuntimeException e) {
        return e instanceof SweepSpecException || e instanceof CellsFailedException || e instanceof Report.NoSamplesException || e instanceof MetricsFolder.NotOursException
                || e instanceof SparkFailures.TaskFailedException || e instanceof SparkFailures.DamagedFileException
                || e instanceof CheckpointException || e instanceof SafeTensorsException
                || e instanceof io.vecinfer.cuda.CudaUnavailableException;
    }

    /** Ends the JVM with the status unless it is 0 (a main's normal end, which lets Spark's threads wind down). */
    static void exit(int status) {
        if (status != 0) System.exit(status);
    }
}
