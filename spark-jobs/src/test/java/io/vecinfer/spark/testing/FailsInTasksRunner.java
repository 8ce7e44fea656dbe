package io.vecinfer.spark.testing;

import io.vecinfer.eval.task.Cell;
import io.vecinfer.eval.task.CellRunner;
import io.vecinfer.eval.task.SampleResult;
import org.apache.spark.TaskContext;

import java.util.List;

/** A runner the driver can make (to list samples) but no task can: what a missing native library on the executors looks like. */
public final class FailsInTasksRunner implements CellRunner {
    public static final String MESSAGE = "libvecinfer-test.so: cannot open shared object file (a stand-in)";
    private final HashCellRunner results = new HashCellRunner();

    public FailsInTasksRunner() {
        if (TaskContext.get() != null) throw new UnsatisfiedLinkError(MESSAGE);
    }

    @Override
    public List<String> sampleIds(Cell cell, int limit) {
        return results.sampleIds(cell, limit);
    }

    @Override
    public List<SampleResult> run(Cell cell, List<String> sampleIds) {
        return results.run(cell, sampleIds);
    }

    @Override
    public void close() {
    }
}
