// vq_encode: nearest-codeword encoding of the tokens a residual-window flush hands to the VQ cache.
//
// Launch (io.vecinfer.cuda.vq.VqEncodeKernel): grid (to - from, kv_heads), block VQ_ENCODE_THREADS,
// dynamic shared memory 2 * head_dim floats. One block encodes one (position, kv_head) of one sequence's
// layer: it reads K and V from the fp16 ring buffers (tokens × kv_heads × head_dim, slot = position %
// ring_capacity), transforms the key (÷ λ, then Hadamard; io.vecinfer.quant.vq.KeyTransform.key), and
// each warp then takes whole sub-spaces (key sub-spaces first, then value sub-spaces): its lanes scan the
// codewords c = lane, lane + 32, ... by squared L2 and a shuffle reduction keeps the smallest distance,
// the lower index on ties (Codebook.nearest). Codebooks are read from global memory: a d8b12 book is
// 128 KB, which stays in L1/L2 across the blocks of a launch. One launch encodes a residual-window flush
// (R tokens) or, under prefill=exact, a whole prompt of one layer (every token but the window, every KV head).
// Layouts: vq_common.cuh.
#include "vq_common.cuh"

#include <climits>

constexpr int VQ_ENCODE_THREADS = 256;

// The warp's smallest (distance, index) pair, the lower index on ties, in every lane.
__device__ __forceinline__ int vq_warp_argmin(float best, int best_index) {
    for (int offset = 16; offset > 0; offset >>= 1) {
        float other = __shfl_xor_sync(0xffffffffu, best, offset);
        int other_index = __shfl_xor_sync(0xffffffffu, best_index, offset);
        if (other < best || (other == best && other_index < best_index)) {
            best = other;
            best_index = other_index;
        }
    }
    // No distance below +inf (overflow or NaN input): codeword 0, as the Java search answers.
    return best_index == INT_MAX ? 0 : best_index;
}

// Codeword w's DIMS floats into registers: 16-byte loads where DIMS is a multiple of 4 (a codeword starts at
// c * DIMS floats of a 256-byte-aligned buffer, so it is 16-byte aligned), 8-byte for DIMS 2. One wide load of
// 32 lanes covers 32 consecutive codewords, where DIMS scalar loads each touched the same lines again.
template <int DIMS>
__device__ __forceinline__ void vq_load_codeword(const float* w, float (&out)[DIMS]) {
    if constexpr (DIMS % 4 == 0) {
#pragma unroll
        for (int i = 0; i < DIMS; i += 4) {
            float4 q = *reinterpret_cast<const float4*>(w + i);
            out[i] = q.x; out[i + 1] = q.y; out[i + 2] = q.z; out[i + 3] = q.w;
        }
    } else if constexpr (DIMS == 2) {
        float2 q = *reinterpret_cast<const float2*>(w);
        out[0] = q.x; out[1] = q.y;
    } else {
#pragma unroll
        for (int i = 0; i < DIMS; i++) out[i] = w[i];
    }
}

// Squared L2 distance of x to w over `dims` floats, summed in Codebook.nearest's order with no FMA contraction, so a
// tie is a tie on both sides; and the running nearest codeword (the lower index wins a tie: c grows per lane).
template <typename X, typename W>
__device__ __forceinline__ float vq_squared_distance(const X& x, const W& w, int dims) {
    float dist = 0.f;
    for (int i = 0; i < dims; i++) { // unrolled where dims is a constant (the fixed-size search)
        float diff = __fsub_rn(x[i], w[i]);
        dist = __fadd_rn(dist, __fmul_rn(diff, diff));
    }
    return dist;
}

__device__ __forceinline__ void vq_keep_nearer(float dist, int c, float& best, int& best_index) {
    if (dist < best) {
        best = dist;
        best_index = c;
    }
}

// Nearest of `count` codewords of DIMS floats to x (shared memory), computed by one whole warp; the sub-vector
// sits in registers. Distances are summed in Codebook.nearest's order with no FMA contraction (the generic
// version below does the same operations), so a tie is a tie on both sides.
template <int DIMS>
__device__ int vq_warp_nearest_fixed(const float* x_shared, const float* words, int count) {
    float x[DIMS];
#pragma unroll
    for (int i = 0; i < DIMS; i++) x[i] = x_shared[i];
    float best = CUDART_INF_F;
    int best_index = INT_MAX;
#pragma unroll 4
    for (int c = threadIdx.x & 31; c < count; c += 32) {
        float w[DIMS];
        vq_load_codeword<DIMS>(words + (long long)c * DIMS, w);
        vq_keep_nearer(vq_squared_distance(x, w, DIMS), c, best, best_index);
    }
    return vq_warp_argmin(best, best_index);
}

// Nearest of `count` codewords of `dims` floats to x (shared memory), computed by one whole warp: the fixed-size
// versions for VecInfer's sub-vector sizes, a loop over dims for any other.
__device__ int vq_warp_nearest(const float* x, const float* words, int dims, int count) {
    switch (dims) {
        case 2: return vq_warp_nearest_fixed<2>(x, words, count);
        case 4: return vq_warp_nearest_fixed<4>(x, words, count);
        case 8: return vq_warp_nearest_fixed<8>(x, words, count);
        default: break;
    }
    float best = CUDART_INF_F;
    int best_index = INT_MAX;
    for (int c = threadIdx.x & 31; c < count; c += 32) {
        const float* w = words + (long long)c * dims;
        vq_keep_nearer(vq_squared_distance(x, w, dims), c, best, best_index);
    }
    return vq_warp_argmin(best, best_index);
}

// Code i of an array of uint8 (code_bytes 1) or uint16 (2) containers.
__device__ __forceinline__ void vq_store_code(unsigned char* codes, long long i, int code_bytes, int code) {
    if (code_bytes == 1) codes[i] = (unsigned char)code;
    else reinterpret_cast<unsigned short*>(codes)[i] = (unsigned short)code;
}

extern "C" __global__ void __launch_bounds__(VQ_ENCODE_THREADS)
vq_encode(const __half* k_ring, const __half* v_ring, int ring_capacity, int kv_heads, int head_dim,
          int from, int seq, int layer, int layers, int code_capacity,
          const float* key_words, const int* key_book_of, int key_dims, int key_bits,
          const float* value_words, const int* value_book_of, int value_dims, int value_bits,
          const float* lambda, int hadamard,
          unsigned char* key_codes, unsigned char* value_codes, int key_code_bytes, int value_code_bytes) {
    extern __shared__ float shared[];
    float* key = shared;
    float* value = shared + head_dim;
    const int pos = from + blockIdx.x, kv_head = blockIdx.y, slot = layer * kv_heads + kv_head;
    if (pos >= code_capacity) return; // the wrapper checks this; never write past the code array

    const long long ring_at = ((long long)(pos % ring_capacity) * kv_heads + kv_head) * head_dim;
    const float* lam = lambda ? lambda + (long long)slot * head_dim : nullptr;
    for (int i = threadIdx.x; i < head_dim; i += blockDim.x) {
        float k = __half2float(k_ring[ring_at + i]);
        key[i] = lam ? __fdiv_rn(k, lam[i]) : k;
        value[i] = __half2float(v_ring[ring_at + i]);
    }
    __syncthreads();
    if (hadamard) vq_hadamard_shared(key, 1, head_dim);

    const int key_sub = head_dim / key_dims, value_sub = head_dim / value_dims;
    const int key_words_count = 1 << key_bits, value_words_count = 1 << value_bits;
    const long long key_at = vq_code_base(seq, layer, kv_head, layers, kv_heads, code_capacity, key_sub)
                             + (long long)pos * key_sub;
    const long long value_at = vq_code_base(seq, layer, kv_head, layers, kv_heads, code_capacity, value_sub)
                               + (long long)pos * value_sub;
    const int warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    for (int task = warp; task < key_sub + value_sub; task += warps) {
        if (task < key_sub) {
            const int s = task;
            const float* book = key_words + (long long)key_book_of[slot * key_sub + s] * key_words_count * key_dims;
            int code = vq_warp_nearest(key + s * key_dims, book, key_dims, key_words_count);
            if ((threadIdx.x & 31) == 0) vq_store_code(key_codes, key_at + s, key_code_bytes, code);
        } else {
            const int s = task - key_sub;
            const float* book = value_words + (long long)value_book_of[slot * value_sub + s] * value_words_count * value_dims;
            int code = vq_warp_nearest(value + s * value_dims, book, value_dims, value_words_count);
            if ((threadIdx.x & 31) == 0) vq_store_code(value_codes, value_at + s, value_code_bytes, code);
        }
    }
}
