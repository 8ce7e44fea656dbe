package io.vecinfer.cuda.kivi;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** CPU: the packed code rows of {@link KiviLayout} and the split-KV plans of {@link KiviAttentionKernel}. */
class KiviPackingAndPlanTest {

    @ParameterizedTest
    @CsvSource({"1, 64", "1, 128", "2, 128", "3, 128", "4, 64", "5, 100", "8, 128", "8, 256", "2, 200"})
    void rowsPackEveryCodeInWholeSixteenByteChunks(int bits, int headDim) {
        int words = KiviLayout.rowWords(headDim, bits), container = KiviLayout.containerBits(bits);
        assertEquals(0, words % 4, "16-byte rows");
        assertTrue(words * 32 / container >= headDim && words * 32 / container <= 256, "padded channels " + words * 32 / container);
        assertTrue((words - 4) * 32 / container < headDim, "no whole padding chunk");
        Random random = new Random(bits * 1000L + headDim ^ System.nanoTime());
        int[] codes = new int[headDim];
        for (int d = 0; d < headDim; d++) codes[d] = random.nextInt(1 << bits);
        int[] packed = new int[3 + words];
        java.util.Arrays.fill(packed, 0xABABABAB);
        KiviLayout.packRow(packed, 3, words, bits, headDim, d -> codes[d]);
        for (int d = 0; d < headDim; d++) assertEquals(codes[d], KiviLayout.code(packed, 3, d, bits), "channel " + d);
        assertEquals(0xABABABAB, packed[2], "nothing before the row written");
        int used = (headDim * container + 31) / 32; // words holding codes; the rest of the row is padding, all 0
        for (int w = used; w < words; w++) assertEquals(0, packed[3 + w], "padding word " + w);
        if (headDim * container % 32 != 0) assertEquals(0, packed[3 + used - 1] >>> (headDim * container % 32), "padding channels");
    }

    @ParameterizedTest
    @CsvSource({"1, 32640", "8, 32640", "32, 32640", "1, 130944", "8, 130944", "32, 196480", "1, 384", "1, 0"})
    void plansFillTheSmsWithWholeBlocksAndNoEmptySplit(int batch, int encoded) {
        KiviLayout l = new KiviLayout(batch, 8, 128, Math.max(128, (encoded + 127) / 128 * 128), 128, 128, 128, 2, 2);
        KiviAttentionKernel.Plan plan = KiviAttentionKernel.plan(l, 32, batch, encoded, 132);
        assertEquals(4, plan.heads(), "GQA 4:1 takes the 4-head kernel");
        assertEquals(1, plan.groupBlocks());
        assertEquals(0, plan.splitPositions() % 128, "splits hold whole blocks (whole key groups)");
        assertTrue((long) plan.splits() * plan.splitPositions() >= encoded, "the splits cover the context");
        assertTrue((long) (plan.splits() - 1) * plan.splitPositions() < Math.max(1, encoded), "no split is empty");
        assertTrue(plan.splits() <= KiviAttentionKernel.MAX_SPLITS);
        long ctas = (long) plan.splits() * batch * 8;
        if (encoded >= 32640) assertTrue(ctas >= 132, ctas + " CTAs for 132 SMs");
        if (encoded >= 32640 && batch == 1) assertTrue(plan.splits() >= 32, plan.splits() + " splits at batch 1");
        assertEquals(128, plan.tileTokens());
        assertTrue(plan.sharedBytes() <= KiviAttentionKernel.TILE_SHARED_BYTES);
    }

    @Test
    void groupsAndValueGroupsPickTheKernel() {
        KiviLayout seven = new KiviLayout(1, 2, 64, 1024, 32, 32, 32, 2, 4);
        KiviAttentionKernel.Plan plan = KiviAttentionKernel.plan(seven, 14, 1, 1000, 132);
        assertEquals(8, plan.heads());
        assertEquals("kivi_attend_k2_v4_h8", KiviAttentionKernel.kernelName(seven, plan));
        KiviLayout sixteen = new KiviLayout(1, 1, 128, 1024, 32, 32, 48, 3, 1);
        plan = KiviAttentionKernel.plan(sixteen, 16, 1, 1000, 132);
        assertEquals(2, plan.groupBlocks(), "16 heads of one KV head: two CTAs of 8");
        assertEquals("kivi_attend_k4_v1_h8", KiviAttentionKernel.kernelName(sixteen, plan));
        assertThrows(IllegalArgumentException.class, () -> KiviAttentionKernel.plan(new KiviLayout(1, 1, 128, 1024, 32, 32, 2, 2, 2), 4, 1, 100, 132),
                "64 value groups per token");
    }
}
