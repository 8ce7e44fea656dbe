package io.vecinfer.dataset;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where the shipped data lives: the datasets folder of this JVM and the files in it. Everything that
 * reads shipped data (tasks, calibration, studies, the Spark jobs) finds it here.
 */
public final class Datasets {
    private Datasets() {
    }

    /** The datasets folder of this JVM: -Dvecinfer.datasets, else VECINFER_DATASETS, else ./datasets; absolute, not checked. */
    public static Path folder() {
        String configured = System.getProperty("vecinfer.datasets", System.getenv("VECINFER_DATASETS"));
        return Path.of(configured != null ? configured : "datasets").toAbsolutePath();
    }

    /** {@link #folder()}, checked: a clear error when it is not the datasets folder. */
    public static Path checkedFolder() {
        Path datasets = folder();
        if (!Files.isDirectory(heldout(datasets).getParent())) {
            throw new IllegalStateException(datasets + " is not the datasets folder (no heldout/ in it): set -Dvecinfer.datasets"
                    + " or VECINFER_DATASETS (spark.executorEnv.VECINFER_DATASETS on a cluster)");
        }
        return datasets;
    }

    /** Held-out public-domain text (perplexity, fidelity, the RULER-style haystacks). */
    public static Path heldout(Path datasets) {
        return datasets.resolve("heldout/heldout.jsonl");
    }

    /** Calibration text for codebooks and smoothing factors. */
    public static Path calibration(Path datasets) {
        return datasets.resolve("calibration/calibration.jsonl");
    }

    /** Passkey samples. */
    public static Path passkey(Path datasets) {
        return datasets.resolve("passkey/passkey.jsonl");
    }

    /** Small LongBench- and GSM8K-format fixture sets that CI runs. */
    public static Path fixtures(Path datasets) {
        return datasets.resolve("fixtures");
    }
}
