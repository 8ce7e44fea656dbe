package io.vecinfer.spark;

import io.vecinfer.eval.task.Cell;
import io.vecinfer.eval.task.SampleResult;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Serializable;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One Spark task of an evaluation: runs its work items (config_hash, sample_id), cell by cell, on the
 * executor's shared {@link io.vecinfer.eval.task.CellRunner} for the task's device, and commits each
 * cell's finished rows as one Parquet file (see {@link SampleFileWriter}). Returns one
 * {@link TaskReport}: the files it committed and the cells that failed.
 *
 * <p>A cell whose run throws (a GPU out of memory for its batch, a codebook that does not fit) is that
 * cell's failure, not the task's: it commits nothing, the task goes on with its other cells, and the
 * driver reports it once the rest of the sweep is done. Cells are deterministic, so a Spark retry of
 * the task would fail the same way and only delay the other cells; a rerun of the sweep retries the
 * failed cells, since they have no rows. What fails the task itself is what a retry elsewhere can
 * fix: a runner that cannot be created on this executor, a lost or killed task.
 *
 * <p>A retried task does not compute or commit again what its earlier attempts committed: each cell's
 * samples of a task go to a file named by the cell and the sample ids ({@link #fileName}), which the
 * retry finds and keeps.
 */
public final class EvaluatePartition implements FlatMapFunction<Iterator<WorkItem>, EvaluatePartition.TaskReport> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(EvaluatePartition.class);

    /** A file a task committed. */
    public record Committed(String configHash, int samples, String executorId, String gpuAddress, String file) implements Serializable {
    }

    /** A cell whose {@code samples} failed in a task; {@code error} names the cell and says what went wrong. */
    public record CellFailure(String configHash, int samples, String executorId, String gpuAddress, String error) implements Serializable {
    }

    /** What one task did. */
    public record TaskReport(List<Committed> committed, List<CellFailure> failed) implements Serializable {
    }

    private final Map<String, String> cellJsonByHash;
    private final Map<String, String> modelIdByHash;
    private final Runners.Classes runnerClasses;
    private final SweepBackend backend;
    private final String samplesUri;

    /**
     * @param modelIdByHash each cell's model identity, which the driver hashed: rows carry it so that the report
     *                      pairs cells by the model's content, not by where it was when each cell ran
     * @param backend       the sweep's backend: cpu, or cuda (the task's GPU; the CPU where a task has none)
     */
    public EvaluatePartition(Map<String, String> cellJsonByHash, Map<String, String> modelIdByHash, Runners.Classes runnerClasses,
                             SweepBackend backend, Path samples) {
        this.cellJsonByHash = new LinkedHashMap<>(cellJsonByHash);
        this.modelIdByHash = new LinkedHashMap<>(modelIdByHash);
        this.runnerClasses = runnerClasses;
        this.backend = backend;
        this.samplesUri = samples.toString();
    }

    /** A cell as logs and errors name it. */
    static String describe(String configHash, Cell cell) {
        return "cell " + configHash + " (" + cell.method() + " / " + cell.task() + " / ctx " + cell.contextLength()
                + " / batch " + cell.batch() + " / seed " + cell.seed() + " on " + cell.model() + ")";
    }

    /** Items come in the driver's order, so that each cell's items are together. */
    @Override
    public Iterator<TaskReport> call(Iterator<WorkItem> items) {
        Map<String, List<String>> idsByCell = new LinkedHashMap<>();
        items.forEachRemaining(item -> idsByCell.computeIfAbsent(item.configHash(), h -> new ArrayList<>()).add(item.sampleId()));

        ResourceBinding binding = ResourceBinding.ofCurrentTask();
        RunnerKey runner = Runners.forTask(runnerClasses, backend, binding);
        Runners.shared(runner); // made now, outside the per-cell handling: a runner this executor cannot make fails the task
        Configuration conf = new Configuration();
        String codeVersion = CodeVersion.get();
        List<Committed> committed = new ArrayList<>();
        List<CellFailure> failed = new ArrayList<>();
        for (Map.Entry<String, List<String>> entry : idsByCell.entrySet()) {
            String hash = entry.getKey();
            Cell cell = CellCodec.fromJson(cellJsonByHash.get(hash));
            List<String> ids = entry.getValue();
            Path cellDirectory = OutputLayout.cellDirectory(new Path(samplesUri), hash);
            String fileName = fileName(hash, ids);
            Path earlier = committedBefore(cellDirectory, fileName, conf);
            if (earlier != null) {
                // An earlier attempt of this task committed these samples and then failed or was lost: keep its file.
                LOG.info("{}: {} samples committed by an earlier attempt of this task, kept", describe(hash, cell), ids.size());
                committed.add(new Committed(hash, ids.size(), binding.executorId(), binding.gpuAddress(), earlier.getName()));
                continue;
            }
            List<SampleResult> results;
            try {
                results = Runners.withShared(runner, r -> r.run(cell, ids));
                checkAnswers(hash, ids, results);
            } catch (RuntimeException e) {
                if (taskKilled()) throw e;
                String error = describe(hash, cell) + " failed on executor " + binding.executorId() + " (" + runner + "): " + e;
                // The message says what failed; the trace only helps a developer, and the driver repeats the message at the end.
                LOG.error(error);
                LOG.debug("stack trace of the failure of cell {}", hash, e);
                failed.add(new CellFailure(hash, ids.size(), binding.executorId(), binding.gpuAddress(), error));
                continue;
            }

            Instant now = Instant.now();
            List<Map<String, Object>> rows = new ArrayList<>(results.size());
            for (SampleResult result : results) rows.add(SampleRows.of(cell, modelIdByHash.get(hash), result, binding, codeVersion, now));
            Path file = SampleFileWriter.commit(cellDirectory, fileName, rows, conf);
            LOG.info("{}: committed {} samples on executor {} gpu {}", describe(hash, cell), rows.size(), binding.executorId(), binding.gpuAddress());
            committed.add(new Committed(hash, rows.size(), binding.executorId(), binding.gpuAddress(), file.getName()));
        }
        return List.of(new TaskReport(committed, failed)).iterator();
    }

    /**
     * The file a task commits a cell's samples as: named by the cell and its sample ids, so that a retry
     * of the task (same items: the driver's list, cut the same way) finds what its earlier attempt committed.
     */
    static String fileName(String configHash, List<String> ids) {
        return "part-" + Hashes.name(configHash + "\n" + String.join("\n", ids)) + ".parquet";
    }

    private static Path committedBefore(Path cellDirectory, String fileName, Configuration conf) {
        Path file = new Path(cellDirectory, fileName);
        try {
            return file.getFileSystem(conf).exists(file) ? file : null;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot look for " + file, e);
        }
    }

    /** A task Spark is killing (speculation, a cancelled job) fails as killed, not as a failed cell. */
    private static boolean taskKilled() {
        TaskContext task = TaskContext.get();
        return task != null && task.isInterrupted();
    }

    private static void checkAnswers(String hash, List<String> ids, List<SampleResult> results) {
        List<String> answered = results.stream().map(SampleResult::sampleId).toList();
        if (!answered.equals(ids)) {
            throw new IllegalStateException("cell " + hash + ": the runner answered " + answered + " for " + ids);
        }
    }
}
