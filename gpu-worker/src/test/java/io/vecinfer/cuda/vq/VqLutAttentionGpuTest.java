package io.vecinfer.cuda.vq;

import io.vecinfer.quant.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The kernel the decoder's plan picks (vq_lut_attention where it serves the configuration, else vq_attention) against
 * {@link VqAttentionKernel#reference} on fresh random inputs (skips without a GPU). Rows of different lengths, none a
 * multiple of the tile, one with no compressed token yet, the last window tokens left to the fp16 part; outputs
 * poisoned with NaN first. The reference mirrors the LUT kernel's roundings (fp16 table, fp16 partial sums of eight
 * entries in the lane's skewed order, fp32 value fmaf in token order); what remains is expf/logf against Java's
 * exp/log and the order of the shuffle merges, about 1e-7 relative: o within 1e-5 of its largest magnitude (1e-4 for the
 * fp16 value path, see below), lse within 1e-5. An indexing, skew or softmax bug is off by O(1). Every LUT configuration
 * with value dims ≥ 2 also runs the fp16 value path (LUT_HALF_VALUES), against its own mirror.
 */
class VqLutAttentionGpuTest {
    private static final int WINDOW = 64, CAPACITY = 2100;
    private static final int[] ROW_SEQUENCE = {0, 1, 2, 1, 0}, ROW_POSITION = {10, 700, CAPACITY - 1, 1300, 1663};

    @ParameterizedTest
    @CsvSource({
            "'vecinfer:k=d4b8,v=d4b8,r=64', 8, 128, LUT", "'vecinfer:k=d8b8,v=d8b8,r=64', 8, 128, LUT",
            "'vecinfer:k=d2b8,v=d2b8,r=64', 8, 128, LUT", "'vecinfer:k=d8b8,v=d4b8,r=64', 8, 128, LUT",
            "'vecinfer:k=d4b8,v=d2b8,r=64,scope=head', 4, 128, LUT", "'vecinfer:k=d4b8,v=d8b8,r=64,hadamard=off,smooth=off', 6, 128, LUT",
            "'vecinfer:k=d4b8,v=d4b8,r=64', 8, 64, LUT", "'vecinfer:k=d4b8,v=d1b8,r=64', 8, 64, LUT",
            "'vecinfer:k=d4b8,v=d4b8,r=64', 14, 128, GENERAL", "'vecinfer:k=d4b8,v=d4b8,r=64,scope=subspace', 8, 128, GENERAL",
            "'vecinfer:k=d8b12,v=d4b8,r=64', 8, 128, GENERAL"})
    void chosenKernelMatchesTheReference(String text, int queryHeads, int headDim, VqAttentionKernel.Variant expected) {
        VqAttentionCase c = new VqAttentionCase(text, queryHeads, headDim, WINDOW, CAPACITY, ROW_SEQUENCE, ROW_POSITION);
        try (VqAttentionCase.OnDevice gpu = c.open()) {
            VqAttentionKernel.Plan own = gpu.kernel.plan(c.flat, c.rows, c.maxCompressed, VqAttentionKernel.Family.LUT);
            assertEquals(expected, own.variant(), own.toString());
            List<VqAttentionKernel.Plan> plans = new ArrayList<>(List.of(own, own.withSplits(3, 2 * own.threads())));
            if (own.variant() == VqAttentionKernel.Variant.LUT && own.threads() == 512) { // the 256-thread block too
                plans.add(new VqAttentionKernel.Plan(2, 1024, true, 0, c.rows, true, VqAttentionKernel.Variant.LUT, 256));
            }
            VqAttentionKernel.Plan halfValues = gpu.kernel.lutHalfValuesPlan(c.flat, c.rows, c.maxCompressed);
            if (own.variant().lut()) plans.add(own.withSplits(3, 736)); // chunks in warp tiles, not whole tiles (the planner's now)
            if (halfValues != null) { // 512 threads (the planner's), a chunk of no whole tile, and the 256-thread block
                plans.add(halfValues.withSplits(3, 512));
                plans.add(halfValues.withSplits(2, 1056));
                plans.add(new VqAttentionKernel.Plan(2, 1024, true, 0, c.rows, true, VqAttentionKernel.Variant.LUT_HALF_VALUES, 256));
            }
            for (VqAttentionKernel.Plan plan : plans) for (boolean perSequence : new boolean[]{false, true}) {
                gpu.poisonOutputs();
                gpu.launch(plan, perSequence);
                String what = plan + (perSequence ? " (per-sequence arrays)" : "");
                VqAttentionCase.Outputs want = c.kernelReference(plan), got = gpu.read();
                for (float x : got.o()) assertTrue(Float.isFinite(x), what + ": a non-finite output");
                double error = TestData.relativeError(got.o(), want.o());
                // fp16 value path: a weight within an fp32 ulp (expf against exp) of an fp16 rounding boundary rounds the other
                // way, 2^-11 of that one token's share: far below 1e-4 unless one token dominates (random inputs: none)
                double bound = plan.variant() == VqAttentionKernel.Variant.LUT_HALF_VALUES ? 1e-4 : 1e-5;
                assertTrue(error <= bound, what + ": relative difference " + error);
                c.assertLse(want.lse(), got.lse(), 1e-5, what);
            }
        }
    }

    /** The attribution variants run to completion (their outputs are meaningless by design). Also the suite's smoke test. */
    @Test
    void attributionVariantsRun() {
        VqAttentionCase.runAttributionVariants(CAPACITY, WINDOW, (kernel, flat, rows, maxCompressed) -> kernel.lutPlan(flat, rows, maxCompressed));
    }
}
