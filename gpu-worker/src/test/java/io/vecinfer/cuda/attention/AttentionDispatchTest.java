package io.vecinfer.cuda.attention;

import io.vecinfer.cuda.attention.Fp16KvRing.AttentionKernel;
import io.vecinfer.kvcache.KvLayout;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** CPU: the ring's dispatch rule, the decode split plan and the parameter structs' Java mirrors. */
class AttentionDispatchTest {
    private static final KvLayout LLAMA = new KvLayout(1, 8, 32, 128), TINY = new KvLayout(1, 2, 4, 16);

    @Test
    void fewTokensDecodeManyPrefillOtherHeadSizesTakeTheWindowKernel() {
        assertEquals(AttentionKernel.SPLIT_KV_DECODE, Fp16KvRing.kernelFor(LLAMA, 1));
        assertEquals(AttentionKernel.SPLIT_KV_DECODE, Fp16KvRing.kernelFor(LLAMA, Fp16KvRing.MAX_DECODE_TOKENS));
        assertEquals(AttentionKernel.TENSOR_CORE_PREFILL, Fp16KvRing.kernelFor(LLAMA, Fp16KvRing.MAX_DECODE_TOKENS + 1));
        assertEquals(AttentionKernel.TENSOR_CORE_PREFILL, Fp16KvRing.kernelFor(new KvLayout(1, 2, 4, 64), 512));
        assertEquals(AttentionKernel.WINDOW, Fp16KvRing.kernelFor(TINY, 1));
        assertEquals(AttentionKernel.WINDOW, Fp16KvRing.kernelFor(TINY, 100));
        assertEquals(AttentionKernel.WINDOW, Fp16KvRing.kernelFor(new KvLayout(1, 2, 14, 256), 100));
    }

    @Test
    void decodePlanFillsTheGpuAndCoversEveryPosition() {
        // Llama-3.1-8B decode at 32k on 132 SMs: one wave of 2 CTAs per SM over 8 KV heads is 33 splits, of 993 positions.
        DecodeAttention.Plan plan = DecodeAttention.plan(LLAMA, 32767, 1, 0, 132);
        assertEquals(new DecodeAttention.Plan(1, 33, 993), plan);
        assertEquals(264, plan.ctas(LLAMA));
        // 1024 positions: at most 1024 / 256 = 4 splits.
        assertEquals(new DecodeAttention.Plan(1, 4, 256), DecodeAttention.plan(LLAMA, 1023, 1, 0, 132));
        // 131072: 33 splits (the SM target), covering the context with no empty split.
        plan = DecodeAttention.plan(LLAMA, 131071, 1, 0, 132);
        assertEquals(33, plan.splits());
        assertTrue((long) plan.splits() * plan.splitPositions() >= 131072 && (long) (plan.splits() - 1) * plan.splitPositions() < 131072, plan.toString());
        // A short context is one split (101 < 2 · 256); 4 tokens of a group of 4 are 16 rows, two blocks of 8, over
        // 1004 positions: 3 splits of 335.
        assertEquals(new DecodeAttention.Plan(1, 1, 101), DecodeAttention.plan(new KvLayout(1, 2, 4, 64), 100, 1, 0, 132));
        assertEquals(new DecodeAttention.Plan(2, 3, 335), DecodeAttention.plan(new KvLayout(1, 2, 8, 64), 1000, 4, 0, 132));
        // A VQ window R = 128 at position 5000 reads lo(5000) = 4864 onwards: 137 positions, one split.
        assertEquals(new DecodeAttention.Plan(1, 1, 137), DecodeAttention.plan(LLAMA, 5000, 1, 128, 132));
    }

    @Test
    void parameterStructsHaveTheirCSize() {
        // The sizes the .cu files' static_asserts state: a field added on one side only changes one of them.
        KvLayout layout = new KvLayout(1, 2, 4, 64);
        assertEquals(72, PrefillAttention.params(null, null, null, null, null, 0, 1, 1, 0, layout, 1f).size());
        assertEquals(104, DecodeAttention.params(null, null, null, null, null, null, null, null, 0, 1, 1, 0, layout,
                new DecodeAttention.Plan(1, 1, 1), 1f).size());
    }
}
