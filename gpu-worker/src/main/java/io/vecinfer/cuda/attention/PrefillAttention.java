package io.vecinfer.cuda.attention;

import io.vecinfer.cuda.CudaDevice;
import io.vecinfer.cuda.DeviceBuffer;
import io.vecinfer.cuda.KernelParams;
import io.vecinfer.kvcache.KvLayout;

/**
 * The attention_prefill family (attention_prefill.cu): flash attention on tensor cores for many query tokens over
 * the fp16 ring, with exactly the semantics of {@link WindowAttention#attend} (CPU reference:
 * {@link WindowAttention#attendReference}). (query token, head of the GQA group) pairs of one KV head fill the 64
 * rows of a CTA, so each K/V tile is staged once per group. Queries are rounded to fp16 once (unscaled) and the
 * probabilities P to fp16 for the P·V product; scores, softmax and accumulation are fp32.
 */
public final class PrefillAttention {
    static final int BLOCK_M = 64, BLOCK_N = 64, THREADS = 128; // as in attention_prefill.cu

    private final CudaDevice device;

    public PrefillAttention(CudaDevice device) {
        this.device = device;
    }

    /** Head sizes with an instantiation of the kernel. */
    public static boolean supports(int headDim) {
        return headDim == 64 || headDim == 128;
    }

    /** Dynamic shared memory of one CTA: Q[BLOCK_M][D] + double-buffered K and V [2][BLOCK_N][D], all fp16. */
    static int sharedBytes(int headDim) {
        return (BLOCK_M + 4 * BLOCK_N) * headDim * Short.BYTES;
    }

    /** See {@link WindowAttention#attend}; head_dim must be 64 or 128 ({@link #supports}). */
    public void attend(DeviceBuffer.Slice q, DeviceBuffer keyRing, DeviceBuffer valueRing, KvLayout layout, int capacity, int window,
                       int start, int tokens, float scale, DeviceBuffer.Slice out, DeviceBuffer.Slice lse) {
        if (!supports(layout.headDim())) throw new IllegalArgumentException("the prefill kernel has head_dim 64 and 128, not " + layout.headDim());
        int pairs = tokens * layout.groupSize();
        device.module("attention_prefill").kernel("attend_prefill_d" + layout.headDim())
                .launch((pairs + BLOCK_M - 1) / BLOCK_M, layout.kvHeads(), 1, THREADS, sharedBytes(layout.headDim()),
                        params(q, keyRing, valueRing, out, lse, start, tokens, capacity, window, layout, scale));
    }

    /** The mirror of PrefillParams (attention_prefill.cu), field by field: 72 bytes, as its static_assert says. */
    static KernelParams params(Object q, Object keyRing, Object valueRing, Object out, Object lse, int start, int tokens, int capacity,
                               int window, KvLayout layout, float scale) {
        return new KernelParams().pointer(q).pointer(keyRing).pointer(valueRing).pointer(out).pointer(lse)
                .i32(start).i32(tokens).i32(capacity).i32(window).i32(layout.queryHeads()).i32(layout.kvHeads()).f32(scale);
    }
}
