// Position arithmetic shared by the attention families over the fp16 ring (attention_window, attention_prefill,
// attention_decode), so that every kernel bounds a query's keys by the same rule.
#pragma once

// Tokens of a sequence of `length` that a windowed cache has encoded: the newest R always stay in the window,
// blocks of R are encoded once 2R have arrived (io.vecinfer.quant.ResidualWindow.compressedTokens).
__device__ __forceinline__ long long compressed_tokens(long long length, int r) {
    return length < 2LL * r ? 0 : (length - r) / r * r;
}

// First position a query at `position` attends: 0 for window 0 (the whole history), else the first position the
// windowed cache still holds in fp16 (io.vecinfer.cuda.attention.WindowAttention.windowStart). Non-decreasing
// in position, so a block of consecutive queries reads [window_start(first), last].
__device__ __forceinline__ long long window_start(long long position, int window) {
    return window == 0 ? 0 : compressed_tokens(position + 1, window);
}
