// Position arithmetic shared by the attention families over the fp16 ring (attention_window, attention_prefill,
// attention_decode), so that every kernel bounds a query's keys by the same rule.
#pragma once

#include "numeric.cuh"

// Tokens of a sequence of `length` that a windowed cache has encoded: the newest R always stay in the window,
// blocks of R are encoded once 2R have arrived (io.vecinfer.quant.ResidualWindow.compressedTokens).
template <typename Int>
__device__ __forceinline__ Int compressed_tokens_as(Int length, int r) {
    return length < Int(2) * r ? Int(0) : (length - r) / r * r;
}
__device__ __forceinline__ long long compressed_tokens(long long length, int r) { return compressed_tokens_as<long long>(length, r); }

// First position a query at `position` attends: 0 for window 0 (the whole history), else the first position the
// windowed cache still holds in fp16 (io.vecinfer.cuda.attention.WindowAttention.windowStart). Non-decreasing
// in position, so a block of consecutive queries reads [window_start(first), last].
__device__ __forceinline__ long long window_start(long long position, int window) {
    return window == 0 ? 0 : compressed_tokens(position + 1, window);
}

// The same rule in 32-bit arithmetic, for positions below 2^31 - 1 (a call's positions are: int start + tokens). Where
// it differs is the code: 32-bit division is inline, 64-bit division a subroutine whose per-lane branches make ptxas take
// what follows for divergent code, and serialize every wgmma there (its warning C7520; attention_prefill_wgmma.cu).
__device__ __forceinline__ int window_start_32(int position, int window) {
    return window == 0 ? 0 : compressed_tokens_as<int>(position + 1, window);
}

// One warp's online-softmax step over a tile of `len` scores of one head, the warp-per-head bookkeeping of the
// CUDA-core attention kernels (attention_window, kivi_attention): the scores in `probs` become exp(score - new
// max) in place, and lane 0 updates the head's running max and sum and leaves the factor by which the head's
// earlier output must be rescaled.
__device__ __forceinline__ void warp_softmax_tile(float* probs, int len, int lane, float& running_max, float& running_sum,
                                                  float& rescale) {
    float tile_max = -INFINITY;
    for (int t = lane; t < len; t += 32) tile_max = fmaxf(tile_max, probs[t]);
    tile_max = warp_max(tile_max);
    const float old_max = running_max;
    const float new_max = fmaxf(old_max, tile_max);
    float sum = 0.f;
    for (int t = lane; t < len; t += 32) {
        const float e = expf(probs[t] - new_max);
        probs[t] = e;
        sum += e;
    }
    sum = warp_sum(sum);
    if (lane == 0) {
        const float factor = old_max == -INFINITY ? 0.f : expf(old_max - new_max);
        rescale = factor;
        running_sum = running_sum * factor + sum;
        running_max = new_max;
    }
}
