package io.vecinfer.cuda.vq;

import io.vecinfer.kvcache.KvLayout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static io.vecinfer.cuda.vq.VqTestInputs.H200_SHARED;
import static io.vecinfer.cuda.vq.VqTestInputs.H200_SMS;
import static io.vecinfer.cuda.vq.VqTestInputs.seededBooks;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which kernel serves which configuration, the LUT kernel's shared memory and splits, and the params struct's layout. */
class VqAttentionPlannerTest {
    private static final KvLayout LLAMA = new KvLayout(2, 8, 32, 128);

    /**
     * Llama-3.1-8B heads: the table [words][KS] of 8 bytes, 8 value book copies of words × dims floats, the queries [4][128],
     * weights [warp][32][4], warp maxima and sums, the block's 8 floats, two tiles of T tokens' key and value codes.
     */
    @ParameterizedTest
    @CsvSource({"'vecinfer:k=d4b8,v=d4b8,r=16', 512, 32, 32", "'vecinfer:k=d8b8,v=d8b8,r=16', 512, 16, 16",
            "'vecinfer:k=d2b8,v=d2b8,r=16', 256, 64, 64", "'vecinfer:k=d8b8,v=d4b8,r=16', 512, 16, 32",
            "'vecinfer:k=d4b8,v=d4b8,r=16,scope=head', 512, 32, 32", "'vecinfer:k=d4b8,v=d8b8,r=16,smooth=off', 512, 32, 16"})
    void lutServesTheCommonConfigurations(String spec, int threads, int keySub, int valueSub) {
        FlatCodebooks flat = seededBooks(spec, LLAMA);
        VqAttentionKernel.Plan plan = VqAttentionPlanner.best(flat, 8, 131056, H200_SMS, H200_SHARED, true);
        assertEquals(VqAttentionKernel.Variant.LUT, plan.variant(), plan.toString());
        assertEquals(threads, plan.threads());
        int warps = threads / 32, dims = 128 / valueSub;
        long expected = 256L * keySub * 8 + 256L * dims * 8 * 4 + 4L * (4 * 128 + warps * 32 * 4 + 2 * warps * 4 + 8) + 2L * threads * (keySub + valueSub);
        assertEquals(expected, plan.sharedBytes());
        assertTrue(plan.sharedBytes() <= H200_SHARED);
        assertTrue(plan.chunkTokens() % VqAttentionPlanner.LUT_CHUNK_QUANTUM == 0 && (long) plan.splits() * plan.chunkTokens() >= 131056,
                plan.toString());
        VqAttentionKernel.Plan half = VqAttentionPlanner.lutHalfValues(flat, 8, 131056, H200_SMS, H200_SHARED);
        if (flat.values().dims() >= 2) { // the fp16 value path: 512 threads as well now, the same shared memory
            assertEquals(VqAttentionKernel.Variant.LUT_HALF_VALUES, half.variant());
            assertEquals(threads, half.threads());
            assertEquals(expected, half.sharedBytes());
        } else {
            assertNull(half);
        }
    }

    /** GQA 7 (group > 4), 12-bit codes, per-sub-space value books, 8 key sub-spaces: the general kernel. */
    @ParameterizedTest
    @CsvSource({"'vecinfer:k=d4b8,v=d4b8,r=16', 56", "'vecinfer:k=d8b12,v=d8b12,r=16', 32", "'vecinfer:k=d4b8,v=d4b8,r=16,scope=subspace', 32",
            "'vecinfer:k=d8b12,v=d8b8,r=16', 32"})
    void theGeneralKernelServesTheRest(String spec, int queryHeads) {
        FlatCodebooks flat = seededBooks(spec, new KvLayout(1, 8, queryHeads, 128));
        assertNull(VqAttentionPlanner.lut(flat, 8, 131056, H200_SMS, H200_SHARED));
        assertEquals(VqAttentionKernel.Variant.GENERAL, VqAttentionPlanner.best(flat, 8, 131056, H200_SMS, H200_SHARED, true).variant());
        // head_dim 64 with d8 keys: 8 key sub-spaces, too few for the lane skew
        assertNull(VqAttentionPlanner.lut(seededBooks("vecinfer:k=d8b8,v=d4b8,r=16", new KvLayout(1, 2, 8, 64)), 1, 4096, H200_SMS, H200_SHARED));
    }

    /** One block per SM (16 warps): at batch 8 the 64 (row, KV head) blocks split twice fill 128 of 132 SMs. */
    @Test
    void lutSplitsFillTheDevice() {
        FlatCodebooks flat = seededBooks("vecinfer:k=d4b8,v=d4b8,r=16", LLAMA);
        VqAttentionKernel.Plan plan = VqAttentionPlanner.lut(flat, 8, 131056, H200_SMS, H200_SHARED);
        assertEquals(2, plan.splits(), plan.toString());
        VqAttentionKernel.Plan one = VqAttentionPlanner.lut(flat, 1, 131056, H200_SMS, H200_SHARED);
        assertTrue(one.splits() >= 16, one.toString()); // 8 blocks per split: at least 128 blocks
        assertEquals(1, VqAttentionPlanner.lut(flat, 8, 1000, H200_SMS, H200_SHARED).splits());
        // batch 1 at 32k: 16 splits of 2048 tokens (128 blocks, one wave), not 13 of 2560 as whole tiles allowed
        VqAttentionKernel.Plan short1 = VqAttentionPlanner.lut(flat, 1, 32752, H200_SMS, H200_SHARED);
        assertEquals(16, short1.splits(), short1.toString());
        assertEquals(2048, short1.chunkTokens(), short1.toString());
        // never more blocks than one wave holds at these sizes, every token covered
        for (int rows : new int[]{1, 2, 4, 8, 16}) {
            for (int tokens : new int[]{4096, 32752, 131056, 196592}) {
                VqAttentionKernel.Plan p = VqAttentionPlanner.lut(flat, rows, tokens, H200_SMS, H200_SHARED);
                assertTrue((long) p.splits() * p.chunkTokens() >= tokens && (long) (p.splits() - 1) * p.chunkTokens() < tokens, p.toString());
                assertTrue(p.chunkTokens() % VqAttentionPlanner.LUT_CHUNK_QUANTUM == 0, p.toString());
                assertTrue(p.splits() == 1 || p.chunkTokens() >= VqAttentionPlanner.LUT_MIN_SPLIT_TOKENS, p.toString());
            }
        }
        // head_dim 512 (one token part): no fp16 value path, whose flush reduce-scatters over ≥ 2 token parts
        assertNull(VqAttentionPlanner.lutHalfValues(seededBooks("vecinfer:k=d4b8,v=d4b8,r=16", new KvLayout(1, 2, 8, 512)), 1, 4096, H200_SMS,
                H200_SHARED));
    }

    /** The Java mirror has the C struct's size (vq_attention_params.cuh static_asserts 208). */
    @Test
    void paramsMirrorTheStruct() {
        VqAttentionParams p = new VqAttentionParams(null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null,
                1, 0, 32, 8, 128, 0, 1, 1024, 16, 4, 8, 8, true, 1, 1, true, 512, 0, 0.088f);
        assertEquals(208, p.kernelParams().size());
        assertEquals(7, p.forPass(7, null).rowOffset());
    }
}
