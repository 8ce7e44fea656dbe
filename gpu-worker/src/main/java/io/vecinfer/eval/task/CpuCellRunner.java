package io.vecinfer.eval.task;

import io.vecinfer.dataset.Datasets;
import io.vecinfer.decoder.CpuBackend;
import java.nio.file.Path;

/** Runs cells on the CPU backend: what executors without a GPU, the study and the tests use. */
public final class CpuCellRunner extends ModelCellRunner {

    /** The runner Spark executors create: datasets from {@link Datasets#checkedFolder()}. */
    public static CpuCellRunner create() {
        return new CpuCellRunner(Datasets.checkedFolder());
    }

    /** @param datasets the datasets/ folder holding heldout/, passkey/ and calibration/ */
    public CpuCellRunner(Path datasets) {
        this(datasets, new KvMethods(datasets));
    }

    /** A runner sharing calibrated codebooks with other users of {@code methods}. */
    public CpuCellRunner(Path datasets, KvMethods methods) {
        super(datasets, methods, new CpuBackend());
    }
}
