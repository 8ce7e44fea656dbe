package io.vecinfer.spark;

import io.vecinfer.eval.task.Cell;
import io.vecinfer.eval.task.TaskRegistry;
import io.vecinfer.kvcache.Prefill;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Expands a sweep into its cells: every model × method × task × context length × batch size × seed × prefill.
 * Paths become absolute and methods canonical here (see {@link LocalPaths}); the order is the sweep file's order.
 */
public final class Grid {
    private Grid() {
    }

    public static List<PlannedCell> expand(SweepSpec spec) {
        List<PlannedCell> cells = new ArrayList<>();
        for (int m = 0; m < spec.models().size(); m++) {
            String model = spec.models().get(m);
            for (String written : spec.methods()) {
                // Two spellings of one method (key order, defaults written out) are one cell.
                String method = canonical(written);
                String codebook = LocalPaths.absolute(codebookFor(spec, model, method));
                for (SweepSpec.Task task : spec.tasks()) {
                    for (int contextLength : task.contextLengths()) {
                        for (io.vecinfer.eval.task.BatchSize batch : spec.batchSizes()) {
                            for (long seed : spec.seeds()) {
                                for (Prefill prefill : prefills(task)) {
                                    Cell cell = new Cell(LocalPaths.absolute(model), method, codebook, task.name(), contextLength, batch.code(), seed,
                                            prefill, inputs(task));
                                    Map<String, Object> identity = CellIdentity.of(cell);
                                    cells.add(new PlannedCell(cell, identity, CellIdentity.hash(identity), task.limit(), m));
                                }
                            }
                        }
                    }
                }
            }
        }
        return cells;
    }

    /** A method spec in its canonical form ({@link io.vecinfer.quant.MethodSpec#spec()}): what cells and rows hold. */
    static String canonical(String method) {
        return io.vecinfer.quant.MethodSpec.parse(method).spec();
    }

    /** The task's prefill values, or its default when the sweep names none. */
    static List<Prefill> prefills(SweepSpec.Task task) {
        if (task.prefill().isEmpty()) return List.of(TaskRegistry.task(task.name()).defaultPrefill());
        return task.prefill().stream().map(Prefill::parse).toList();
    }

    /** The task's inputs with file paths made absolute, so that the hash does not depend on the working directory. */
    static Map<String, String> inputs(SweepSpec.Task task) {
        Map<String, String> inputs = new TreeMap<>();
        task.inputs().forEach((k, v) -> inputs.put(k, SweepSpec.Task.isFileInput(k) ? LocalPaths.absolute(v) : v));
        return inputs;
    }

    private static String codebookFor(SweepSpec spec, String model, String method) {
        return spec.codebooks().stream()
                .filter(c -> c.model().equals(model) && canonical(c.method()).equals(method))
                .map(SweepSpec.Codebook::path)
                .findFirst().orElse(null);
    }
}
