package io.vecinfer.spark;

import io.vecinfer.eval.task.Cell;

import java.util.Map;

/**
 * A cell of the grid with what the driver needs to schedule it.
 *
 * @param cell       what runs
 * @param identity   {@link CellIdentity#of} the cell: what its results depend on, computed once per run
 * @param configHash the hash of that identity ({@link CellCodec#configHash}): the cell's output partition
 * @param limit      samples to run (0 = all the task has)
 * @param modelRank  index of the model in the sweep, so that work on one model stays together
 */
public record PlannedCell(Cell cell, Map<String, Object> identity, String configHash, int limit, int modelRank) {
}
