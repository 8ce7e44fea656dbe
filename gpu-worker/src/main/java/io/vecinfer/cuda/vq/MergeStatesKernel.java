package io.vecinfer.cuda.vq;

import io.vecinfer.cuda.CudaDevice;
import io.vecinfer.cuda.CudaKernel;
import io.vecinfer.cuda.DeviceBuffer;

/**
 * Log-sum-exp merge of attention states over disjoint token sets (merge_states / merge_splits in
 * vq_merge.cu). A state is one (row, query head): a normalised output o[headDim] and lse = m + log l.
 * o = Σ_p e^{lse_p − M} o_p / Σ_p e^{lse_p − M}, lse = M + log Σ_p e^{lse_p − M}, M = max_p lse_p; a part
 * with lse = −inf weighs nothing, and if every part is −inf the result is o = 0, lse = −inf.
 */
public final class MergeStatesKernel {
    static final int THREADS = 128;

    private final CudaKernel two;
    private final CudaKernel splits;

    public MergeStatesKernel(CudaDevice device) {
        two = device.module("vq_merge").kernel("merge_states");
        splits = device.module("vq_merge").kernel("merge_splits");
    }

    /** Merges two parts (e.g. compressed tokens and the fp16 window); o/lse may be o1/lse1 (in place). */
    public void launch(DeviceBuffer.Slice o1, DeviceBuffer lse1, DeviceBuffer o2, DeviceBuffer lse2, int states, int headDim,
                       DeviceBuffer.Slice o, DeviceBuffer lse) {
        two.launch(states, 1, 1, THREADS, 0, o1, lse1, o2, lse2, headDim, o, lse);
    }

    /** Merges {@code parts} partials laid out [part][state][headDim] and [part][state]; outputs must not alias them. */
    public void launchSplits(DeviceBuffer oParts, DeviceBuffer lseParts, int parts, int states, int headDim, DeviceBuffer o, DeviceBuffer lse) {
        splits.launch(states, 1, 1, THREADS, 0, oParts, lseParts, parts, (long) states, headDim, o, lse);
    }

    /** The kernel on the host for two parts in separate arrays. */
    public static void reference(float[] o1, float[] lse1, float[] o2, float[] lse2, int states, int headDim, float[] o, float[] lse) {
        merge(states, headDim, 2, (p, state) -> (p == 0 ? lse1 : lse2)[state], (p, state, d) -> (p == 0 ? o1 : o2)[state * headDim + d], o, lse);
    }

    /** The kernel on the host for {@code parts} partials in one array. */
    public static void referenceSplits(float[] oParts, float[] lseParts, int parts, int states, int headDim, float[] o, float[] lse) {
        merge(states, headDim, parts, (p, state) -> lseParts[p * states + state], (p, state, d) -> oParts[(p * states + state) * headDim + d], o, lse);
    }

    private interface Lse {
        float of(int part, int state);
    }

    private interface Output {
        float of(int part, int state, int d);
    }

    private static void merge(int states, int headDim, int parts, Lse lseOf, Output oOf, float[] o, float[] lse) {
        for (int state = 0; state < states; state++) {
            float m = Float.NEGATIVE_INFINITY;
            for (int p = 0; p < parts; p++) m = Math.max(m, lseOf.of(p, state));
            float sum = 0f;
            if (m != Float.NEGATIVE_INFINITY) {
                for (int p = 0; p < parts; p++) {
                    float l = lseOf.of(p, state);
                    if (l != Float.NEGATIVE_INFINITY) sum += (float) Math.exp(l - m);
                }
            }
            float[] row = new float[headDim];
            for (int d = 0; d < headDim; d++) {
                float acc = 0f;
                if (m != Float.NEGATIVE_INFINITY) {
                    for (int p = 0; p < parts; p++) {
                        float l = lseOf.of(p, state);
                        if (l != Float.NEGATIVE_INFINITY) acc = Math.fma((float) Math.exp(l - m), oOf.of(p, state, d), acc);
                    }
                    acc /= sum;
                }
                row[d] = acc;
            }
            // written after every read, as the kernel's barriers order it: o and lse may be part 0's arrays
            System.arraycopy(row, 0, o, state * headDim, headDim);
            lse[state] = m == Float.NEGATIVE_INFINITY ? Float.NEGATIVE_INFINITY : m + (float) Math.log(sum);
        }
    }
}
