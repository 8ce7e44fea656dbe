package io.vecinfer.cuda.eval;

import io.vecinfer.dataset.Datasets;
import io.vecinfer.eval.task.KvMethods;
import io.vecinfer.eval.task.ModelCellRunner;

import java.nio.file.Path;

/** Runs cells on one GPU; a Spark executor makes one for the GPU its tasks are assigned. */
public final class CudaCellRunner extends ModelCellRunner {

    /** The runner of GPU {@code ordinal}, with datasets from {@link Datasets#checkedFolder()}. */
    public static CudaCellRunner create(int ordinal) {
        return new CudaCellRunner(Datasets.checkedFolder(), ordinal);
    }

    public CudaCellRunner(Path datasets, int ordinal) {
        super(datasets, new KvMethods(datasets), new CudaBackend(ordinal));
    }
}
