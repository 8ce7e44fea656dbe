// kivi_encode: KIVI's scalar quantization of the blocks a residual window hands to the cache (arXiv 2402.02750;
// CPU oracle io.vecinfer.quant.kivi.KiviKvCache.encodeBlock; host twin io.vecinfer.cuda.kivi.KiviEncodeKernel.reference).
//
// Input: one layer's fp16 K and V rings (ring[slot][kv_head][d], slot = position % ring_capacity), positions
// [from, from + tokens), from and tokens multiples of the window R (whole flushed blocks).
// Output, in the layout of io.vecinfer.cuda.kivi.KiviLayout:
//   codes     packed words (kivi_common.cuh) [layer][kv_head][position][key_words or value_words], keys and values;
//   key_params   float {zero, scale} [layer][kv_head][key group][d], key group = pos / R * ceil(R / G) + pos % R / G:
//                keys are grouped per channel over G tokens of one block (a group that does not fill G is shorter);
//   value_params float {zero, scale} [layer][kv_head][position][ceil(D / VG)]: values per token over VG channels.
// zero = fp16(min), scale = fp16((max - min) / (2^b - 1)); code = clamp(round((x - zero) / scale), 0, 2^b - 1)
// with Java's Math.round (half up), code 0 where scale is 0. Every operation is rounded as Java rounds it.
//
// kivi_encode_keys:   grid (key groups in range, kv_heads), KIVI_ENCODE_THREADS threads: first one thread per channel
//                     (strided) finds its group's zero and scale, then one per (token, code word) packs the word.
// kivi_encode_values: grid (tokens, kv_heads), KIVI_ENCODE_THREADS threads: one per value group (strided), then one
//                     per code word.
#include <cuda_fp16.h>
#include <math_constants.h>

#include "kivi_common.cuh"

constexpr int KIVI_ENCODE_THREADS = 128;
constexpr int KIVI_ENCODE_MAX_HEAD_DIM = 256;

struct KiviEncodeParams {
    const __half* key_ring;    // [ring_capacity][kv_heads][head_dim]
    const __half* value_ring;
    unsigned* key_codes;       // [layers][kv_heads][code_capacity][key_words]
    unsigned* value_codes;     // [layers][kv_heads][code_capacity][value_words]
    float* key_params;         // [layers][kv_heads][code_capacity / R * ceil(R / G)][head_dim][2]
    float* value_params;       // [layers][kv_heads][code_capacity][ceil(head_dim / VG)][2]
    int ring_capacity;
    int layer;
    int kv_heads;
    int head_dim;
    int code_capacity;         // positions per (layer, kv_head), a multiple of R
    int from;                  // first position, a multiple of R
    int window;                // R
    int key_group;             // G
    int value_group;           // VG
    int key_bits;
    int value_bits;
    int key_words;             // code words per position (a multiple of 4)
    int value_words;
};
static_assert(sizeof(KiviEncodeParams) == 104, "KiviEncodeKernel.params mirrors this layout");

__device__ __forceinline__ float kivi_fp16(float x) { return __half2float(__float2half_rn(x)); }

// AsymmetricQuantizer.code: Java's Math.round is floor(y + 1/2) computed exactly (half up); y is clamped to
// [-1, levels + 1] first, which leaves the clamped result unchanged and keeps the cast defined (NaN gives code 0, as Java).
__device__ __forceinline__ int kivi_code(float x, float zero, float scale, int levels) {
    if (scale == 0.f) return 0;
    float y = __fdiv_rn(__fsub_rn(x, zero), scale);
    y = fminf(fmaxf(y, -1.f), float(levels + 1));
    float f = floorf(y);
    int c = int(f) + (__fsub_rn(y, f) >= 0.5f ? 1 : 0);
    return max(0, min(levels, c));
}

__device__ __forceinline__ long long kivi_head_slot(const KiviEncodeParams& p, int kv_head) {
    return (long long)p.layer * p.kv_heads + kv_head;
}

// One packed word: channels [word · per_word, (word + 1) · per_word) of one position, code(d) giving each channel's
// code; channels at or past head_dim (a row's padding) are 0.
template <class Code>
__device__ __forceinline__ unsigned kivi_pack_word(int word, int bits, int head_dim, const Code& code) {
    const int container = kivi_container_bits(bits), per_word = 32 / container;
    unsigned w = 0;
    for (int e = 0; e < per_word; e++) {
        const int d = word * per_word + e;
        if (d < head_dim) w |= unsigned(code(d)) << (e * container);
    }
    return w;
}

extern "C" __global__ void __launch_bounds__(KIVI_ENCODE_THREADS) kivi_encode_keys(const __grid_constant__ KiviEncodeParams p) {
    __shared__ float2 zero_scale[KIVI_ENCODE_MAX_HEAD_DIM];
    const int groups_per_block = (p.window + p.key_group - 1) / p.key_group;
    const int in_range = blockIdx.x, kv_head = blockIdx.y;
    const int block_start = p.from + in_range / groups_per_block * p.window;
    const int within = in_range % groups_per_block * p.key_group;
    const int first = block_start + within, count = min(p.key_group, p.window - within);
    const int group = block_start / p.window * groups_per_block + in_range % groups_per_block;
    const int levels = (1 << p.key_bits) - 1;
    const long long slot = kivi_head_slot(p, kv_head);
    const long long groups_per_head = (long long)p.code_capacity / p.window * groups_per_block;
    const long long width = (long long)p.kv_heads * p.head_dim;
    const __half* ring = p.key_ring + kv_head * p.head_dim;
    for (int i = threadIdx.x; i < p.head_dim; i += blockDim.x) {
        float lo = CUDART_INF_F, hi = -CUDART_INF_F;
        for (int t = 0; t < count; t++) {
            float x = __half2float(ring[((first + t) % p.ring_capacity) * width + i]);
            lo = fminf(lo, x);
            hi = fmaxf(hi, x);
        }
        const float zero = kivi_fp16(lo), scale = kivi_fp16(__fdiv_rn(__fsub_rn(hi, lo), float(levels)));
        float* params = p.key_params + ((slot * groups_per_head + group) * p.head_dim + i) * 2;
        params[0] = zero;
        params[1] = scale;
        zero_scale[i] = make_float2(zero, scale);
    }
    __syncthreads();
    for (int e = threadIdx.x; e < count * p.key_words; e += blockDim.x) {
        const int t = e / p.key_words, word = e % p.key_words;
        const __half* x = ring + ((first + t) % p.ring_capacity) * width;
        p.key_codes[(slot * p.code_capacity + first + t) * p.key_words + word] = kivi_pack_word(word, p.key_bits, p.head_dim, [&](int d) {
            return kivi_code(__half2float(x[d]), zero_scale[d].x, zero_scale[d].y, levels);
        });
    }
}

extern "C" __global__ void __launch_bounds__(KIVI_ENCODE_THREADS) kivi_encode_values(const __grid_constant__ KiviEncodeParams p) {
    __shared__ float2 zero_scale[KIVI_ENCODE_MAX_HEAD_DIM];
    const int pos = p.from + blockIdx.x, kv_head = blockIdx.y;
    const int groups = (p.head_dim + p.value_group - 1) / p.value_group;
    const int levels = (1 << p.value_bits) - 1;
    const long long slot = kivi_head_slot(p, kv_head);
    const __half* v = p.value_ring + ((long long)(pos % p.ring_capacity) * p.kv_heads + kv_head) * p.head_dim;
    for (int g = threadIdx.x; g < groups; g += blockDim.x) {
        const int start = g * p.value_group, count = min(p.value_group, p.head_dim - start);
        float lo = CUDART_INF_F, hi = -CUDART_INF_F;
        for (int i = start; i < start + count; i++) {
            float x = __half2float(v[i]);
            lo = fminf(lo, x);
            hi = fmaxf(hi, x);
        }
        const float zero = kivi_fp16(lo), scale = kivi_fp16(__fdiv_rn(__fsub_rn(hi, lo), float(levels)));
        float* params = p.value_params + ((slot * p.code_capacity + pos) * groups + g) * 2;
        params[0] = zero;
        params[1] = scale;
        zero_scale[g] = make_float2(zero, scale);
    }
    __syncthreads();
    for (int word = threadIdx.x; word < p.value_words; word += blockDim.x) {
        p.value_codes[(slot * p.code_capacity + pos) * p.value_words + word] = kivi_pack_word(word, p.value_bits, p.head_dim, [&](int d) {
            const float2 zs = zero_scale[d / p.value_group];
            return kivi_code(__half2float(v[d]), zs.x, zs.y, levels);
        });
    }
}
