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
     * four stages of 32 tokens' key and value codes per warp (three with a d2 side); 512 threads where that fits (d2b8:
     * 64 + 64 bytes a token, 256 threads).
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
        long expected = 2L * 256 * 128 + 4L * (8 * headDim + 2 * warps * 8) + (flat.keys().dims() == 2 || flat.values().dims() == 2 ? 3L : 4L) * threads * (keySub + valueSub);
        assertEquals(expected, plan.sharedBytes());
        assertTrue(plan.sharedBytes() <= H200_SHARED);
        assertTrue(plan.chunkTokens() % 32 == 0 && (long) plan.splits() * plan.chunkTokens() >= 131056, plan.toString());
        assertEquals("vq_mma_attention_d" + headDim + "_k" + flat.keys().dims() + "_v" + flat.values().dims(), VqMmaAttention.kernelName(flat));
    }

    /**
     * Wide d8 books (MMA_WIDE): one fp16 copy of 4096 × 16 bytes per wide side, a copied side's 32 KB, q̃ and the warps' (m, l),
     * stages of uint16 codes for a wide side and uint8 for a copied one; two stages per warp when both sides are wide (three
     * would need 234,496 bytes at 512 threads), three with one wide side. Llama-3.1-8B heads, GQA 7 and 8, head_dim 64.
     */
    @ParameterizedTest
    @CsvSource({"'vecinfer:k=d8b12,v=d8b12,r=16', 32, 128, 201728, 2, _k8w_v8w", "'vecinfer:k=d8b12,v=d8b8,r=16', 32, 128, 177152, 3, _k8w_v8",
            "'vecinfer:k=d8b12,v=d4b8,r=16', 32, 128, 201728, 3, _k8w_v4", "'vecinfer:k=d4b8,v=d8b12,r=16', 32, 128, 201728, 3, _k4_v8w",
            "'vecinfer:k=d8b8,v=d8b12,r=16,scope=head', 56, 128, 177152, 3, _k8_v8w", "'vecinfer:k=d8b12,v=d8b12,r=16', 64, 64, 166912, 2, _k8w_v8w",
            "'vecinfer:k=d8b10,v=d8b12,r=16', 32, 128, 201728, 2, _k8w_v8w"})
    void servesWideBooks(String spec, int queryHeads, int headDim, long shared, int stages, String suffix) {
        FlatCodebooks flat = seededBooks(spec, new KvLayout(2, 8, queryHeads, headDim));
        assertTrue(VqMmaAttention.serves(flat), spec);
        assertEquals(stages, VqMmaAttention.stages(flat));
        VqAttentionKernel.Plan plan = VqMmaAttention.plan(flat, 8, 131056, H200_SMS, H200_SHARED);
        assertEquals(VqAttentionKernel.Variant.MMA_WIDE, plan.variant());
        assertEquals(512, plan.threads());
        assertEquals(shared, plan.sharedBytes());
        assertEquals(shared, VqMmaAttention.sharedBytes(flat, 512));
        int warps = 16, ks = headDim / flat.keys().dims(), vs = headDim / flat.values().dims();
        long books = (flat.keys().bits() > 8 ? 65536 : 32768) + (flat.values().bits() > 8 ? 65536 : 32768);
        long tokenBytes = (long) ks * (flat.keys().bits() > 8 ? 2 : 1) + (long) vs * (flat.values().bits() > 8 ? 2 : 1);
        assertEquals(books + 4L * (8 * headDim + 2 * warps * 8) + (long) stages * 512 * tokenBytes, shared);
        assertTrue(plan.chunkTokens() % 32 == 0 && (long) plan.splits() * plan.chunkTokens() >= 131056, plan.toString());
        assertEquals("vq_mma_attention_d" + headDim + suffix, VqMmaAttention.kernelName(flat));
    }

    /**
     * What serves what: the MMA family's plan (kernel.mmaPlan) and the decoder's plan (VqAttentionPlanner.best, unchanged:
     * LUT or general until the device has timed mma and mma_wide). d8b12 and k=d8b12,v=d8b8 go to MMA_WIDE; k=d4b8,v=d8b8
     * (both sides copied) to MMA; the decoder keeps the general kernel for the wide books.
     */
    @ParameterizedTest
    @CsvSource({"'vecinfer:k=d4b8,v=d4b8,r=16', MMA, LUT", "'vecinfer:k=d8b8,v=d8b8,r=16', MMA, LUT",
            "'vecinfer:k=d8b12,v=d8b12,r=16', MMA_WIDE, GENERAL", "'vecinfer:k=d8b12,v=d8b8,r=16', MMA_WIDE, GENERAL",
            "'vecinfer:k=d4b8,v=d8b8,r=16', MMA, LUT", "'vecinfer:k=d8b8,v=d8b12,r=16', MMA_WIDE, GENERAL",
            "'vecinfer:k=d4b8,v=d8b12,r=16', MMA_WIDE, GENERAL"})
    void routesEachConfiguration(String spec, VqAttentionKernel.Variant mma, VqAttentionKernel.Variant decoder) {
        FlatCodebooks flat = seededBooks(spec, new KvLayout(2, 8, 32, 128));
        assertEquals(mma, VqMmaAttention.plan(flat, 8, 131056, H200_SMS, H200_SHARED).variant(), spec);
        assertEquals(mma, VqMmaAttention.variant(flat), spec);
        assertEquals(decoder, VqAttentionPlanner.best(flat, 8, 131056, H200_SMS, H200_SHARED, true).variant(), spec);
    }

    /**
     * Per-sub-space books, GQA 9, 1-dim values, head_dim 96; wide books only at d8 with ≤ 12 bits and beside d4 or d8: d4b12
     * keys, d8b12 beside d2 values or keys, d8b13. Not served (the LUT or general kernel's).
     */
    @ParameterizedTest
    @CsvSource({"'vecinfer:k=d4b8,v=d4b8,r=16,scope=subspace', 32, 128",
            "'vecinfer:k=d4b8,v=d4b8,r=16', 72, 128", "'vecinfer:k=d4b8,v=d1b8,r=16', 32, 128", "'vecinfer:k=d4b8,v=d4b8,r=16,hadamard=off', 32, 96",
            "'vecinfer:k=d4b12,v=d4b8,r=16', 32, 128", "'vecinfer:k=d8b12,v=d2b8,r=16', 32, 128", "'vecinfer:k=d2b8,v=d8b12,r=16', 32, 128",
            "'vecinfer:k=d8b13,v=d8b8,r=16', 32, 128", "'vecinfer:k=d8b12,v=d8b12,r=16,scope=subspace', 32, 128"})
    void leavesTheRest(String spec, int queryHeads, int headDim) {
        FlatCodebooks flat = seededBooks(spec, new KvLayout(1, 8, queryHeads, headDim));
        assertFalse(VqMmaAttention.serves(flat), spec);
        assertNull(VqMmaAttention.plan(flat, 8, 131056, H200_SMS, H200_SHARED));
    }
}
