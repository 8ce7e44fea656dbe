package io.vecinfer.spark;

import io.vecinfer.spark.testing.HashCellRunner;
import io.vecinfer.spark.testing.LocalSpark;
import io.vecinfer.spark.testing.StandaloneCluster;
import io.vecinfer.spark.testing.Sweeps;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Evaluate on a real standalone cluster: a master and two workers (GPU addresses 0 and 1) as separate
 * JVMs, drivers submitted in client mode through SparkSubmit.
 */
@Tag("cluster")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class StandaloneClusterTest {
    private static final List<String> METHODS = List.of("fp16", "kivi:k=b2g32,v=b2g32,r=32");
    private static final int SAMPLES = 18;

    private static Path dir;
    private static StandaloneCluster cluster;

    /** Under target/, not a JUnit temp dir: the logs of master, workers, executors and drivers stay for a look after a failure. */
    @BeforeAll
    static void startCluster() throws Exception {
        Path target = Path.of(StandaloneClusterTest.class.getProtectionDomain().getCodeSource().getLocation().toURI()).getParent();
        dir = Files.createTempDirectory(Files.createDirectories(target.resolve("standalone-cluster")), "run-");
        cluster = new StandaloneCluster(dir.resolve("sparkhome"), 2);
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) cluster.close();
    }

    private static List<String> conf(int executors, long sleepMs, String... more) {
        List<String> conf = new ArrayList<>(List.of(
                "spark.executor.cores=1", "spark.cores.max=" + executors, "spark.executor.memory=512m",
                "spark.executor.resource.gpu.amount=1", "spark.task.resource.gpu.amount=1",
                "spark.ui.enabled=false",
                // Start only once every executor asked for is there, so that work spreads over them.
                "spark.scheduler.minRegisteredResourcesRatio=1.0", "spark.scheduler.maxRegisteredResourcesWaitingTime=60s",
                Runners.CONF_KEY + "=" + HashCellRunner.class.getName(),
                "spark.executor.extraJavaOptions=-Dvecinfer.test.sleepMs=" + sleepMs));
        conf.addAll(List.of(more));
        return conf;
    }

    private static int evaluate(String name, Path output, List<String> conf) throws Exception {
        Path sweep = Sweeps.write(dir, name + ".json", METHODS, 5, 4, output);
        Process driver = cluster.submit(name, Evaluate.class.getName(), conf, sweep.toString());
        assertTrue(driver.waitFor(120, TimeUnit.SECONDS), name + " did not finish; see " + cluster.log(name));
        return driver.exitValue();
    }

    private static Map<String, Map<String, Double>> scores(Path output) {
        Map<String, Map<String, Double>> scores = new TreeMap<>();
        for (Row r : LocalSpark.rawSamples(output).collectAsList()) scores.put(r.getAs("config_hash") + "/" + r.getAs("sample_id"), r.getJavaMap(r.fieldIndex("scores")));
        return scores;
    }

    @Test
    @Order(1)
    void twoWorkersShareTheSweepWithTheirOwnGpus() throws Exception {
        Path out = dir.resolve("two-workers");
        assertEquals(0, evaluate("two-workers", out, conf(2, 150)), Files.readString(cluster.log("two-workers")));
        LocalEvaluateTest.assertExactlyOnceWithRightScores(out, SAMPLES);
        List<Row> rows = LocalSpark.rawSamples(out).collectAsList();
        Set<String> executors = rows.stream().map(r -> (String) r.getAs("executor_id")).collect(Collectors.toSet());
        Map<String, Set<String>> gpusByExecutor = rows.stream().collect(Collectors.groupingBy(r -> r.getAs("executor_id"),
                Collectors.mapping(r -> (String) r.getAs("gpu_address"), Collectors.toSet())));
        assertEquals(2, executors.size(), "executors: " + gpusByExecutor);
        assertEquals(Set.of("0", "1"), gpusByExecutor.values().stream().flatMap(Set::stream).collect(Collectors.toSet()), gpusByExecutor.toString());
        gpusByExecutor.values().forEach(gpus -> assertEquals(1, gpus.size(), "one GPU per executor: " + gpusByExecutor));
    }

    @Test
    @Order(2)
    void aKilledExecutorLosesNothingOnRerun() throws Exception {
        Path out = dir.resolve("fault");
        Path sweep = Sweeps.write(dir, "fault.json", METHODS, 5, 4, out);
        // maxFailures=1, so that losing a running task fails the job and the rerun has a gap to fill. Spark may also
        // outlive the kill (the executor was between tasks, or its lost tasks went to the replacement executor the
        // worker starts): either way the rows after the rerun must be exactly the sweep's, none lost, none twice.
        Process driver = cluster.submit("fault", Evaluate.class.getName(), conf(2, 1500, "spark.task.maxFailures=1"), sweep.toString());
        awaitFirstCommit(out, Duration.ofSeconds(90));
        assertEquals(1, cluster.killExecutorsOf(1), "executor of worker 1");
        assertTrue(driver.waitFor(120, TimeUnit.SECONDS));
        long before = LocalSpark.sampleFiles(out).isEmpty() ? 0 : LocalSpark.rawSamples(out).count();
        if (driver.exitValue() == 0) {
            // Spark retried what the kill lost: the first run alone holds every row once.
            LocalEvaluateTest.assertExactlyOnceWithRightScores(out, SAMPLES);
        } else {
            // The failed run left some rows, none of them twice; the rerun fills the gap.
            long distinct = before == 0 ? 0 : LocalSpark.rawSamples(out).select("config_hash", "sample_id").distinct().count();
            assertEquals(before, distinct, "rows committed twice before the rerun");
            assertTrue(before <= SAMPLES, "committed before the rerun: " + before);
        }
        assertEquals(0, evaluate("fault-rerun", out, conf(2, 0)), Files.readString(cluster.log("fault-rerun")));
        LocalEvaluateTest.assertExactlyOnceWithRightScores(out, SAMPLES);
    }

    @Test
    @Order(3)
    void oneWorkerGivesTheScoresOfTwo() throws Exception {
        Path out = dir.resolve("one-worker");
        assertEquals(0, evaluate("one-worker", out, conf(1, 0)), Files.readString(cluster.log("one-worker")));
        LocalEvaluateTest.assertExactlyOnceWithRightScores(out, SAMPLES);
        assertEquals(1, LocalSpark.rawSamples(out).select("executor_id").distinct().count());
        assertEquals(scores(dir.resolve("two-workers")), scores(out));
    }

    private static void awaitFirstCommit(Path out, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.isDirectory(out.resolve("samples")) && !LocalSpark.sampleFiles(out).isEmpty()) return;
            Thread.sleep(100);
        }
        throw new IllegalStateException("no sample committed under " + out + " within " + timeout);
    }
}
