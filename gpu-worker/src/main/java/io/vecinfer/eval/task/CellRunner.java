package io.vecinfer.eval.task;

import java.util.List;

/**
 * Runs the samples of sweep cells on one worker (a Spark executor or a plain JVM). An implementation
 * keeps loaded models and codebooks for its lifetime, so a worker loads each once.
 */
public interface CellRunner extends SampleCatalog {

    /** Runs the given samples of one cell, in batches of cell.batchSize(); results in the order of ids. */
    List<SampleResult> run(Cell cell, List<String> sampleIds);

    @Override
    void close();
}
