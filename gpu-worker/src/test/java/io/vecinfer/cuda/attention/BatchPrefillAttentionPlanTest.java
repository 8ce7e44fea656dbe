package io.vecinfer.cuda.attention;

import io.vecinfer.kvcache.KvLayout;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** CPU: the batch prefill kernels' parameter layouts, their tables' layout and the work list (the kernels: BatchPrefillAttentionKernelTest). */
class BatchPrefillAttentionPlanTest {
    private static final KvLayout LLAMA_8B = new KvLayout(32, 8, 32, 128);

    @Test
    void paramsMirrorTheStructSizes() {
        assertEquals(88, BatchPrefillAttention.params(null, null, null, null, null, null, null, null, null, 0, LLAMA_8B, 0.1f).size(),
                "sizeof(PrefillBatchParams) in attention_prefill_rows.cuh");
        assertEquals(64, BatchPrefillAttention.storeParams(null, null, null, null, null, null, null, 8, 1024).size(),
                "sizeof(StoreBatchParams) in attention_window.cu");
    }

    /** The ring tables, the row starts and the work list do not overlap, and the pointers and int2 items are 8-byte aligned. */
    @Test
    void tablesDoNotOverlap() {
        for (int layers : new int[]{1, 2, 32}) {
            for (int batch : new int[]{1, 3, 8}) {
                for (int items : new int[]{1, 7, 256}) {
                    RingTables.Layout t = BatchPrefillAttention.tableLayout(layers, batch, items);
                    boolean[] used = new boolean[(int) t.bytes()];
                    for (int l = 0; l < layers; l++) {
                        for (int s = 0; s < batch; s++) {
                            BatchDecodeAttentionPlanTest.mark(used, t.keyRing(l, s), 8);
                            BatchDecodeAttentionPlanTest.mark(used, t.valueRing(l, s), 8);
                            BatchDecodeAttentionPlanTest.mark(used, t.capacity(l, s), 4);
                            assertEquals(0, t.keyRing(l, s) % 8);
                            assertEquals(0, t.valueRing(l, s) % 8);
                        }
                    }
                    for (int s = 0; s < batch; s++) BatchDecodeAttentionPlanTest.mark(used, t.position(s), 4);
                    long rowStarts = t.extra(), work = BatchPrefillAttention.workOffset(t, batch);
                    for (int s = 0; s <= batch; s++) BatchDecodeAttentionPlanTest.mark(used, rowStarts + 4L * s, 4);
                    assertEquals(0, work % 8, "int2 work items are 8-byte aligned");
                    for (int i = 0; i < items; i++) BatchDecodeAttentionPlanTest.mark(used, work + 8L * i, 8);
                    assertEquals(t.bytes(), work + 8L * items, "the work list ends the tables");
                }
            }
        }
    }

    /**
     * Every row tile of every sequence once (ceil(tokens · group / rows) of them, none for a sequence without tokens), no
     * other, ordered by the keys their CTA reads, most first, over the whole batch.
     */
    @Test
    void theWorkListHasEveryTileOnceLongestFirst() {
        KvLayout[] layouts = {LLAMA_8B, new KvLayout(1, 2, 14, 128), new KvLayout(1, 2, 8, 64), new KvLayout(1, 1, 1, 64)};
        int[][][] batches = {  // {starts}, {tokens}
                {{0, 0, 0, 0, 0, 0, 0, 0}, {1024, 1024, 1024, 1024, 1024, 1024, 1024, 1024}},
                {{0, 300, 17, 5000, 0}, {5, 130, 1000, 67, 0}},
                {{1000}, {200}},
        };
        for (KvLayout layout : layouts) for (int rows : new int[]{64, 128}) for (int window : new int[]{0, 128}) for (int[][] b : batches) {
            int[] starts = b[0], tokens = b[1];
            int[] work = BatchPrefillAttention.work(layout, rows, window, starts, tokens);
            String what = layout + ", rows " + rows + ", window " + window + ", tokens " + java.util.Arrays.toString(tokens);
            int expected = 0;
            for (int t : tokens) expected += (t * layout.groupSize() + rows - 1) / rows;
            assertEquals(2 * expected, work.length, what + ": one item per row tile");
            java.util.Set<Long> seen = new java.util.HashSet<>();
            long previousKeys = Long.MAX_VALUE;
            for (int i = 0; i < work.length / 2; i++) {
                int s = work[2 * i], tile = work[2 * i + 1];
                long pairs = (long) tokens[s] * layout.groupSize(), first = (long) tile * rows;
                assertTrue(s >= 0 && s < starts.length && tile >= 0 && first < pairs, what + ": item " + i + " (" + s + ", " + tile + ") is a tile");
                assertTrue(seen.add(((long) s << 32) | tile), what + ": item " + i + " listed twice");
                long last = Math.min(first + rows, pairs) - 1;
                long keys = starts[s] + last / layout.groupSize() + 1 - WindowAttention.windowStart(starts[s] + first / layout.groupSize(), window);
                assertTrue(keys <= previousKeys, what + ": item " + i + " reads " + keys + " keys, more than the one before");
                previousKeys = keys;
            }
        }
    }

    /** One sequence: its own launch's order, the last tile first. */
    @Test
    void oneSequenceRunsItsTilesBackwards() {
        int[] work = BatchPrefillAttention.work(new KvLayout(1, 2, 8, 128), 128, 0, new int[]{40}, new int[]{300});
        assertEquals(2 * 10, work.length);
        for (int i = 0; i < 10; i++) assertEquals(9 - i, work[2 * i + 1]);
    }
}
