package io.vecinfer.spark;

import io.vecinfer.eval.task.Cell;
import io.vecinfer.spark.testing.LocalSpark;
import io.vecinfer.spark.testing.Sweeps;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerStageSubmitted;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** In the Spark UI each of a sweep's jobs, and its stage, is named by its cell. */
class CellJobsTest {
    @TempDir
    Path dir;

    @Test
    void eachCellIsAJobAndAStageNamedByTheCell() throws Exception {
        Set<String> jobs = ConcurrentHashMap.newKeySet(), stages = ConcurrentHashMap.newKeySet();
        SparkListener listener = new SparkListener() {
            @Override
            public void onJobStart(SparkListenerJobStart start) {
                String description = start.properties().getProperty("spark.job.description");
                if (description != null) jobs.add(description);
            }

            @Override
            public void onStageSubmitted(SparkListenerStageSubmitted submitted) {
                stages.add(submitted.stageInfo().name());
            }
        };
        LocalSpark.session().sparkContext().addSparkListener(listener);
        try {
            Evaluate.Outcome outcome = Evaluate.run(LocalSpark.session(),
                    SweepFile.read(Sweeps.write(dir, "s.json", List.of("fp16", "kivi:k=b2g32,v=b2g32,r=32"), 4, 3, dir.resolve("out"))));
            assertEquals(4, outcome.cells());
            assertEquals(14, outcome.committedNow());
            LocalSpark.session().sparkContext().listenerBus().waitUntilEmpty(10_000);
            for (String method : List.of("fp16", "kivi:k=b2g32,v=b2g32,r=32")) {
                for (String task : List.of("perplexity", "passkey")) {
                    Cell cell = new Cell(Sweeps.referenceModel(), method, null, task, task.equals("passkey") ? 512 : 128, 2, 7);
                    String name = EvaluatePartition.describe(CellCodec.configHash(cell), cell);
                    assertTrue(jobs.contains(name), name + " among jobs " + jobs);
                    assertTrue(stages.stream().anyMatch(s -> s.startsWith(name)), name + " among stages " + stages);
                }
            }
        } finally {
            LocalSpark.session().sparkContext().removeSparkListener(listener);
        }
    }
}
