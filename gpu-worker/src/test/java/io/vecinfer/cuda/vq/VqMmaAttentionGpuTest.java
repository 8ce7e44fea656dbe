package io.vecinfer.cuda.vq;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * vq_mma_attention against {@link VqMmaAttention#reference} on fresh random inputs (skips without a GPU): rows of
 * different lengths, none a multiple of the 512- or 256-token tile nor of a 16-token m-tile, one with no compressed token
 * yet; the planner's plan, 3 splits of 736 tokens (chunks of warp tiles), and 256-thread blocks; GQA 8:1, 4:1, 7:1 and
 * 1:1; head_dim 128 and 64; outputs poisoned with NaN first. Wide d8 books (variant MMA_WIDE: d8b12, the mixed pairs
 * k=d8b12,v=d8b8 and k=d4b8,v=d8b12, a 10-bit book with zeros past 1024 entries) run the same checks; their 12-bit codes
 * carry a random top nibble in the uint16 containers, which the kernel (12-bit mask) and the reference (the book's mask)
 * both ignore, so a kernel reading past bit 11 fails. Bound (VqMmaAttention.reference): per output
 * |o − o_ref| ≤ 2^-10 · max|v'| (twice the fp16 weight rounding; n · 2^-25 ≤ 7e-5 at these lengths), lse within
 * 1e-4 · max(1, |lse|). An indexing, fragment-layout or softmax bug is off by O(1).
 */
class VqMmaAttentionGpuTest {
    private static final int WINDOW = 64, CAPACITY = 2112; // capacity × 8 sub-spaces a multiple of 16 bytes
    private static final int[] ROW_SEQUENCE = {0, 1, 2, 1, 0}, ROW_POSITION = {10, 700, CAPACITY - 1, 1301, 1663};

    @ParameterizedTest
    @CsvSource({
            "'vecinfer:k=d4b8,v=d4b8,r=64', 8, 128", "'vecinfer:k=d8b8,v=d8b8,r=64', 8, 128", "'vecinfer:k=d2b8,v=d2b8,r=64', 8, 128",
            "'vecinfer:k=d4b8,v=d4b8,r=64', 16, 128", "'vecinfer:k=d8b8,v=d4b8,r=64', 14, 128", "'vecinfer:k=d4b8,v=d2b8,r=64,scope=head', 2, 128",
            "'vecinfer:k=d4b8,v=d8b8,r=64,hadamard=off,smooth=off', 6, 128", "'vecinfer:k=d4b8,v=d4b8,r=64', 8, 64",
            "'vecinfer:k=d8b8,v=d2b8,r=64', 16, 64", "'vecinfer:k=d2b6,v=d4b7,r=64', 8, 128",
            "'vecinfer:k=d8b12,v=d8b12,r=64', 8, 128", "'vecinfer:k=d8b12,v=d8b8,r=64', 14, 128", "'vecinfer:k=d8b12,v=d4b8,r=64', 16, 128",
            "'vecinfer:k=d4b8,v=d8b12,r=64,scope=head', 2, 128", "'vecinfer:k=d8b8,v=d8b12,r=64', 8, 64",
            "'vecinfer:k=d8b12,v=d8b12,r=64,hadamard=off,smooth=off', 14, 64", "'vecinfer:k=d8b10,v=d8b12,r=64', 8, 128",
            "'vecinfer:k=d8b12,v=d8b8,r=64,scope=head', 8, 64"})
    void matchesTheReference(String text, int queryHeads, int headDim) {
        VqAttentionCase c = new VqAttentionCase(text, queryHeads, headDim, WINDOW, CAPACITY, ROW_SEQUENCE, ROW_POSITION);
        Random random = new Random(System.nanoTime());
        withTopNibbles(c.keyCodes, c.spec.keys().bits(), random); // before the reference and before open() packs them
        withTopNibbles(c.valueCodes, c.spec.values().bits(), random);
        VqAttentionCase.Outputs expected = c.mmaReference();
        double valueScale = 0;
        for (int h = 0; h < c.layout.kvHeads(); h++) valueScale = Math.max(valueScale, VqMmaAttention.valueScale(c.flat, c.layer, h));
        try (VqAttentionCase.OnDevice gpu = c.open()) {
            VqAttentionKernel.Plan own = gpu.kernel.mmaPlan(c.flat, c.rows, c.maxCompressed);
            assertNotNull(own, "the MMA kernel serves " + text);
            assertEquals(VqMmaAttention.variant(c.flat), own.variant(), own.toString());
            assertEquals(c.spec.keys().bits() > 8 || c.spec.values().bits() > 8, own.variant() == VqAttentionKernel.Variant.MMA_WIDE, own.toString());
            assertEquals(own, gpu.kernel.plan(c.flat, c.rows, c.maxCompressed), "the decoder's plan is the MMA kernel's wherever it serves");
            List<VqAttentionKernel.Plan> plans = new ArrayList<>(List.of(own, own.withSplits(3, 736)));
            plans.add(new VqAttentionKernel.Plan(2, 1024, true, 0, c.rows, true, own.variant(), 256));
            for (VqAttentionKernel.Plan plan : plans) for (boolean perSequence : new boolean[]{false, true}) {
                gpu.poisonOutputs();
                gpu.launch(plan, perSequence);
                String what = plan + (perSequence ? " (per-sequence arrays)" : "");
                VqAttentionCase.Outputs got = gpu.read();
                double worst = 0;
                for (int i = 0; i < got.o().length; i++) {
                    assertTrue(Float.isFinite(got.o()[i]), what + ": a non-finite output at " + i);
                    worst = Math.max(worst, Math.abs(got.o()[i] - expected.o()[i]));
                }
                System.out.printf("%s heads %d d %d %s: max |o - ref| %.2e of max|v'| %.2f%n", text, queryHeads, headDim, plan, worst, valueScale);
                assertTrue(worst <= Math.scalb(valueScale, -10), what + ": max |o - ref| " + worst + " > 2^-10 · " + valueScale);
                c.assertLse(expected.lse(), got.lse(), 1e-4, what);
            }
        }
    }

    /** A random top nibble on every 12-bit code (uint16 containers): the MMA kernel masks codes to 12 bits. */
    private static void withTopNibbles(short[] codes, int bits, Random random) {
        if (bits != 12) return;
        for (int i = 0; i < codes.length; i++) codes[i] = (short) (codes[i] | random.nextInt(16) << 12);
    }

    /** The attribution variants run to completion (their outputs are meaningless by design). */
    @Test
    void attributionVariantsRun() {
        VqAttentionCase.runAttributionVariants(CAPACITY, WINDOW, (kernel, flat, rows, maxCompressed) -> kernel.mmaPlan(flat, rows, maxCompressed));
    }
}
