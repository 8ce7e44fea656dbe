package io.vecinfer.cuda.decoder;

import io.vecinfer.cuda.attention.Fp16KvRing;
import io.vecinfer.kvcache.KvLayout;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** CPU: which prefill passes take the batch path ({@link PrefillBatch#applies}); the path itself: PrefillBatchTest. */
class PrefillBatchRuleTest {
    private static final KvLayout D128 = new KvLayout(2, 2, 4, 128), D64 = new KvLayout(2, 2, 8, 64);
    private static final int MORE = Fp16KvRing.MAX_DECODE_TOKENS + 1;

    @Test
    void everySequenceDensePrefillOfOneLayout() {
        assertTrue(PrefillBatch.applies(List.of(D128, D128, D128), new int[]{MORE, 1024, 300}));
        assertTrue(PrefillBatch.applies(List.of(D64, D64), new int[]{MORE, MORE}));
        assertFalse(PrefillBatch.applies(List.of(D128), new int[]{MORE}), "one sequence: one launch either way (its own is faster)");
    }

    @Test
    void anythingElseStaysOnThePerSequencePath() {
        assertFalse(PrefillBatch.applies(List.of(), new int[0]), "no sequences");
        assertFalse(PrefillBatch.applies(List.of(D128, D128), new int[]{MORE, Fp16KvRing.MAX_DECODE_TOKENS}),
                "a sequence of decode size (the split-KV kernel) in the pass");
        assertFalse(PrefillBatch.applies(List.of(D128, D128), new int[]{1, 1}), "a decode step");
        assertFalse(PrefillBatch.applies(Arrays.asList(D128, null), new int[]{MORE, MORE}), "a cache that is not dense fp16 (or past its exact prompt)");
        assertFalse(PrefillBatch.applies(List.of(D128, D64), new int[]{MORE, MORE}), "two layouts");
        KvLayout d32 = new KvLayout(2, 2, 4, 32);
        assertFalse(PrefillBatch.applies(List.of(d32, d32), new int[]{100, 100}), "head_dim 32: the window kernel");
    }
}
