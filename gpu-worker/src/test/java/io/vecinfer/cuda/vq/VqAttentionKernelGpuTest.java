package io.vecinfer.cuda.vq;

import io.vecinfer.quant.TestData;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** vq_attention (+ vq_query_table, merge_splits) against {@link VqAttentionKernel#reference} (skips without a GPU). */
class VqAttentionKernelGpuTest {
    private static final int WINDOW = 64, CAPACITY = 2100;
    // (sequence, position): no compressed token yet, a few tiles, the whole code array, a middle one
    private static final int[] ROW_SEQUENCE = {0, 1, 2, 1}, ROW_POSITION = {10, 700, CAPACITY - 1, 1300};

    /**
     * Random codes, queries and codebooks; the device's own plan, a forced 3-way split, and the global-
     * table path one row per pass. The table and scores are bit-identical to the reference by
     * construction (explicit round-to-nearest operations in the same order), values accumulate by fmaf
     * as the reference's Math.fma; what remains is expf/logf against Java's exp/log (an ulp or two) and
     * the order of split merges, about 1e-7 relative. The fp16-table plans round the table as the reference
     * does (__float2half_rn, Half.fromFloat: both to nearest, ties to even), so the same bound holds. So o must agree within 1e-5 of its largest
     * magnitude and lse within 1e-5 (relative above 1); an indexing or softmax bug is off by O(1).
     */
    @ParameterizedTest
    @CsvSource({
            "'vecinfer:k=d4b8,v=d4b8,r=64', 8", "'vecinfer:k=d4b8,v=d4b8,r=64', 4", "'vecinfer:k=d8b12,v=d8b12,r=64', 8",
            "'vecinfer:k=d8b8,v=d8b8,r=64', 8", "'vecinfer:k=d8b12,v=d8b8,r=64,smooth=off', 14", "'rawvq:k=d4b8,v=d2b8,r=64', 8",
            "'vecinfer:k=d2b8,v=d1b8,r=64,hadamard=off,scope=head', 2"})
    void kernelMatchesTheReference(String text, int queryHeads) {
        // uint8 containers where the codes fit them (as the decoder's cache), uint16 otherwise
        VqAttentionCase c = new VqAttentionCase(text, queryHeads, 128, WINDOW, CAPACITY, ROW_SEQUENCE, ROW_POSITION);
        try (VqAttentionCase.OnDevice gpu = c.open()) {
            VqAttentionKernel.Plan own = gpu.kernel.plan(c.flat, c.rows, c.maxCompressed, false);
            VqAttentionKernel.Plan half = gpu.kernel.plan(c.flat, c.rows, c.maxCompressed, true);
            VqAttentionKernel.Plan global = VqAttentionKernel.plan(c.flat, c.rows, c.maxCompressed, 132, 0);
            List<VqAttentionKernel.Plan> plans = List.of(own, half,
                    new VqAttentionKernel.Plan(3, 512, own.tableInShared(), own.sharedBytes(), own.rowsPerPass()),
                    new VqAttentionKernel.Plan(2, 768, false, global.sharedBytes(), 1),
                    new VqAttentionKernel.Plan(3, 512, false, global.sharedBytes(), 2, true));
            for (VqAttentionKernel.Plan plan : plans) for (boolean perSequence : new boolean[]{false, true}) {
                gpu.o.clear();
                gpu.launch(plan, perSequence);
                String what = plan + (perSequence ? " (per-sequence arrays)" : "");
                VqAttentionCase.Outputs want = c.kernelReference(plan), got = gpu.read();
                double error = TestData.relativeError(got.o(), want.o());
                assertTrue(error <= 1e-5, what + ": relative difference " + error);
                c.assertLse(want.lse(), got.lse(), 1e-5, what);
            }
        }
    }
}
