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
        var p = BatchDecodeAttention.params(null, null, null, null, null, null, null, null, null, null, null, null, 8, LLAMA_8B, plan, DecodeAttention.MIN_SPLIT_POSITIONS, 128, 0.1f);
        assertEquals(128, p.size(), "sizeof(BatchDecodeParams) in attention_decode.cu");
    }

    @Test
    void tablesDoNotOverlap() {
        for (int layers : new int[]{1, 2, 32}) {
            for (int batch : new int[]{1, 3, 8, 32}) {
                var t = new BatchDecodeAttention.TableLayout(layers, batch);
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

    private static void mark(boolean[] used, long at, int bytes) {
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
    void theGridNeverPassesTheWavesItAimsFor() {
        for (KvLayout layout : new KvLayout[]{LLAMA_8B, new KvLayout(1, 2, 14, 64), new KvLayout(1, 1, 16, 64), new KvLayout(1, 4, 4, 128)}) {
            for (int sms : new int[]{108, 132}) {
                for (int batch = 1; batch <= 200; batch++) {
                    var plan = BatchDecodeAttention.plan(layout, batch, sms);
                    long ctas = (long) plan.splits() * layout.kvHeads() * plan.rowBlocks() * batch, slots = (long) DecodeAttention.CTAS_PER_SM * sms;
                    String what = layout + ", batch " + batch + ", " + sms + " SMs: " + plan;
                    assertTrue(plan.splits() >= 1, what);
                    if (plan.splits() > 1) {
                        assertTrue(ctas <= slots, what + ": " + ctas + " CTAs for " + slots + " slots");
                        // and one split more would pass them: the grid is as full as whole splits allow
                        assertTrue(ctas + (long) layout.kvHeads() * plan.rowBlocks() * batch > slots, what);
                    }
                }
            }
        }
    }

    @Test
    void theGridDependsOnTheBatchSizeAndFillsTheDevice() {
        var one = BatchDecodeAttention.plan(LLAMA_8B, 1, 132);
        assertEquals(new BatchDecodeAttention.Plan(4, 1, 132), one, "8 KV heads × 132 splits = 8 CTAs per SM of 132");
        var eight = BatchDecodeAttention.plan(LLAMA_8B, 8, 132);
        assertEquals(16, eight.splits(), "1024 CTAs, two waves of 4 per SM; 17 splits (1088) would add a third wave of 32");
        assertEquals(4, BatchDecodeAttention.plan(LLAMA_8B, 32, 132).splits(), "1024 CTAs; 5 splits (1280) would be 2.42 waves");
        var gqa7 = BatchDecodeAttention.plan(new KvLayout(1, 2, 14, 64), 5, 132);
        assertEquals(8, gqa7.rowsPerBlock());
        assertEquals(1, gqa7.rowBlocks());
        var gqa16 = BatchDecodeAttention.plan(new KvLayout(1, 1, 16, 64), 3, 132);
        assertEquals(2, gqa16.rowBlocks(), "a group of 16 in two blocks of 8 rows");
    }
}
