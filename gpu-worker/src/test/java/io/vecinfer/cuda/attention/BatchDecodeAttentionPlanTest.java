package io.vecinfer.cuda.attention;

import io.vecinfer.kvcache.KvLayout;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** CPU: the batch decode kernels' parameter layout, table layout and split rules (the kernels themselves: BatchDecodeAttentionKernelTest). */
class BatchDecodeAttentionPlanTest {
    private static final KvLayout LLAMA_8B = new KvLayout(32, 8, 32, 128);

    @Test
    void paramsMirrorTheStructSize() {
        var plan = BatchDecodeAttention.plan(LLAMA_8B, 8, 132);
        var p = BatchDecodeAttention.params(null, null, null, null, null, null, null, null, null, null, null, null, null, 8, LLAMA_8B, plan, DecodeAttention.MIN_SPLIT_POSITIONS, 128, 0.1f);
        assertEquals(136, p.size(), "sizeof(BatchDecodeParams) in attention_decode.cu");
    }

    @Test
    void tablesDoNotOverlap() {
        for (int layers : new int[]{1, 2, 32}) {
            for (int batch : new int[]{1, 3, 8, 32}) {
                var t = new RingTables.Layout(layers, batch);
                boolean[] used = new boolean[(int) t.bytes()];
                for (int l = 0; l < layers; l++) {
                    for (int s = 0; s < batch; s++) {
                        mark(used, t.keyRing(l, s), 8);
                        mark(used, t.valueRing(l, s), 8);
                        mark(used, t.capacity(l, s), 4);
                        assertEquals(0, t.keyRing(l, s) % 8, "8-byte aligned pointers");
                        assertEquals(0, t.valueRing(l, s) % 8);
                    }
                }
                for (int s = 0; s < batch; s++) mark(used, t.position(s), 4);
                for (int i = 0; i < used.length; i++) assertTrue(used[i], "byte " + i + " of the tables is used");
            }
        }
    }

    /** Marks bytes [at, at + bytes) of a table as used, failing on any byte used twice (BatchPrefillAttentionPlanTest too). */
    static void mark(boolean[] used, long at, int bytes) {
        for (int i = 0; i < bytes; i++) {
            assertTrue(!used[(int) at + i], "byte " + (at + i) + " used twice");
            used[(int) at + i] = true;
        }
    }

    @Test
    void aSequenceIsCutIntoAtMostSplitsRangesCoveringItsPositions() {
        for (int window : new int[]{0, 32, 128}) for (int splits : new int[]{1, 2, 5, 33, 132, 264}) {
            for (int position : new int[]{0, 1, 126, 127, 128, 129, 1000, 4095, 4096, 39999, 131071}) {
                int[] cut = BatchDecodeAttention.sequenceSplits(position, window, splits, DecodeAttention.MIN_SPLIT_POSITIONS);
                int positions = cut[0], used = cut[1], span = position + 1 - (int) WindowAttention.windowStart(position, window);
                String what = "position " + position + ", window " + window + ", splits " + splits;
                assertTrue(span >= 1 && (window == 0 ? span == position + 1 : span < 2 * window), what + ": span " + span);
                assertTrue(used >= 1 && used <= splits, what + ": " + used + " ranges");
                assertTrue((long) used * positions >= span, what + ": the ranges cover the positions");
                assertTrue((long) (used - 1) * positions < span, what + ": no empty range is used");
                assertTrue(positions >= DecodeAttention.MIN_SPLIT_POSITIONS, what);
            }
        }
    }

    @Test
    void theGridFillsOneWaveOrTwoWhenOneLeavesASingleRange() {
        for (KvLayout layout : new KvLayout[]{LLAMA_8B, new KvLayout(1, 2, 14, 64), new KvLayout(1, 1, 16, 64), new KvLayout(1, 4, 4, 128)}) {
            for (int sms : new int[]{108, 132}) {
                for (int batch = 1; batch <= 200; batch++) {
                    var plan = BatchDecodeAttention.plan(layout, batch, sms);
                    long perSplit = (long) layout.kvHeads() * plan.rowBlocks() * batch, ctas = plan.splits() * perSplit;
                    long wave = (long) DecodeAttention.RESIDENT_CTAS_PER_SM * sms;
                    String what = layout + ", batch " + batch + ", " + sms + " SMs: " + plan;
                    assertTrue(plan.splits() >= 1, what);
                    long waves = wave / perSplit >= 2 ? 1 : 2;
                    if (plan.splits() > 1) {
                        assertTrue(ctas <= waves * wave, what + ": " + ctas + " CTAs for " + waves + " waves of " + wave);
                        // and one split more would pass them: the grid is as full as whole splits allow
                        assertTrue(ctas + perSplit > waves * wave, what);
                    } else {
                        assertTrue(2 * perSplit > 2 * wave, what + ": a second split would have fitted two waves");
                    }
                }
            }
        }
    }

    @Test
    void theGridDependsOnTheBatchSizeAndFillsTheDevice() {
        var one = BatchDecodeAttention.plan(LLAMA_8B, 1, 132);
        assertEquals(new BatchDecodeAttention.Plan(1, 33), one, "8 KV heads × 33 splits = one wave of 2 CTAs per SM of 132");
        assertEquals(4, BatchDecodeAttention.plan(LLAMA_8B, 8, 132).splits(), "256 CTAs: one wave of 264 slots");
        assertEquals(2, BatchDecodeAttention.plan(LLAMA_8B, 32, 132).splits(), "one wave would be 1 split a sequence: two waves, 512 CTAs");
        assertEquals(1, BatchDecodeAttention.plan(LLAMA_8B, 198, 132).splits());
        var gqa7 = BatchDecodeAttention.plan(new KvLayout(1, 2, 14, 64), 5, 132);
        assertEquals(1, gqa7.rowBlocks(), "a group of 7 in one block of 8 rows");
        var gqa16 = BatchDecodeAttention.plan(new KvLayout(1, 1, 16, 64), 3, 132);
        assertEquals(2, gqa16.rowBlocks(), "a group of 16 in two blocks of 8 rows");
    }
}
