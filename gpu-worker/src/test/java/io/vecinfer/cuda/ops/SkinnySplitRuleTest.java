package io.vecinfer.cuda.ops;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * CPU: {@link Matmul#skinnyChunksPerSplit}, the rule that splits the skinny kernel's k across CTAs. On the 8B's shapes
 * and an H200's 132 multiprocessors it splits the products with few 32-row blocks (q|k|v, o, down) and leaves the wide
 * ones (gate|up, lm_head) alone; on any shape its splits are whole stages, at least two of them, cover k without an
 * empty split, and fit the scratch.
 */
class SkinnySplitRuleTest {
    private static int splits(int rows, int in, int out, int multiprocessors) {
        return Matmul.ceilDiv(Matmul.ceilDiv(in, Matmul.SKINNY_CHUNK), Matmul.skinnyChunksPerSplit(rows, in, out, multiprocessors));
    }

    @Test
    void splitsTheNarrowLlamaProjectionsOnAnH200() {
        for (int rows : new int[]{1, 8}) { // 4 CTAs an SM: 528 resident
            assertEquals(3, splits(rows, 4096, 6144, 132), "qkv");     // 192 blocks of 32 rows: 528 / 192 ≈ 2.75
            assertEquals(4, splits(rows, 4096, 4096, 132), "o");       // 128 blocks: 4.1
            assertEquals(4, splits(rows, 14336, 4096, 132), "down");
            assertEquals(1, splits(rows, 4096, 28672, 132), "gate_up"); // 896 blocks already: 0.6
            assertEquals(1, splits(rows, 4096, 128256, 132), "lm_head");
        }
        for (int rows : new int[]{16, 32}) { // 2 CTAs an SM: 264 resident
            assertEquals(1, splits(rows, 4096, 6144, 132), "qkv");     // 1.4 rounds to 1
            assertEquals(2, splits(rows, 4096, 4096, 132), "o");
            assertEquals(2, splits(rows, 14336, 4096, 132), "down");
            assertEquals(1, splits(rows, 4096, 28672, 132), "gate_up");
        }
    }

    @Test
    void residentCtasFollowTheSharedMemory() {
        assertEquals(4, Matmul.skinnyCtasPerSm(1)); // 48 KB each
        assertEquals(2, Matmul.skinnyCtasPerSm(2)); // 96 KB
        assertEquals(2, Matmul.skinnyCtasPerSm(4)); // 96 KB
        assertEquals(1, Matmul.skinnyTiles(1));
        assertEquals(1, Matmul.skinnyTiles(8));
        assertEquals(2, Matmul.skinnyTiles(9));
        assertEquals(4, Matmul.skinnyTiles(17));
    }

    @Test
    void splitsAreWholeStagesCoverKAndFitTheScratch() {
        SplittableRandom random = new SplittableRandom();
        for (int trial = 0; trial < 10_000; trial++) {
            int rows = 1 + random.nextInt(Matmul.SKINNY_MAX_ROWS), in = 8 * (1 + random.nextInt(4096)), out = 1 + random.nextInt(40_000);
            int multiprocessors = 1 + random.nextInt(200);
            int chunks = Matmul.ceilDiv(in, Matmul.SKINNY_CHUNK), perSplit = Matmul.skinnyChunksPerSplit(rows, in, out, multiprocessors);
            int splits = Matmul.ceilDiv(chunks, perSplit);
            String what = rows + "×" + in + "→" + out + " on " + multiprocessors + ": " + perSplit + " chunks per split";
            assertTrue(perSplit >= 1, what);
            if (splits == 1) continue;
            assertEquals(0, perSplit % Matmul.SKINNY_STAGE_CHUNKS, what);
            assertTrue(perSplit >= Matmul.SKINNY_MIN_SPLIT_STAGES * Matmul.SKINNY_STAGE_CHUNKS, what + ": a split too short");
            assertTrue((long) (splits - 1) * perSplit < chunks, what + ": an empty split");
            assertTrue((long) splits * rows * out <= Matmul.SPLIT_SCRATCH_FLOATS, what + ": scratch");
            long resident = (long) Matmul.skinnyCtasPerSm(Matmul.skinnyTiles(rows)) * multiprocessors;
            assertTrue(3L * Matmul.ceilDiv(out, 32) <= 2 * resident, what + ": split a product that fills the device"); // round(resident / blocks) ≥ 2
        }
    }
}
