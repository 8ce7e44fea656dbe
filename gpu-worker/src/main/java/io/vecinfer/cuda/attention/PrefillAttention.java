package io.vecinfer.cuda.attention;

import io.vecinfer.cuda.CudaDevice;
import io.vecinfer.cuda.DeviceBuffer;
import io.vecinfer.cuda.KernelParams;
import io.vecinfer.kvcache.KvLayout;

/**
 * Flash attention on tensor cores for many query tokens over the fp16 ring, with exactly the semantics of
 * {@link WindowAttention#attend} (CPU reference: {@link WindowAttention#attendReference}), in one of two kernel families
 * ({@link Kernel}): attention_prefill.cu on mma.sync (any CUDA device of the build, head_dim 64 and 128) and
 * attention_prefill_wgmma.cu on Hopper's wgmma (compute capability 9.0, head_dim 128). (query token, head of the GQA
 * group) pairs of one KV head fill the 64 or 128 rows of a CTA, so each K/V tile is staged once per group. Queries are
 * rounded to fp16 once (unscaled) and the probabilities P to fp16 for the P·V product; scores, softmax and accumulation
 * are fp32. Both families share their parameters (PrefillParams) and their per-row softmax (attention_prefill_rows.cuh).
 */
public final class PrefillAttention {
    /** Which kernel runs a call: its module, name, CTA shape and shared memory. */
    public enum Kernel {
        /** mma.sync, 4 warps of 16 rows, key tiles of 64 positions (attend_prefill_d*). */
        MMA_M64("attention_prefill", "", 64, 128, 64),
        /** mma.sync, 8 warps of 16 rows (attend_prefill_d*_m128): the same sums as MMA_M64 without a window. */
        MMA_M128("attention_prefill", "_m128", 128, 256, 64),
        /**
         * wgmma, 2 warpgroups of 64 rows, key tiles of 128 positions in 3 stages, each thread copying its share of the
         * next tile before a tile's products (attend_prefill_wgmma_d128); where it cannot run (head_dim 64, or a device
         * other than compute capability 9.0) a call takes MMA_M128, as for every WGMMA_* below.
         */
        WGMMA("attention_prefill_wgmma", "", 128, 256, 128),
        /** WGMMA, the next tile copied after a tile's products are issued (attend_prefill_wgmma_lc_d128). */
        WGMMA_LC("attention_prefill_wgmma", "_lc", 128, 256, 128),
        /** K copied two tiles ahead and V in its own tile, after a tile's products are issued (_ka). */
        WGMMA_KA("attention_prefill_wgmma", "_ka", 128, 256, 128),
        /** WGMMA_KA, the warpgroups issuing their products in turn, one's softmax under the other's (_pp). */
        WGMMA_PP("attention_prefill_wgmma", "_pp", 128, 256, 128),
        /** A third, producer warpgroup copies every tile; the two compute only, with setmaxnreg's registers (_ws). */
        WGMMA_WS("attention_prefill_wgmma", "_ws", 128, 384, 128),
        /** WGMMA_WS, its consumers issuing their products in turn (_wp). */
        WGMMA_WP("attention_prefill_wgmma", "_wp", 128, 384, 128);

        final String module, suffix;
        final int rows, threads, blockN;

        Kernel(String module, String suffix, int rows, int threads, int blockN) {
            this.module = module;
            this.suffix = suffix;
            this.rows = rows;
            this.threads = threads;
            this.blockN = blockN;
        }

        private boolean hopper() {
            return module.equals("attention_prefill_wgmma");
        }

        /** Whether this kernel itself runs head_dim {@code headDim} on a device of {@code computeCapability} (e.g. 90). */
        public boolean runs(int headDim, int computeCapability) {
            return hopper() ? headDim == 128 && computeCapability == 90 : headDim == 64 || headDim == 128;
        }

        /** This kernel where it runs, else the one a call takes in its place. */
        Kernel on(int headDim, int computeCapability) {
            return runs(headDim, computeCapability) ? this : MMA_M128;
        }

        String name(int headDim) {
            return hopper() ? "attend_prefill_wgmma" + suffix + "_d" + headDim : "attend_prefill_d" + headDim + suffix;
        }

        /**
         * Dynamic shared memory of one CTA. mma.sync: Q[rows][D] + double-buffered K and V [2][BLOCK_N][D]; wgmma:
         * Q + 3 stages of K and V, plus 1024 bytes to align them and 12 mbarriers (attention_prefill_wgmma.cu).
         */
        int sharedBytes(int headDim) {
            if (hopper()) return 1024 + (rows + 3 * 2 * blockN) * headDim * Short.BYTES + 12 * 8;
            return (rows + 4 * blockN) * headDim * Short.BYTES;
        }
    }

    /**
     * wgmma by default where it runs (else MMA_M128): on the H200, the 8B's causal prefill of 32768 tokens took 17.6 ms
     * against WGMMA_LC's 17.9, WGMMA_KA's 17.9, WGMMA_PP's 18.0 and MMA_M128's 34.6 (4096 tokens: 0.374 against
     * 0.362, 0.349, 0.346 and 0.630), SDPA 15.3 and 0.283 in the same call (fp16-attention-prefill-schedules-h200.json,
     * call 3); -Dvecinfer.prefill.kernel=NAME for comparisons.
     */
    private static final Kernel DEFAULT_KERNEL = Kernel.valueOf(System.getProperty("vecinfer.prefill.kernel", "WGMMA"));

    private final CudaDevice device;
    private final Kernel kernel;

    public PrefillAttention(CudaDevice device) {
        this(device, DEFAULT_KERNEL);
    }

    public PrefillAttention(CudaDevice device, Kernel kernel) {
        this.device = device;
        this.kernel = kernel;
    }

    public Kernel kernel() {
        return kernel;
    }

    /** Head sizes with an instantiation of a prefill kernel. */
    public static boolean supports(int headDim) {
        return headDim == 64 || headDim == 128;
    }

    /** The kernel a call with this head size runs on this device: this instance's, or MMA_M128 where that one cannot. */
    public Kernel kernelFor(int headDim) {
        return kernel.on(headDim, device.computeCapability());
    }

    /** See {@link WindowAttention#attend}; head_dim must be 64 or 128 ({@link #supports}). */
    public void attend(DeviceBuffer.Slice q, DeviceBuffer keyRing, DeviceBuffer valueRing, KvLayout layout, int capacity, int window,
                       int start, int tokens, float scale, DeviceBuffer.Slice out, DeviceBuffer.Slice lse) {
        if (!supports(layout.headDim())) throw new IllegalArgumentException("the prefill kernel has head_dim 64 and 128, not " + layout.headDim());
        int pairs = tokens * layout.groupSize(), d = layout.headDim();
        Kernel k = kernelFor(d);
        device.module(k.module).kernel(k.name(d)).launch((pairs + k.rows - 1) / k.rows, layout.kvHeads(), 1, k.threads, k.sharedBytes(d),
                params(q, keyRing, valueRing, out, lse, start, tokens, capacity, window, layout, scale));
    }

    /** The mirror of PrefillParams (attention_prefill_rows.cuh), field by field: 72 bytes, as its static_assert says. */
    static KernelParams params(Object q, Object keyRing, Object valueRing, Object out, Object lse, int start, int tokens, int capacity,
                               int window, KvLayout layout, float scale) {
        return new KernelParams().pointer(q).pointer(keyRing).pointer(valueRing).pointer(out).pointer(lse)
                .i32(start).i32(tokens).i32(capacity).i32(window).i32(layout.queryHeads()).i32(layout.kvHeads()).f32(scale);
    }
}
