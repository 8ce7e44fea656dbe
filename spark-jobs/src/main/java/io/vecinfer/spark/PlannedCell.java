package io.vecinfer.spark;

import io.vecinfer.eval.task.Cell;

/**
 * A cell of the grid with what the driver needs to schedule it.
 *
 * @param cell       what runs
 * @param configHash {@link CellCodec#configHash} of the cell: its output partition
 * @param limit      samples to run (0 = all the task has)
 * @param modelRank  index of the model in the sweep, so that work on one model stays together
 */
public record PlannedCell(Cell cell, String configHash, int limit, int modelRank) {
}
