package io.vecinfer.eval.task;

import java.util.List;

/** Lists the samples of sweep cells: what a driver needs to plan the work, without running anything. */
public interface SampleCatalog extends AutoCloseable {

    /** The task's sample ids in their fixed order, at most {@code limit} of them (0 = all). */
    List<String> sampleIds(Cell cell, int limit);

    /** Frees what listing held; most catalogs hold nothing that needs closing. */
    @Override
    default void close() {
    }
}
