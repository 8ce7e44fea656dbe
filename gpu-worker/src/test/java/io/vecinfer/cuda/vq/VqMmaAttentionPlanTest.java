package io.vecinfer.cuda.vq;

import io.vecinfer.kvcache.KvLayout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static io.vecinfer.cuda.vq.VqTestInputs.H200_SHARED;
import static io.vecinfer.cuda.vq.VqTestInputs.H200_SMS;
import static io.vecinfer.cuda.vq.VqTestInputs.seededBooks;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which configurations the MMA kernel serves, its shared memory (vq_mma_attention's layout) and its splits on the H200. */
class VqMmaAttentionPlanTest {
    /**
     * Llama-3.1-8B heads (and GQA 8 / 7, head_dim 64): two books' copies of 32 KB, q̃ [8][d], the warps' (m, l) [warp][8] twice,
     * three stages of T tokens' key and value codes; 512 threads where that fits (d2b8: 64 + 64 bytes a token, 256 threads).
     */
    @ParameterizedTest
    @CsvSource({"'vecinfer:k=d4b8,v=d4b8,r=16', 32, 128, 512, 32, 32", "'vecinfer:k=d8b8,v=d8b8,r=16', 32, 128, 512, 16, 16",
            "'vecinfer:k=d2b8,v=d2b8,r=16', 32, 128, 256, 64, 64", "'vecinfer:k=d8b8,v=d4b8,r=16', 32, 128, 512, 16, 32",
            "'vecinfer:k=d4b8,v=d4b8,r=16,scope=head', 64, 128, 512, 32, 32", "'vecinfer:k=d4b8,v=d4b8,r=16', 56, 128, 512, 32, 32",
            "'vecinfer:k=d4b8,v=d8b8,r=16', 32, 64, 512, 16, 8", "'vecinfer:k=d2b6,v=d4b8,r=16', 32, 128, 512, 64, 32"})
    void servesTheCommonConfigurations(String spec, int queryHeads, int headDim, int threads, int keySub, int valueSub) {
        FlatCodebooks flat = seededBooks(spec, new KvLayout(2, 8, queryHeads, headDim));
        assertTrue(VqMmaAttention.serves(flat), spec);
        VqAttentionKernel.Plan plan = VqMmaAttention.plan(flat, 8, 131056, H200_SMS, H200_SHARED);
        assertEquals(VqAttentionKernel.Variant.MMA, plan.variant());
        assertEquals(threads, plan.threads());
        int warps = threads / 32;
        long expected = 2L * 256 * 128 + 4L * (8 * headDim + 2 * warps * 8) + 3L * threads * (keySub + valueSub);
        assertEquals(expected, plan.sharedBytes());
        assertTrue(plan.sharedBytes() <= H200_SHARED);
        assertTrue(plan.chunkTokens() % 32 == 0 && (long) plan.splits() * plan.chunkTokens() >= 131056, plan.toString());
        assertEquals("vq_mma_attention_d" + headDim + "_k" + flat.keys().dims() + "_v" + flat.values().dims(), VqMmaAttention.kernelName(flat));
    }

    /** 12-bit codes, per-sub-space books, GQA 9, 1-dim values, head_dim 96: not served (the LUT or general kernel's). */
    @ParameterizedTest
    @CsvSource({"'vecinfer:k=d8b12,v=d8b12,r=16', 32, 128", "'vecinfer:k=d4b8,v=d4b8,r=16,scope=subspace', 32, 128",
            "'vecinfer:k=d4b8,v=d4b8,r=16', 72, 128", "'vecinfer:k=d4b8,v=d1b8,r=16', 32, 128", "'vecinfer:k=d4b8,v=d4b8,r=16,hadamard=off', 32, 96"})
    void leavesTheRest(String spec, int queryHeads, int headDim) {
        FlatCodebooks flat = seededBooks(spec, new KvLayout(1, 8, queryHeads, headDim));
        assertFalse(VqMmaAttention.serves(flat), spec);
        assertNull(VqMmaAttention.plan(flat, 8, 131056, H200_SMS, H200_SHARED));
    }
}
