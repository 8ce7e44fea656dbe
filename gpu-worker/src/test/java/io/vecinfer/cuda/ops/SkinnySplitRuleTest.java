package io.vecinfer.cuda.ops;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * CPU: {@link Matmul#skinnyChunksPerSplit}, the rule that splits the skinny kernel's k across CTAs. On the 8B's shapes
 * and an H200's 132 multiprocessors it splits the products with few 16-row tiles (q|k|v, o, down) and leaves the wide
 * ones (gate|up, lm_head) alone; on any shape its splits are whole load rounds, cover k, and fit the scratch.
 */
class SkinnySplitRuleTest {
    private static int splits(int rows, int in, int out, int multiprocessors) {
        return Matmul.ceilDiv(Matmul.ceilDiv(in, Matmul.SKINNY_CHUNK), Matmul.skinnyChunksPerSplit(rows, in, out, multiprocessors));
    }

    @Test
    void splitsTheNarrowLlamaProjectionsOnAnH200() {
        for (int rows : new int[]{1, 8, 32}) {
            assertEquals(4, splits(rows, 4096, 6144, 132), "qkv");     // 192 blocks of 32 rows: 768 CTAs
            assertEquals(4, splits(rows, 4096, 4096, 132), "o");       // 128 blocks, 4 rounds: 512 CTAs
            assertEquals(7, splits(rows, 14336, 4096, 132), "down");   // 128 blocks, 14 rounds of 2 each: 896 CTAs
            assertEquals(1, splits(rows, 4096, 28672, 132), "gate_up"); // 896 blocks already
            assertEquals(1, splits(rows, 4096, 128256, 132), "lm_head");
        }
    }

    @Test
    void splitsAreWholeRoundsCoverKAndFitTheScratch() {
        SplittableRandom random = new SplittableRandom();
        for (int trial = 0; trial < 10_000; trial++) {
            int rows = 1 + random.nextInt(Matmul.SKINNY_MAX_ROWS), in = 8 * (1 + random.nextInt(4096)), out = 1 + random.nextInt(40_000);
            int multiprocessors = 1 + random.nextInt(200);
            int chunks = Matmul.ceilDiv(in, Matmul.SKINNY_CHUNK), perSplit = Matmul.skinnyChunksPerSplit(rows, in, out, multiprocessors);
            int splits = Matmul.ceilDiv(chunks, perSplit);
            String what = rows + "×" + in + "→" + out + " on " + multiprocessors + ": " + perSplit + " chunks per split";
            assertTrue(perSplit >= 1, what);
            if (splits == 1) continue;
            assertEquals(0, perSplit % Matmul.SKINNY_ROUND_CHUNKS, what);
            assertTrue((long) (splits - 1) * perSplit < chunks, what + ": an empty split");
            assertTrue((long) splits * rows * out <= Matmul.SPLIT_SCRATCH_FLOATS, what + ": scratch");
            assertTrue(Matmul.ceilDiv(out, 32) < Matmul.SKINNY_CTAS_PER_SM * multiprocessors, what + ": split a wide product");
        }
    }
}
