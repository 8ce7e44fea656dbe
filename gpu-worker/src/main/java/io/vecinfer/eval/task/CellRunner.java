package io.vecinfer.eval.task;

import java.util.List;

/**
 * Runs the samples of sweep cells on one worker (a Spark executor or a plain JVM). An implementation
 * keeps loaded models and codebooks for its lifetime, so a worker loads each once.
 */
public interface CellRunner extends SampleCatalog {

    /**
     * Runs the given samples of one cell, in batches of cell.batch() (auto: as many as the device holds); results in the
     * order of ids, each with the size and wall time of the batch it ran in ({@link SampleResult#inBatch}).
     */
    List<SampleResult> run(Cell cell, List<String> sampleIds);

    @Override
    void close();
}
