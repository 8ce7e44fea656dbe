package io.vecinfer.spark;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * Replaces {@code <out>/metrics/} without deleting what is not ours and without a moment where a kill
 * leaves no metrics: the new metrics are written whole beside the old ones ({@code .metrics.new-<id>}),
 * then swapped in by two renames (old away to {@code .metrics.old-<id>}, new in), and only then is the
 * old copy deleted. A kill while writing leaves the old metrics as they were; a kill between the two
 * renames (two metadata operations) leaves the old copy, which the next report puts back first.
 *
 * <p>A metrics folder is ours when it holds only what a report writes: {@code task=...} folders and
 * names starting with '_' or '.' (Spark's {@code _SUCCESS} and checksums). Any other folder there (a
 * user's own files) is refused, naming what it holds, and left untouched.
 */
final class MetricsFolder {
    static final String NEW_PREFIX = ".metrics.new-", OLD_PREFIX = ".metrics.old-";

    /** The folder at the metrics path holds files a report did not write. */
    static final class NotOursException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        NotOursException(Path metrics, List<String> foreign) {
            super(metrics + " holds " + String.join(", ", foreign) + ", which a report did not write: move it elsewhere"
                    + " (the report writes its metrics there). Nothing was changed.");
        }
    }

    private MetricsFolder() {
    }

    /** Writes new metrics with {@code writer} (given the folder to write into, which must not exist yet) and swaps them in. */
    static void replace(Path metrics, Configuration conf, Consumer<Path> writer) {
        try {
            FileSystem fs = metrics.getFileSystem(conf);
            Path parent = metrics.getParent();
            restoreInterruptedSwap(fs, metrics);
            if (fs.exists(metrics)) checkOurs(fs, metrics);
            String id = UUID.randomUUID().toString();
            Path fresh = new Path(parent, NEW_PREFIX + id);
            Path old = new Path(parent, OLD_PREFIX + id);
            try {
                writer.accept(fresh);
            } catch (RuntimeException e) {
                fs.delete(fresh, true);
                throw e;
            }
            boolean hadOld = fs.exists(metrics);
            if (hadOld && !fs.rename(metrics, old)) throw new IOException("cannot move " + metrics + " to " + old);
            if (!fs.rename(fresh, metrics)) {
                if (hadOld) fs.rename(old, metrics);
                throw new IOException("cannot move " + fresh + " to " + metrics);
            }
            if (hadOld) fs.delete(old, true);
            deleteLeftovers(fs, parent, NEW_PREFIX);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the metrics to " + metrics + ": " + e.getMessage(), e);
        }
    }

    /** A swap killed after moving the old metrics away and before moving the new ones in: the old ones go back. */
    private static void restoreInterruptedSwap(FileSystem fs, Path metrics) throws IOException {
        if (fs.exists(metrics)) {
            deleteLeftovers(fs, metrics.getParent(), OLD_PREFIX);
            return;
        }
        FileStatus[] old = fs.globStatus(new Path(metrics.getParent(), OLD_PREFIX + "*"));
        if (old != null && old.length > 0) fs.rename(old[0].getPath(), metrics);
    }

    private static void deleteLeftovers(FileSystem fs, Path parent, String prefix) throws IOException {
        FileStatus[] leftovers = fs.globStatus(new Path(parent, prefix + "*"));
        if (leftovers != null) for (FileStatus s : leftovers) fs.delete(s.getPath(), true);
    }

    private static void checkOurs(FileSystem fs, Path metrics) throws IOException {
        FileStatus status = fs.getFileStatus(metrics);
        if (!status.isDirectory()) throw new NotOursException(metrics, List.of("a file, not a folder"));
        List<String> foreign = Arrays.stream(fs.listStatus(metrics))
                .filter(s -> !(s.isDirectory() && s.getPath().getName().startsWith("task=")))
                .map(s -> s.getPath().getName())
                .filter(name -> !name.startsWith("_") && !name.startsWith("."))
                .sorted().toList();
        if (!foreign.isEmpty()) throw new NotOursException(metrics, foreign);
    }
}
