package io.vecinfer.spark;

import io.vecinfer.eval.task.BatchSize;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.util.LongAccumulator;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Runs a sweep's work as one Spark job per cell, so that the Spark UI names each job and stage by its cell,
 * and the driver knows when a cell is done. The jobs are submitted together from a pool of threads, enough
 * of them to keep every executor slot busy (the scheduler runs the jobs' tasks in submission order), so no
 * job waits for another's slowest task.
 */
final class CellJobs {
    /** The job group of a run: cancelled whole when a job fails, as the one job of all cells was. */
    static final String JOB_GROUP = "vecinfer-evaluate";

    private CellJobs() {
    }

    /**
     * The items of a cell one task runs: {@code samplesPerTask}, or the batch if larger, rounded up to whole batches,
     * so that a slice never cuts a batch (the runner would silently run the cut part as a smaller one). An auto batch
     * is cut from the slice by the device, so its slice is {@code samplesPerTask}.
     */
    static int sliceSize(int samplesPerTask, BatchSize batch) {
        if (batch.auto()) return samplesPerTask;
        int b = batch.sequences();
        return (Math.max(samplesPerTask, b) + b - 1) / b * b;
    }

    /** A cell's items cut into contiguous slices of {@code size}, the last one shorter. */
    static List<List<WorkItem>> slices(List<WorkItem> items, int size) {
        List<List<WorkItem>> slices = new ArrayList<>();
        for (int from = 0; from < items.size(); from += size) slices.add(new ArrayList<>(items.subList(from, Math.min(items.size(), from + size))));
        return slices;
    }

    /**
     * @param todo      the work in the order to run it, each cell's items together
     * @param sliceSize each cell's items per task ({@link #sliceSize}), by config hash
     * @param describe  a cell as the UI names it, by config hash
     */
    static List<EvaluatePartition.TaskReport> run(JavaSparkContext jsc, List<WorkItem> todo, Map<String, Integer> sliceSize, EvaluatePartition partition,
                                                  Map<String, String> describe, SweepProgress progress, LongAccumulator committed) {
        Map<String, List<WorkItem>> byCell = new LinkedHashMap<>();
        todo.forEach(item -> byCell.computeIfAbsent(item.configHash(), h -> new ArrayList<>()).add(item));
        int threads = Math.max(4, Math.min(byCell.size(), 2 * jsc.defaultParallelism()));
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "vecinfer-cell-jobs");
            t.setDaemon(true);
            return t;
        });
        List<Future<List<EvaluatePartition.TaskReport>>> jobs = new ArrayList<>();
        try {
            byCell.forEach((hash, items) -> jobs.add(pool.submit(() -> {
                String name = describe.get(hash);
                jsc.setJobGroup(JOB_GROUP, name, false);
                jsc.setCallSite(name); // the stage's name in the UI
                // One slice per partition, exactly: parallelize(items, n) would balance the partitions and cut batches.
                List<List<WorkItem>> slices = slices(items, sliceSize.get(hash));
                List<EvaluatePartition.TaskReport> reports = jsc.parallelize(slices, slices.size()).setName(name)
                        .flatMap(List::iterator)
                        .mapPartitions(partition)
                        .map(report -> {
                            committed.add(report.committed().stream().mapToLong(EvaluatePartition.Committed::samples).sum());
                            return report;
                        })
                        .collect();
                long failed = reports.stream().flatMap(r -> r.failed().stream()).mapToLong(EvaluatePartition.CellFailure::samples).sum();
                if (failed == 0) progress.cellFinished(hash);
                else progress.cellFailed(hash, failed);
                return reports;
            })));
            List<EvaluatePartition.TaskReport> reports = new ArrayList<>();
            for (Future<List<EvaluatePartition.TaskReport>> job : jobs) reports.addAll(job.get());
            return reports;
        } catch (ExecutionException e) {
            jsc.cancelJobGroup(JOB_GROUP);
            if (e.getCause() instanceof RuntimeException r) throw r;
            // A job's failure (a task failed past its retries) comes as Spark's checked SparkException.
            throw new IllegalStateException(e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            jsc.cancelJobGroup(JOB_GROUP);
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while the sweep's jobs ran", e);
        } finally {
            pool.shutdownNow();
        }
    }
}
