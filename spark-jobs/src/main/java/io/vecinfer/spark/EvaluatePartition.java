package io.vecinfer.spark;

import io.vecinfer.eval.task.Cell;
import io.vecinfer.eval.task.SampleResult;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One Spark task of an evaluation: runs its work items (config_hash, sample_id), cell by cell, on the
 * executor's shared {@link io.vecinfer.eval.task.CellRunner}, and commits each cell's finished rows as
 * one Parquet file (see {@link SampleFileWriter}). Returns one {@link Committed} per file.
 */
public final class EvaluatePartition implements FlatMapFunction<Iterator<WorkItem>, EvaluatePartition.Committed> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(EvaluatePartition.class);

    /** What a task reports back per committed file. */
    public record Committed(String configHash, int samples, String executorId, String gpuAddress, String file) implements java.io.Serializable {
    }

    private final Map<String, String> cellJsonByHash;
    private final String runnerClass;
    private final String backend;
    private final String samplesUri;

    /** @param backend the sweep's backend: cpu, or cuda (the task's GPU; the CPU where a task has none) */
    public EvaluatePartition(Map<String, String> cellJsonByHash, String runnerClass, String backend, Path samples) {
        this.cellJsonByHash = new LinkedHashMap<>(cellJsonByHash);
        this.runnerClass = runnerClass;
        this.backend = backend;
        this.samplesUri = samples.toString();
    }

    /** Items come in the driver's order, so that each cell's items are together. */
    @Override
    public Iterator<Committed> call(Iterator<WorkItem> items) {
        Map<String, List<String>> idsByCell = new LinkedHashMap<>();
        items.forEachRemaining(item -> idsByCell.computeIfAbsent(item.configHash(), h -> new ArrayList<>()).add(item.sampleId()));

        ResourceBinding binding = ResourceBinding.ofCurrentTask();
        String runner = Runners.forTask(runnerClass, backend, binding);
        Configuration conf = new Configuration();
        String codeVersion = CodeVersion.get();
        List<Committed> progress = new ArrayList<>();
        for (Map.Entry<String, List<String>> entry : idsByCell.entrySet()) {
            String hash = entry.getKey();
            Cell cell = CellCodec.fromJson(cellJsonByHash.get(hash));
            List<String> ids = entry.getValue();
            List<SampleResult> results = Runners.withShared(runner, r -> r.run(cell, ids));
            checkAnswers(hash, ids, results);

            Instant now = Instant.now();
            List<Map<String, Object>> rows = new ArrayList<>(results.size());
            for (SampleResult result : results) rows.add(SampleRows.of(cell, result, binding, codeVersion, now));
            Path file = SampleFileWriter.commit(OutputLayout.cellDirectory(new Path(samplesUri), hash), rows, conf);
            LOG.info("cell {} ({} / {} / ctx {}): committed {} samples on executor {} gpu {}",
                    hash, cell.method(), cell.task(), cell.contextLength(), rows.size(), binding.executorId(), binding.gpuAddress());
            progress.add(new Committed(hash, rows.size(), binding.executorId(), binding.gpuAddress(), file.getName()));
        }
        return progress.iterator();
    }

    private static void checkAnswers(String hash, List<String> ids, List<SampleResult> results) {
        List<String> answered = results.stream().map(SampleResult::sampleId).toList();
        if (!answered.equals(ids)) {
            throw new IllegalStateException("cell " + hash + ": the runner answered " + answered + " for " + ids);
        }
    }
}
