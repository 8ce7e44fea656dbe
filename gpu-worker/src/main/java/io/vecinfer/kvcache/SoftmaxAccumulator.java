package io.vecinfer.kvcache;

import io.vecinfer.tensor.FloatMath;

import java.util.Arrays;

/**
 * Online softmax for one query head (Flash-Attention style): keeps the running max m, the running sum
 * l of exp(s - m) and the unnormalised output. Two accumulators over disjoint token sets merge exactly
 * by log-sum-exp, which is how a compressed part and an fp16 residual window are combined.
 */
public final class SoftmaxAccumulator {
    private final float[] acc;
    private float max = Float.NEGATIVE_INFINITY;
    private float sum;

    public SoftmaxAccumulator(int headDim) {
        acc = new float[headDim];
    }

    public void reset() {
        Arrays.fill(acc, 0f);
        max = Float.NEGATIVE_INFINITY;
        sum = 0f;
    }

    /** Rescales the state so that a score up to {@code score} can be added; returns exp(score - max). */
    public float weightFor(float score) {
        if (score > max) {
            float rescale = max == Float.NEGATIVE_INFINITY ? 0f : (float) Math.exp(max - score);
            for (int i = 0; i < acc.length; i++) acc[i] *= rescale;
            sum *= rescale;
            max = score;
            sum += 1f;
            return 1f;
        }
        float w = (float) Math.exp(score - max);
        sum += w;
        return w;
    }

    /** Adds a token with the given score and value vector. */
    public void add(float score, float[] value, int valueOffset) {
        FloatMath.axpy(weightFor(score), value, valueOffset, acc, 0, acc.length);
    }

    /** The unnormalised output, for callers that add w × (decoded value) themselves after {@link #weightFor}. */
    public float[] accumulator() {
        return acc;
    }

    public void merge(SoftmaxAccumulator other) {
        if (other.max == Float.NEGATIVE_INFINITY) return;
        if (max == Float.NEGATIVE_INFINITY) {
            System.arraycopy(other.acc, 0, acc, 0, acc.length);
            max = other.max;
            sum = other.sum;
            return;
        }
        float m = Math.max(max, other.max);
        float a = (float) Math.exp(max - m), b = (float) Math.exp(other.max - m);
        for (int i = 0; i < acc.length; i++) acc[i] = acc[i] * a + other.acc[i] * b;
        sum = sum * a + other.sum * b;
        max = m;
    }

    /** Writes the normalised output; an empty accumulator writes zeros. */
    public void finish(float[] out, int outOffset) {
        float inv = sum == 0f ? 0f : 1f / sum;
        for (int i = 0; i < acc.length; i++) out[outOffset + i] = acc[i] * inv;
    }

    public float logSumExp() {
        return max + (float) Math.log(sum);
    }
}
