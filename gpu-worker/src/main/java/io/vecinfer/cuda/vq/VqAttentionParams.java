package io.vecinfer.cuda.vq;

import io.vecinfer.cuda.KernelParams;

/**
 * The launch parameters of the VQ decode-attention kernels, mirroring {@code struct VqAttentionParams}
 * (vq_attention_params.cuh) field by field, in its order. Pointers are {@link io.vecinfer.cuda.DeviceBuffer}s,
 * slices, or null (absent: no λ, no global table; no per-sequence code tables: the one-array form).
 *
 * @param skip {@link #SKIP_KEYS} | {@link #SKIP_VALUES} | ...: phases an attribution run leaves out; 0 in production
 */
public record VqAttentionParams(Object q, Object rowSequence, Object rowPosition, Object keyWords, Object keyBookOf,
                                Object valueWords, Object valueBookOf, Object lambda, Object keyCodes, Object valueCodes,
                                Object sequenceKeyCodes, Object sequenceValueCodes, Object sequenceCapacity, Object tableScratch,
                                Object o, Object lse,
                                int rows, int rowOffset, int queryHeads, int kvHeads, int headDim, int layer, int layers,
                                int capacity, int window, int keyDims, int keyBits, int valueBits, boolean hadamard,
                                int keyCodeBytes, int valueCodeBytes, boolean valueBookShared, int chunkTokens, int skip,
                                float scale) {
    /** VQ_SKIP_* of vq_attention_params.cuh (vq_lut_attention honours them; the general kernel ignores them). */
    public static final int SKIP_KEYS = 1, SKIP_VALUES = 2, SKIP_SOFTMAX = 4, SKIP_STAGING = 8;

    /** The same launch for one pass of rows: its first row and its global query tables (or null). */
    VqAttentionParams forPass(int firstRow, Object table) {
        return new VqAttentionParams(q, rowSequence, rowPosition, keyWords, keyBookOf, valueWords, valueBookOf, lambda, keyCodes,
                valueCodes, sequenceKeyCodes, sequenceValueCodes, sequenceCapacity, table, o, lse, rows, firstRow, queryHeads, kvHeads,
                headDim, layer, layers, capacity, window, keyDims, keyBits, valueBits, hadamard, keyCodeBytes, valueCodeBytes, valueBookShared, chunkTokens, skip, scale);
    }

    /** The struct's bytes, as nvcc lays it out. */
    public KernelParams kernelParams() {
        return new KernelParams().pointer(q).pointer(rowSequence).pointer(rowPosition).pointer(keyWords).pointer(keyBookOf)
                .pointer(valueWords).pointer(valueBookOf).pointer(lambda).pointer(keyCodes).pointer(valueCodes)
                .pointer(sequenceKeyCodes).pointer(sequenceValueCodes).pointer(sequenceCapacity).pointer(tableScratch).pointer(o).pointer(lse)
                .i32(rows).i32(rowOffset).i32(queryHeads).i32(kvHeads).i32(headDim).i32(layer).i32(layers).i32(capacity).i32(window)
                .i32(keyDims).i32(keyBits).i32(valueBits).i32(hadamard ? 1 : 0).i32(keyCodeBytes).i32(valueCodeBytes)
                .i32(valueBookShared ? 1 : 0).i32(chunkTokens).i32(skip).f32(scale);
    }
}
