package io.vecinfer.cuda.kivi;

import io.vecinfer.cuda.CudaDevice;
import io.vecinfer.cuda.DeviceBuffer;
import io.vecinfer.cuda.KernelParams;
import io.vecinfer.quant.ResidualWindow;

/**
 * Attention over a KIVI cache's encoded tokens with the dequantization fused (kivi_attention.cu): query token i at
 * position start + i attends positions [0, c(p)), c(p) = {@link ResidualWindow#compressedTokens}(p + 1, R), each key and
 * value rebuilt as zero + code · scale where it is read. Writes the normalised output and the log-sum-exp (0 and -inf
 * for a query with no encoded token) for the merge with the fp16 window. {@link #reference} is its arithmetic.
 */
public final class KiviAttentionKernel {
    static final int THREADS = 256, MAX_GROUP = 8; // as in kivi_attention.cu

    private final CudaDevice device;

    public KiviAttentionKernel(CudaDevice device) {
        this.device = device;
    }

    /**
     * @param q   tokens × queryHeads × headDim fp32, post-RoPE
     * @param out tokens × queryHeads × headDim fp32; lse tokens × queryHeads
     */
    public void launch(KiviEncodeKernel.Storage at, int layer, DeviceBuffer.Slice q, int start, int tokens, int queryHeads, float scale,
                       Object out, Object lse) {
        KiviLayout l = at.layout();
        if (queryHeads % l.kvHeads() != 0) throw new IllegalArgumentException(queryHeads + " query heads for " + l.kvHeads() + " KV heads");
        long last = ResidualWindow.compressedTokens((long) start + tokens, l.window());
        if (last > l.capacity()) throw new IllegalArgumentException("queries up to position " + (start + tokens - 1) + " read " + last + " tokens of " + l.capacity());
        int groupBlocks = (queryHeads / l.kvHeads() + MAX_GROUP - 1) / MAX_GROUP;
        device.module("kivi_attention").kernel("kivi_attend").launch(tokens, l.kvHeads(), groupBlocks, THREADS, 0,
                params(at, layer, q, out, lse, start, queryHeads, scale));
    }

    /** The mirror of KiviAttentionParams (kivi_attention.cu), field by field: 96 bytes, as its static_assert says. */
    static KernelParams params(KiviEncodeKernel.Storage at, int layer, Object q, Object out, Object lse, int start, int queryHeads, float scale) {
        KiviLayout l = at.layout();
        return new KernelParams().pointer(q).pointer(at.keyCodes()).pointer(at.valueCodes()).pointer(at.keyParams()).pointer(at.valueParams())
                .pointer(out).pointer(lse).i32(start).i32(layer).i32(queryHeads).i32(l.kvHeads()).i32(l.headDim()).i32(l.capacity())
                .i32(l.window()).i32(l.keyGroup()).i32(l.valueGroup()).f32(scale);
    }

    /**
     * The kernel on the host: fp32 scores q·k · scale over the dequantized keys, max-subtracted exponentials, output
     * Σ p·v / Σ p over the dequantized values and lse = max + ln Σ p. The kernel visits the same terms tile by tile with
     * an online max, so only rounding differs.
     */
    public static void reference(KiviLayout l, byte[] keyCodes, byte[] valueCodes, float[] keyParams, float[] valueParams, int layer,
                                 float[] q, int start, int tokens, int queryHeads, float scale, float[] out, float[] lse) {
        int d = l.headDim(), group = queryHeads / l.kvHeads();
        float[] key = new float[d], value = new float[d];
        for (int i = 0; i < tokens; i++) {
            int n = (int) ResidualWindow.compressedTokens((long) start + i + 1, l.window()); // c(p), p = start + i
            for (int h = 0; h < queryHeads; h++) {
                int head = h / group, qo = (i * queryHeads + h) * d;
                float[] scores = new float[n];
                float max = Float.NEGATIVE_INFINITY;
                for (int j = 0; j < n; j++) {
                    dequantizeKey(l, keyCodes, keyParams, layer, head, j, key);
                    float dot = 0f;
                    for (int c = 0; c < d; c++) dot += q[qo + c] * key[c];
                    scores[j] = dot * scale;
                    max = Math.max(max, scores[j]);
                }
                float sum = 0f;
                float[] acc = new float[d];
                for (int j = 0; j < n; j++) {
                    float p = (float) Math.exp(scores[j] - max);
                    sum += p;
                    dequantizeValue(l, valueCodes, valueParams, layer, head, j, value);
                    for (int c = 0; c < d; c++) acc[c] += p * value[c];
                }
                for (int c = 0; c < d; c++) out[qo + c] = n == 0 ? 0f : acc[c] / sum;
                lse[i * queryHeads + h] = n == 0 ? Float.NEGATIVE_INFINITY : max + (float) Math.log(sum);
            }
        }
    }

    static void dequantizeKey(KiviLayout l, byte[] codes, float[] params, int layer, int head, int position, float[] out) {
        for (int c = 0; c < l.headDim(); c++) {
            int at = (int) l.keyParamIndex(layer, head, position, c);
            out[c] = KiviEncodeKernel.decode(codes[(int) l.codeIndex(layer, head, position, c)] & 0xff, params[at], params[at + 1]);
        }
    }

    static void dequantizeValue(KiviLayout l, byte[] codes, float[] params, int layer, int head, int position, float[] out) {
        for (int c = 0; c < l.headDim(); c++) {
            int at = (int) l.valueParamIndex(layer, head, position, c);
            out[c] = KiviEncodeKernel.decode(codes[(int) l.codeIndex(layer, head, position, c)] & 0xff, params[at], params[at + 1]);
        }
    }
}
