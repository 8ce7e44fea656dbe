package io.vecinfer.spark;

import org.apache.spark.SparkException;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a failed Spark job means for a user, in one message: Spark's job-abort text repeats the task's
 * error with its stack trace, once per attempt, inside "Job aborted due to stage failure: ...". The
 * launchers print this instead: the task's own error, once; or, for a sample file Spark cannot read,
 * the file and what to do about it.
 */
final class SparkFailures {
    private static final Pattern UNREADABLE_FILE = Pattern.compile("reading file (\\S+?)\\.?\\s+SQLSTATE|reading file (\\S+?)\\.(\\s|$)");
    private static final Pattern ATTEMPTS = Pattern.compile("failed (\\d+) times");

    private SparkFailures() {
    }

    /** A task failed as often as Spark allows; the message is the task's own error. */
    static final class TaskFailedException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        TaskFailedException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** A committed file under the output cannot be read back. */
    static final class DamagedFileException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        DamagedFileException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** The user's message for a failure that has a SparkException in its causes; null when it has none. */
    static RuntimeException explain(Throwable failure) {
        SparkException spark = null;
        for (Throwable t = failure; t != null && spark == null; t = t.getCause()) if (t instanceof SparkException s) spark = s;
        if (spark == null) return null;
        String text = String.valueOf(spark.getMessage());
        Matcher file = UNREADABLE_FILE.matcher(text);
        if (file.find()) {
            String path = file.group(1) != null ? file.group(1) : file.group(2);
            Throwable cause = root(spark);
            return new DamagedFileException(path + " cannot be read (" + (cause == spark ? "damaged" : describe(cause)) + "). If it is a"
                    + " sample file (samples/config_hash=.../part-*.parquet), delete it: the next Evaluate run computes its samples again."
                    + " If it is under metrics/, delete metrics/ and run the report again.", spark);
        }
        Throwable task = spark.getCause() != null ? root(spark) : null;
        Matcher attempts = ATTEMPTS.matcher(text);
        String times = attempts.find() ? " (tried " + attempts.group(1) + " time" + (attempts.group(1).equals("1") ? "" : "s") + ")" : "";
        String error = task != null ? describe(task) : firstLineOfTaskError(text);
        return new TaskFailedException("a Spark task failed" + times + ": " + error, spark);
    }

    /** The innermost cause that says something: a wrapper's message usually repeats its cause's. */
    private static Throwable root(Throwable t) {
        Throwable deepest = t;
        while (deepest.getCause() != null && deepest.getCause() != deepest) deepest = deepest.getCause();
        // The project's wrappers name what failed ("cannot create cell runner X: ..."); keep the outermost non-Spark one.
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (!(c instanceof SparkException) && c.getMessage() != null) return c;
        }
        return deepest;
    }

    private static String describe(Throwable t) {
        return t.getMessage() != null ? t.getMessage() : t.getClass().getName();
    }

    /** Without a deserialised cause: the error after "most recent failure: Lost task ... (...): ", up to its first line break. */
    private static String firstLineOfTaskError(String text) {
        int at = text.indexOf("most recent failure: ");
        if (at < 0) return text.lines().findFirst().orElse(text);
        String rest = text.substring(at);
        int colon = rest.indexOf("): ");
        String error = colon < 0 ? rest : rest.substring(colon + 3);
        return error.lines().findFirst().orElse(error);
    }
}
