package io.vecinfer.spark;

import io.vecinfer.eval.task.SampleCatalog;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.LongAccumulator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The evaluate job: reads a sweep, checks it, expands it into (cell, sample) work items, drops the ones
 * already committed under {@code <out>/samples/}, and runs the rest spread over the executors.
 *
 * <p>Resume: every task commits its rows itself, file by file, as each cell's part of the task finishes
 * ({@link SampleFileWriter}); the driver's only state is what is committed on disk. So a rerun after any
 * failure (lost executors, a killed driver, a rerun with fewer or more executors) computes exactly the
 * missing (config_hash, sample_id) pairs. Spark's own file commit protocol was not used because it
 * publishes a job's output only when the whole job ends: a long sweep would show nothing until the
 * end, or would have to run as many small jobs, each waiting for its slowest task.
 *
 * <p>Each cell runs as a Spark job of its own, named by the cell in the Spark UI, all submitted at once
 * ({@link CellJobs}); the driver logs the sweep's progress at a steady interval ({@link SweepProgress},
 * {@code spark.vecinfer.progressIntervalSeconds}).
 *
 * <p>VQ cells whose sweep gives no codebook use the file {@link Calibrate} fitted for them under
 * {@code <out>/codebooks/} when there is one, and calibrate on demand in the runner otherwise.
 *
 * <p>Usage: {@code spark-submit --class io.vecinfer.spark.Evaluate spark-jobs.jar SWEEP_FILE [--output DIR]}.
 * The runner classes come from {@code spark.vecinfer.cellRunner} and {@code spark.vecinfer.cudaCellRunner}
 * (default the worker's CPU and CUDA runners; see {@link Runners}).
 *
 * <p>A cell that fails (a GPU out of memory for its batch) is reported with its error after the other
 * cells are done, and leaves no rows; the job then exits non-zero. See {@link EvaluatePartition}.
 */
public final class Evaluate {
    private static final Logger LOG = LoggerFactory.getLogger(Evaluate.class);

    /**
     * @param output        the qualified output folder
     * @param cells         cells in the sweep
     * @param samples       samples in the sweep
     * @param alreadyDone   of those, committed before this run
     * @param committedNow  committed by this run (more than the missing ones only if tasks were retried after committing)
     * @param failedCells   cells whose samples failed in this run, each naming the cell and the error; a rerun retries them
     * @param recomputedBecause cells computed anew although the output had a cell with their coordinates, by
     *                      config hash: what changed since (the model's files, a dataset file, the code...)
     */
    public record Outcome(Path output, int cells, long samples, long alreadyDone, long committedNow,
                          List<EvaluatePartition.CellFailure> failedCells, Map<String, String> recomputedBecause) {
        public boolean complete() {
            return failedCells.isEmpty();
        }
    }

    private Evaluate() {
    }

    public static void main(String[] args) {
        Launcher.runSweepJob(args, "io.vecinfer.spark.Evaluate", "vecinfer-evaluate", (spark, sweep) -> {
            Outcome outcome = run(spark, sweep);
            if (!outcome.complete()) throw new CellsFailedException(outcome.failedCells());
        });
    }

    /** How often the driver logs the sweep's progress: {@code spark.vecinfer.progressIntervalSeconds}, default 10. */
    static final String PROGRESS_INTERVAL_KEY = "spark.vecinfer.progressIntervalSeconds";

    private static Duration progressInterval(SparkSession spark) {
        String value = spark.conf().get(PROGRESS_INTERVAL_KEY, "10");
        try {
            double seconds = Double.parseDouble(value);
            if (seconds > 0) return Duration.ofMillis(Math.round(seconds * 1000));
        } catch (NumberFormatException e) {
            // said below
        }
        throw new IllegalArgumentException(PROGRESS_INTERVAL_KEY + " must be a positive number of seconds, is '" + value + "'");
    }

    /** Runs the sweep on the GPUs and runners that the session's Spark conf gives. */
    public static Outcome run(SparkSession spark, SweepFile sweep) {
        return run(spark, sweep, GpuPresence.of(spark.sparkContext().getConf()), Runners.Classes.of(spark.sparkContext().getConf()));
    }

    static Outcome run(SparkSession spark, SweepFile sweep, GpuPresence gpus, Runners.Classes runnerClasses) {
        Configuration hadoopConf = spark.sparkContext().hadoopConfiguration();
        Map<String, PlannedCell> byHash = new LinkedHashMap<>();
        Map<String, String> recomputedBecause = new LinkedHashMap<>();
        Map<String, Map<String, Object>> identities = new LinkedHashMap<>();
        List<WorkItem> todo = new ArrayList<>();
        int total = 0;
        int resumedCells = 0;
        Path output;
        SweepSpec spec;
        Path samples;
        try (SampleCatalog catalog = Runners.catalog(runnerClasses)) {
            // Every problem, the tasks' contexts on each model included, before any work.
            SweepValidator.validate(sweep, gpus, hadoopConf, sweep.spec().calibration() != null, catalog);
            output = OutputLayout.qualify(sweep.spec().output(), hadoopConf);
            // Codebooks fitted ahead by Calibrate, where present; other VQ cells calibrate on demand in the runner.
            spec = CalibratedCodebooks.withExisting(sweep.spec(), output);
            samples = OutputLayout.samples(output);
            List<PlannedCell> cells = Grid.expand(spec);
            // The cells of this sweep, which the report covers by default.
            SweepRecord.write(sweep, cells.stream().map(PlannedCell::configHash).distinct().toList(), output, hadoopConf);
            Set<String> done = SampleStore.committedKeys(spark, samples);
            List<Map<String, Object>> earlierCells = CellManifests.readAll(samples, hadoopConf);
            for (PlannedCell cell : cells) {
                // The sweep lists a value twice, or two spellings of one method.
                if (byHash.putIfAbsent(cell.configHash(), cell) != null) continue;
                List<String> ids = catalog.sampleIds(cell.cell(), cell.limit());
                List<WorkItem> left = ids.stream().map(id -> new WorkItem(cell.configHash(), id))
                        .filter(item -> !done.contains(SampleStore.key(item.configHash(), item.sampleId()))).toList();
                String described = EvaluatePartition.describe(cell.configHash(), cell.cell());
                LOG.info("{}: {} done, {} left", described, ids.size() - left.size(), left.size());
                if (!left.isEmpty()) {
                    Map<String, Object> identity = cell.identity();
                    identities.put(cell.configHash(), identity);
                    String why = left.size() == ids.size() ? CellManifests.whyNew(identity, cell.cell().model(), earlierCells) : null;
                    if (why != null) {
                        recomputedBecause.put(cell.configHash(), why);
                        LOG.warn("{}: computed anew, since {}", described, why);
                    }
                    CellManifests.write(samples, cell.configHash(), identity, cell.cell().model(), hadoopConf);
                }
                total += ids.size();
                if (left.isEmpty()) resumedCells++;
                todo.addAll(left);
            }
        }
        // Work on one model stays together, so an executor loads few models and writes few files.
        todo.sort(Comparator.comparing((WorkItem item) -> byHash.get(item.configHash()).modelRank()));
        if (todo.isEmpty()) {
            LOG.info("all {} samples of {} cells are committed under {}: nothing to run", total, byHash.size(), samples);
            FailedCells.record(output, byHash.keySet(), List.of(), hadoopConf);
            return new Outcome(output, byHash.size(), total, total, 0, List.of(), recomputedBecause);
        }

        Map<String, String> cellJson = new LinkedHashMap<>();
        todo.stream().map(WorkItem::configHash).distinct().forEach(hash -> cellJson.put(hash, CellCodec.toJson(byHash.get(hash).cell())));
        Map<String, String> modelIds = new LinkedHashMap<>();
        cellJson.keySet().forEach(hash -> modelIds.put(hash, String.valueOf(identities.get(hash).get("model"))));
        // One job per cell, its samples cut into contiguous slices of samplesPerTask (whole batches), one per task: no
        // shuffle. Progress: the driver's log at a steady interval (SweepProgress); each task also logs
        // every file it commits (in the executor logs).
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        LongAccumulator committedSoFar = jsc.sc().longAccumulator("vecinfer samples committed");
        Map<String, String> names = new LinkedHashMap<>();
        cellJson.keySet().forEach(hash -> names.put(hash, EvaluatePartition.describe(hash, byHash.get(hash).cell())));
        Map<String, Integer> slices = new LinkedHashMap<>();
        cellJson.keySet().forEach(hash -> slices.put(hash, CellJobs.sliceSize(spec.samplesPerTask(), byHash.get(hash).cell().batch())));
        List<EvaluatePartition.TaskReport> reports;
        try (SweepProgress progress = new SweepProgress(byHash.size(), total, resumedCells, total - todo.size(), committedSoFar::value,
                System::nanoTime, LOG::info).start(progressInterval(spark))) {
            reports = CellJobs.run(jsc, todo, slices, new EvaluatePartition(cellJson, modelIds, runnerClasses, spec.backend(), samples),
                    names, progress, committedSoFar);
        }
        List<EvaluatePartition.Committed> committed = reports.stream().flatMap(r -> r.committed().stream()).toList();
        // A cell spread over several tasks fails in each of them, the same way: report it once.
        Map<String, EvaluatePartition.CellFailure> failedByHash = new LinkedHashMap<>();
        reports.stream().flatMap(r -> r.failed().stream()).forEach(f -> failedByHash.merge(f.configHash(), f,
                (a, b) -> new EvaluatePartition.CellFailure(a.configHash(), a.samples() + b.samples(), a.executorId(), a.gpuAddress(), a.error())));
        List<EvaluatePartition.CellFailure> failed = List.copyOf(failedByHash.values());
        long written = committed.stream().mapToLong(EvaluatePartition.Committed::samples).sum();
        long alreadyDone = total - todo.size();
        LOG.info("committed {} samples in {} files; {} of {} samples of {} cells are now done (output {})",
                written, committed.size(), alreadyDone + written, total, byHash.size(), output);
        if (!failed.isEmpty()) LOG.warn("{} cell(s) failed; recorded in {}", failed.size(), FailedCells.file(output));
        FailedCells.record(output, byHash.keySet(), failed, hadoopConf);
        return new Outcome(output, byHash.size(), total, alreadyDone, written, failed, recomputedBecause);
    }
}
