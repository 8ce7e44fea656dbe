package io.vecinfer.spark;

import java.util.List;
import java.util.stream.Collectors;

/** Cells of a sweep failed while the others completed; the message names each cell and its error. */
public final class CellsFailedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public CellsFailedException(List<EvaluatePartition.CellFailure> failures) {
        super(failures.size() + " cell(s) failed; the rest of the sweep is committed, and a rerun retries only these:\n"
                + failures.stream().map(f -> f.error() + " (" + f.samples() + " samples)").collect(Collectors.joining("\n")));
    }
}
