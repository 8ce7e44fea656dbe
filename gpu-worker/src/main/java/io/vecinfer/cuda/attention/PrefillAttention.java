package io.vecinfer.cuda.attention;

import io.vecinfer.cuda.CudaDevice;
import io.vecinfer.cuda.DeviceBuffer;
import io.vecinfer.cuda.KernelParams;
import io.vecinfer.kvcache.KvLayout;

/**
 * The attention_prefill family (attention_prefill.cu): flash attention on tensor cores for many query tokens over
 * the fp16 ring, with exactly the semantics of {@link WindowAttention#attend} (CPU reference:
 * {@link WindowAttention#attendReference}). (query token, head of the GQA group) pairs of one KV head fill the 64 or
 * 128 rows of a CTA ({@link Rows}), so each K/V tile is staged once per group. Queries are rounded to fp16 once (unscaled) and the
 * probabilities P to fp16 for the P·V product; scores, softmax and accumulation are fp32.
 */
public final class PrefillAttention {
    static final int BLOCK_N = 64; // as in attention_prefill.cu

    /** A CTA's rows: 64 (4 warps, attend_prefill_d*) or 128 (8 warps, attend_prefill_d*_m128); the same sums either way. */
    public enum Rows {
        M64(4, ""), M128(8, "_m128");

        final int warps;
        final String suffix;

        Rows(int warps, String suffix) {
            this.warps = warps;
            this.suffix = suffix;
        }

        int rows() {
            return 16 * warps;
        }
    }

    /**
     * 128-row CTAs by default: 0.708 against 0.770 ms for the 8B's causal 4096-token prefill on the H200
     * (fp16-attention-prefill-rows-h200.json); -Dvecinfer.prefill.rows=M64 for comparisons.
     */
    private static final Rows DEFAULT_ROWS = Rows.valueOf(System.getProperty("vecinfer.prefill.rows", "M128"));

    private final CudaDevice device;
    private final Rows rows;

    public PrefillAttention(CudaDevice device) {
        this(device, DEFAULT_ROWS);
    }

    public PrefillAttention(CudaDevice device, Rows rows) {
        this.device = device;
        this.rows = rows;
    }

    public Rows rows() {
        return rows;
    }

    /** Head sizes with an instantiation of the kernel. */
    public static boolean supports(int headDim) {
        return headDim == 64 || headDim == 128;
    }

    /** Dynamic shared memory of one CTA: Q[rows][D] + double-buffered K and V [2][BLOCK_N][D], all fp16. */
    static int sharedBytes(Rows rows, int headDim) {
        return (rows.rows() + 4 * BLOCK_N) * headDim * Short.BYTES;
    }

    /** See {@link WindowAttention#attend}; head_dim must be 64 or 128 ({@link #supports}). */
    public void attend(DeviceBuffer.Slice q, DeviceBuffer keyRing, DeviceBuffer valueRing, KvLayout layout, int capacity, int window,
                       int start, int tokens, float scale, DeviceBuffer.Slice out, DeviceBuffer.Slice lse) {
        if (!supports(layout.headDim())) throw new IllegalArgumentException("the prefill kernel has head_dim 64 and 128, not " + layout.headDim());
        int pairs = tokens * layout.groupSize();
        device.module("attention_prefill").kernel("attend_prefill_d" + layout.headDim() + rows.suffix)
                .launch((pairs + rows.rows() - 1) / rows.rows(), layout.kvHeads(), 1, 32 * rows.warps, sharedBytes(rows, layout.headDim()),
                        params(q, keyRing, valueRing, out, lse, start, tokens, capacity, window, layout, scale));
    }

    /** The mirror of PrefillParams (attention_prefill.cu), field by field: 72 bytes, as its static_assert says. */
    static KernelParams params(Object q, Object keyRing, Object valueRing, Object out, Object lse, int start, int tokens, int capacity,
                               int window, KvLayout layout, float scale) {
        return new KernelParams().pointer(q).pointer(keyRing).pointer(valueRing).pointer(out).pointer(lse)
                .i32(start).i32(tokens).i32(capacity).i32(window).i32(layout.queryHeads()).i32(layout.kvHeads()).f32(scale);
    }
}
