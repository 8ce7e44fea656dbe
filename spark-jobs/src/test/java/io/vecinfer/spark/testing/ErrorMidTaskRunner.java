package io.vecinfer.spark.testing;

import io.vecinfer.eval.task.Cell;
import io.vecinfer.eval.task.CellRunner;
import io.vecinfer.eval.task.SampleResult;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@link HashCellRunner}'s results, except that an {@code fp32} cell dies with an Error (as a JVM out of
 * heap does), which fails the whole task after its earlier cells committed, so Spark retries the task.
 * Counts the runs of each method, to show what a retry computes again.
 */
public final class ErrorMidTaskRunner implements CellRunner {
    public static final Map<String, AtomicInteger> RUNS = new ConcurrentHashMap<>();
    private final HashCellRunner results = new HashCellRunner();

    @Override
    public List<String> sampleIds(Cell cell, int limit) {
        return results.sampleIds(cell, limit);
    }

    @Override
    public List<SampleResult> run(Cell cell, List<String> sampleIds) {
        RUNS.computeIfAbsent(cell.method(), m -> new AtomicInteger()).incrementAndGet();
        if (cell.method().equals("fp32")) throw new OutOfMemoryError("Java heap space (a stand-in, thrown by " + getClass().getSimpleName() + ")");
        return results.run(cell, sampleIds);
    }

    @Override
    public void close() {
    }
}
