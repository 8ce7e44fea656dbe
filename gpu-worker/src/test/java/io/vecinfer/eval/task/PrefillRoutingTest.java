package io.vecinfer.eval.task;

import io.vecinfer.kvcache.Prefill;
import io.vecinfer.quant.MethodSpec;
import io.vecinfer.testing.RepoPaths;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A backend without exact prefill for a method (as the CUDA one for VQ) gets that method's compressed cells,
 * and the runner sends its exact cells to the CPU backend, whose rows say so; both score the same sample.
 */
class PrefillRoutingTest {
    private static final Path DATASETS = RepoPaths.root().resolve("datasets");

    /** The CPU backend under another name, taking only compressed-prefill cells. */
    private static final class CompressedOnly extends CpuStandInBackend {
        CompressedOnly() {
            super("compressed-only");
        }

        @Override
        public boolean supports(MethodSpec method, Prefill prefill) {
            return prefill == Prefill.COMPRESSED;
        }
    }

    @Test
    void exactCellsTheBackendCannotRunGoToTheCpu() {
        try (ModelCellRunner runner = new ModelCellRunner(DATASETS, new KvMethods(DATASETS), new CompressedOnly())) {
            String model = RepoPaths.referenceModel().toString();
            for (Prefill prefill : Prefill.values()) {
                Cell cell = new Cell(model, "kivi:k=b2g32,v=b2g32,r=32", null, "passkey", 512, 1, 0, prefill);
                List<SampleResult> rows = runner.run(cell, runner.sampleIds(cell, 1));
                assertEquals(prefill == Prefill.EXACT ? "cpu" : "compressed-only", rows.get(0).backend(), prefill.label());
                assertTrue(rows.get(0).compressionRatio() > 2, "the prompt is held compressed under " + prefill.label());
            }
        }
    }
}
