// Layouts and arithmetic shared by the VQ cache kernels (vq_encode.cu, vq_attention.cu).
//
// Device layouts (the Java side documents and builds them: io.vecinfer.cuda.vq.DeviceCodebooks and
// io.vecinfer.cuda.vq.VqCodeLayout):
//   key_words    fp32 [key book][codeword][key dims]       every key codebook of the model, one array
//   value_words  fp32 [value book][codeword][value dims]
//   key_book_of  int  [(layer * kv_heads + kv_head) * key subspaces + s]   -> key book (CodebookScope)
//   value_book_of int [(layer * kv_heads + kv_head) * value subspaces + s] -> value book
//   lambda       fp32 [(layer * kv_heads + kv_head) * head_dim + i], or null (smooth=off)
//   codes        [sequence][layer][kv_head][position < capacity][subspace], one container per code: uint8
//                (code_bytes 1) for codes of up to 8 bits, else uint16 (code_bytes 2); padded to 16 bytes
//
// The transform and distance arithmetic uses explicit round-to-nearest intrinsics so that nvcc cannot
// contract it into FMAs: the Java references (and io.vecinfer.quant.vq.KeyTransform / Codebook) do the
// same operations in the same order, which makes transformed vectors, distances and table entries
// bit-identical on both sides.
#pragma once

#include <cuda_fp16.h>
#include <math_constants.h>

#include "attention_common.cuh"

// Offset of code (position 0, subspace 0) of one (sequence, layer, kv_head) in a code array.
__device__ __forceinline__ long long vq_code_base(int seq, int layer, int kv_head, int layers, int kv_heads,
                                                  int capacity, int subspaces) {
    return (((long long)seq * layers + layer) * kv_heads + kv_head) * capacity * subspaces;
}

// In place, the orthonormal Walsh–Hadamard transform of `vectors` consecutive vectors of d floats in shared
// memory: the butterflies of io.vecinfer.quant.vq.Hadamard (stage half = 1, 2, 4 ..., x[i] = a + b,
// x[i + half] = a - b), then one scaling by 1/sqrt(d) rounded as Java rounds it. Every thread of the
// block must call it; it ends with a barrier.
__device__ void vq_hadamard_shared(float* x, int vectors, int d) {
    const int half_d = d / 2, pairs = vectors * half_d;
    for (int half = 1; half < d; half <<= 1) {
        for (int p = threadIdx.x; p < pairs; p += blockDim.x) {
            int v = p / half_d, k = p % half_d;
            int i = v * d + (k / half) * 2 * half + k % half;
            float a = x[i], b = x[i + half];
            x[i] = __fadd_rn(a, b);
            x[i + half] = __fsub_rn(a, b);
        }
        __syncthreads();
    }
    const float scale = (float)(1.0 / sqrt((double)d));
    for (int i = threadIdx.x; i < vectors * d; i += blockDim.x) x[i] = __fmul_rn(x[i], scale);
    __syncthreads();
}

// Compressed positions a query at `pos` attends (ResidualWindow.compressedTokens(pos + 1, window)),
// never more than the code array holds.
__device__ __forceinline__ int vq_compressed_tokens(int pos, int window, int capacity) {
    return (int)min(compressed_tokens((long long)pos + 1, window), (long long)capacity);
}

// The compressed tokens [begin, end) that split `split` of a row attends, and where its merge state goes. An empty split
// writes an empty state (o = 0, lse = -inf, which the merge skips) and returns false: the caller returns at once.
// `capacity`: the positions the row's code arrays hold (VqRunCodes).
// P is VqAttentionParams (the LUT and MMA kernels share it).
struct VqSplitTokens {
    int begin, end;
    long long out_state;  // [split][row][query head] of the group's first query head
};
template <class P>
__device__ __forceinline__ bool vq_split_tokens(const P& p, int pos, int capacity, int split, int row, int kv_head, int group,
                                                int head_dim, VqSplitTokens& t) {
    const int compressed = vq_compressed_tokens(pos, p.window, capacity);
    t.begin = min(compressed, split * p.chunk_tokens);
    t.end = split == (int)gridDim.z - 1 ? compressed : min(compressed, t.begin + p.chunk_tokens);
    t.out_state = ((long long)split * p.rows + row) * p.query_heads + (long long)kv_head * group;
    if (t.begin < t.end) return true;
    for (int i = threadIdx.x; i < group * head_dim; i += blockDim.x) p.o[t.out_state * head_dim + i] = 0.f;
    if (threadIdx.x < group) p.lse[t.out_state + threadIdx.x] = -CUDART_INF_F;
    return false;
}

// The group's queries in the space the codes were taken in, into shared `qt` [G][head_dim]: times the smoothing factors
// λ (when the method smooths), zeros for the heads past `group`, then the Walsh–Hadamard rotation (when it rotates).
// Ends with the block synchronized. P is VqAttentionParams.
template <int G, class P>
__device__ __forceinline__ void vq_transformed_queries(const P& p, int row, int kv_head, int group, int slot, int head_dim, float* qt) {
    const float* src = p.q + ((long long)row * p.query_heads + (long long)kv_head * group) * head_dim;
    const float* lam = p.lambda ? p.lambda + (long long)slot * head_dim : nullptr;
    for (int i = threadIdx.x; i < G * head_dim; i += blockDim.x) {
        const float x = i < group * head_dim ? src[i] : 0.f;
        qt[i] = lam ? __fmul_rn(x, lam[i % head_dim]) : x;
    }
    __syncthreads();
    if (p.hadamard) vq_hadamard_shared(qt, G, head_dim);
}

// N consecutive code bytes (uint8 codes; uint16 codes as byte pairs in the MMA kernel's wide books) from shared memory as (N + 3) / 4 words, one vector load where N is 16, 8, 4
// or 2 (the low bytes of word 0 when N < 4); `at` aligned to N bytes. The LUT and MMA kernels read their tiles' codes
// through it.
template <int N> __device__ __forceinline__ void vq_code_words(unsigned (&w)[(N + 3) / 4], const unsigned char* at) {
    if constexpr (N == 16) {
        const uint4 v = *reinterpret_cast<const uint4*>(at);
        w[0] = v.x; w[1] = v.y; w[2] = v.z; w[3] = v.w;
    } else if constexpr (N == 8) {
        const uint2 v = *reinterpret_cast<const uint2*>(at);
        w[0] = v.x; w[1] = v.y;
    } else if constexpr (N == 4) {
        w[0] = *reinterpret_cast<const unsigned*>(at);
    } else if constexpr (N == 2) {
        w[0] = *reinterpret_cast<const unsigned short*>(at);
    } else {
        w[0] = *at;
    }
}

// The block's softmax state from its warps', in warp order (both fused VQ attention kernels end with it): lane 0 of
// each warp publishes the warp's running max m_run and sum l_lane per head; then every thread gets in factor[g] the
// scale exp(m_warp - m_block) of its warp's sums, and thread 0 writes the block's sum and max to block_l[g] and
// block_l[G + g]. warp_m and warp_l are [warps][G] in shared memory.
template <int G>
__device__ __forceinline__ void merge_warp_softmax(const float (&m_run)[G], const float (&l_lane)[G], float* warp_m, float* warp_l,
                                                   float* block_l, int warp, int lane, int warps, float (&factor)[G]) {
    if (lane == 0) {
#pragma unroll
        for (int g = 0; g < G; g++) {
            warp_m[warp * G + g] = m_run[g];
            warp_l[warp * G + g] = l_lane[g];
        }
    }
    __syncthreads();
#pragma unroll
    for (int g = 0; g < G; g++) {
        float m = -CUDART_INF_F;
        for (int w = 0; w < warps; w++) m = fmaxf(m, warp_m[w * G + g]);
        const float mine = warp_m[warp * G + g];
        factor[g] = mine == -CUDART_INF_F ? 0.f : expf(mine - m);
        if (threadIdx.x == 0) {
            float l = 0.f;
            for (int w = 0; w < warps; w++) {
                const float mw = warp_m[w * G + g];
                if (mw != -CUDART_INF_F) l = __fadd_rn(l, __fmul_rn(expf(mw - m), warp_l[w * G + g]));
            }
            block_l[g] = l;
            block_l[G + g] = m;
        }
    }
}
