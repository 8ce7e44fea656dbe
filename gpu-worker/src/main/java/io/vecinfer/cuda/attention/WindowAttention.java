package io.vecinfer.cuda.attention;

import io.vecinfer.cuda.CudaDevice;
import io.vecinfer.cuda.DeviceBuffer;
import io.vecinfer.kvcache.KvLayout;
import io.vecinfer.quant.ResidualWindow;
import io.vecinfer.tensor.Half;

/**
 * The attention_window family (attention_window.cu): fp16 ring buffers of keys and values, slot = position %
 * capacity, and softmax attention of new query tokens over the ring's positions [lo(p), p], where
 * lo(p) = 0 for window 0 (the whole history) and {@link ResidualWindow#compressedTokens}(p + 1, window)
 * otherwise (the residual window of a VQ cache). It also writes each head's log-sum-exp, for merging.
 */
public final class WindowAttention {
    static final int MAX_GROUP = 8, MAX_HEAD_DIM = 256, THREADS = 256; // as in attention_window.cu

    private final CudaDevice device;

    public WindowAttention(CudaDevice device) {
        this.device = device;
    }

    /** Whether the kernel handles this head size: a multiple of 8 (16-byte key loads) up to 256. */
    public static void checkHeadDim(int headDim) {
        if (headDim % 8 != 0 || headDim > MAX_HEAD_DIM) {
            throw new IllegalArgumentException("the CUDA attention kernel needs head_dim a multiple of 8 up to "
                    + MAX_HEAD_DIM + ", not " + headDim);
        }
    }

    /** Rounds {@code tokens} rows of k and v (kvHeads × headDim floats each) to fp16 into ring slots (start + t) % capacity. */
    public void store(DeviceBuffer.Slice k, DeviceBuffer.Slice v, DeviceBuffer keyRing, DeviceBuffer valueRing, KvLayout layout,
                      int capacity, int start, int tokens) {
        int width = layout.tokenWidth();
        device.module("attention_window").kernel("store_kv")
                .launch((width + THREADS - 1) / THREADS, tokens, 1, THREADS, 0, k, v, keyRing, valueRing, start, capacity, width);
    }

    /**
     * For query token i < tokens (position start + i) and query head h: out[i][h] = softmax(q·kᵀ · scale) · v over
     * ring positions [lo, start + i] of KV head h / group, and lse[i][h] = ln Σ exp(score) (lse may be null).
     * q and out hold tokens × queryHeads × headDim floats.
     */
    public void attend(DeviceBuffer.Slice q, DeviceBuffer keyRing, DeviceBuffer valueRing, KvLayout layout, int capacity, int window,
                       int start, int tokens, float scale, DeviceBuffer.Slice out, DeviceBuffer.Slice lse) {
        checkHeadDim(layout.headDim());
        int groupBlocks = (layout.groupSize() + MAX_GROUP - 1) / MAX_GROUP;
        device.module("attention_window").kernel("attend_window").launch(tokens, layout.kvHeads(), groupBlocks, THREADS, 0,
                q, keyRing, valueRing, out, lse, start, capacity, window, layout.queryHeads(), layout.kvHeads(), layout.headDim(), scale);
    }

    /** store_kv's arithmetic: round to nearest even fp16 (as __float2half_rn), into rings of capacity × width fp16 bits. */
    public static void storeReference(float[] k, float[] v, short[] keyRing, short[] valueRing, KvLayout layout, int capacity,
                                      int start, int tokens) {
        int width = layout.tokenWidth();
        for (int t = 0; t < tokens; t++) {
            int slot = (start + t) % capacity;
            for (int e = 0; e < width; e++) {
                keyRing[slot * width + e] = Half.fromFloat(k[t * width + e]);
                valueRing[slot * width + e] = Half.fromFloat(v[t * width + e]);
            }
        }
    }

    /** First position a query at {@code position} attends: what a windowed cache still holds in fp16 after appending it. */
    public static long windowStart(long position, int window) {
        return window == 0 ? 0 : ResidualWindow.compressedTokens(position + 1, window);
    }

    /**
     * attend_window's arithmetic in plain form: fp32 scores q·k · scale over the fp16 keys, max-subtracted exponentials,
     * fp32 sums, output Σ p·v / Σ p and lse = max + ln Σ p. The kernel visits the same terms tile by tile with an
     * online max, so only rounding differs. Writes out (tokens × queryHeads × headDim) and lse (tokens × queryHeads).
     */
    public static void attendReference(float[] q, short[] keyRing, short[] valueRing, KvLayout layout, int capacity, int window,
                                       int start, int tokens, float scale, float[] out, float[] lse) {
        int d = layout.headDim(), width = layout.tokenWidth(), heads = layout.queryHeads();
        for (int i = 0; i < tokens; i++) {
            int position = start + i;
            int lo = (int) windowStart(position, window), n = position + 1 - lo;
            for (int h = 0; h < heads; h++) {
                int kvBase = (h / layout.groupSize()) * d, qo = (i * heads + h) * d;
                float[] scores = new float[n];
                float max = Float.NEGATIVE_INFINITY;
                for (int t = 0; t < n; t++) {
                    int slot = (lo + t) % capacity;
                    float dot = 0f;
                    for (int c = 0; c < d; c++) dot += q[qo + c] * Half.toFloat(keyRing[slot * width + kvBase + c]);
                    scores[t] = dot * scale;
                    max = Math.max(max, scores[t]);
                }
                float sum = 0f;
                float[] acc = new float[d];
                for (int t = 0; t < n; t++) {
                    float p = (float) Math.exp(scores[t] - max);
                    sum += p;
                    int slot = (lo + t) % capacity;
                    for (int c = 0; c < d; c++) acc[c] += p * Half.toFloat(valueRing[slot * width + kvBase + c]);
                }
                for (int c = 0; c < d; c++) out[qo + c] = acc[c] * (1f / sum);
                if (lse != null) lse[i * heads + h] = max + (float) Math.log(sum);
            }
        }
    }
}
