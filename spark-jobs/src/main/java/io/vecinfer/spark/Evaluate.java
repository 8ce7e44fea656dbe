package io.vecinfer.spark;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.apache.spark.sql.functions.col;

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
 * <p>Usage: {@code spark-submit --class io.vecinfer.spark.Evaluate spark-jobs.jar SWEEP_FILE [--output DIR]}.
 * The runner class comes from {@code spark.vecinfer.cellRunner} (default the worker's CPU runner).
 */
public final class Evaluate {
    private static final Logger LOG = LoggerFactory.getLogger(Evaluate.class);

    static final StructType WORK = DataTypes.createStructType(List.of(
            DataTypes.createStructField("model_rank", DataTypes.IntegerType, false),
            DataTypes.createStructField("config_hash", DataTypes.StringType, false),
            DataTypes.createStructField("ordinal", DataTypes.IntegerType, false),
            DataTypes.createStructField("sample_id", DataTypes.StringType, false)));

    /**
     * @param output        the qualified output folder
     * @param cells         cells in the sweep
     * @param samples       samples in the sweep
     * @param alreadyDone   of those, committed before this run
     * @param committedNow  committed by this run (more than the missing ones only if tasks were retried after committing)
     */
    public record Outcome(Path output, int cells, long samples, long alreadyDone, long committedNow) {
    }

    private Evaluate() {
    }

    public static void main(String[] args) {
        SweepFile sweep = LauncherArgs.sweep(args, "io.vecinfer.spark.Evaluate");
        SparkSession spark = SparkSession.builder().appName("vecinfer-evaluate").getOrCreate();
        try {
            run(spark, sweep);
        } finally {
            spark.stop();
        }
    }

    public static Outcome run(SparkSession spark, SweepFile sweep) {
        Configuration hadoopConf = spark.sparkContext().hadoopConfiguration();
        SweepValidator.validate(sweep, GpuPresence.of(spark.sparkContext().getConf()), hadoopConf);
        SweepSpec spec = sweep.spec();
        Path output = OutputLayout.qualify(spec.output(), hadoopConf);
        Path samples = OutputLayout.samples(output);
        String runnerClass = spark.sparkContext().getConf().get(Runners.CONF_KEY, Runners.DEFAULT_CLASS);

        List<PlannedCell> cells = Grid.expand(spec);
        Map<String, PlannedCell> byHash = new LinkedHashMap<>();
        Map<String, Integer> totals = new HashMap<>();
        List<Row> work = new ArrayList<>();
        for (PlannedCell cell : cells) {
            if (byHash.putIfAbsent(cell.configHash(), cell) != null) continue; // the sweep lists a value twice
            List<String> ids = Runners.sampleIds(runnerClass, cell);
            totals.put(cell.configHash(), ids.size());
            for (int i = 0; i < ids.size(); i++) work.add(RowFactory.create(cell.modelRank(), cell.configHash(), i, ids.get(i)));
        }

        Dataset<Row> done = SampleStore.committed(spark, samples).select("config_hash", "sample_id");
        Dataset<Row> todo = spark.createDataFrame(work, WORK)
                .join(done, scala.jdk.javaapi.CollectionConverters.asScala(List.of("config_hash", "sample_id")).toSeq(), "left_anti")
                .cache();
        Map<String, Long> left = countByCell(todo);
        long missing = left.values().stream().mapToLong(Long::longValue).sum();
        for (PlannedCell cell : byHash.values()) {
            long l = left.getOrDefault(cell.configHash(), 0L);
            LOG.info("cell {} ({} / {} / ctx {} / batch {} / seed {}): {} done, {} left",
                    cell.configHash(), cell.cell().method(), cell.cell().task(), cell.cell().contextLength(),
                    cell.cell().batchSize(), cell.cell().seed(), totals.get(cell.configHash()) - l, l);
        }
        Outcome outcome = new Outcome(output, byHash.size(), work.size(), work.size() - missing, 0);
        if (missing == 0) {
            LOG.info("all {} samples of {} cells are committed under {}: nothing to run", work.size(), byHash.size(), samples);
            todo.unpersist();
            return outcome;
        }

        Map<String, String> cellJson = new LinkedHashMap<>();
        left.keySet().forEach(hash -> cellJson.put(hash, CellCodec.toJson(byHash.get(hash).cell())));
        int tasks = (int) Math.min(missing, (missing + spec.samplesPerTask() - 1) / spec.samplesPerTask());
        // Progress while it runs: each task logs every file it commits (executor logs).
        List<Row> progress;
        try {
            // Range partitioning keeps a model's cells, and a cell's samples, together in few tasks,
            // so an executor loads few models and writes few files.
            progress = todo.repartitionByRange(tasks, col("model_rank"), col("config_hash"), col("ordinal"))
                    .sortWithinPartitions("model_rank", "config_hash", "ordinal")
                    .mapPartitions(new EvaluatePartition(cellJson, runnerClass, samples), Encoders.row(EvaluatePartition.PROGRESS))
                    .collectAsList();
        } finally {
            todo.unpersist();
        }
        long committed = progress.stream().mapToLong(r -> r.getInt(1)).sum();
        LOG.info("committed {} samples in {} files; {} of {} samples of {} cells are now done (output {})",
                committed, progress.size(), outcome.alreadyDone() + missing, work.size(), byHash.size(), output);
        return new Outcome(output, byHash.size(), work.size(), outcome.alreadyDone(), committed);
    }

    private static Map<String, Long> countByCell(Dataset<Row> items) {
        Map<String, Long> counts = new HashMap<>();
        for (Row row : items.groupBy("config_hash").count().collectAsList()) counts.put(row.getString(0), row.getLong(1));
        return counts;
    }
}
