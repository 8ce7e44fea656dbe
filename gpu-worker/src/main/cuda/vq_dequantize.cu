// vq_dequantize: the non-fused VQ path's first half (the ablation row of issue 12, not the decoder's path): the VQ
// codes of positions [0, positions) of one layer, keys and values, rebuilt as fp16 rows in the rings the fp16 decode
// kernels read (attention_decode.cu: ring [slot][kv_head][D], slot = position), so that our fp16 attention then runs
// over them. A row is its codewords side by side, key d = key book(s)[code(s)][i], d = s · dims + i, in the space the
// codes were taken in (smoothed and rotated keys; the query goes through the same transform, as in the fused kernels),
// each fp32 codeword entry rounded to fp16 to nearest. Codes and books as vq_common.cuh lays them out; a code is
// masked to its book (code & (codewords - 1)), as the fused kernels read it.
// Host twin: io.vecinfer.cuda.vq.VqDequantizeKernel.reference.
//
// Launch: vq_dequantize_fp16, grid (ceil(positions / VQ_DEQUANTIZE_POSITIONS), kv_heads, sequences), 128 threads, no
// shared memory. Thread t writes 8 channels [8j, 8j + 8), j = t % (D / 8), of positions t / (D / 8), + 128 / (D / 8), ...
// of the CTA's VQ_DEQUANTIZE_POSITIONS: one 16-byte store of keys and one of values each, consecutive threads
// consecutive 16 bytes (D % 8 == 0).
#include <cstdint>
#include <cuda_fp16.h>

#include "vq_common.cuh"

constexpr int VQ_DEQUANTIZE_THREADS = 128;
constexpr int VQ_DEQUANTIZE_POSITIONS = 64;

struct VqDequantizeParams {
    const float* key_words;        // [key book][codeword][key dims]
    const float* value_words;      // [value book][codeword][value dims]
    const int* key_book_of;        // [(layer · kv_heads + kv_head) · key sub-spaces + s]
    const int* value_book_of;
    const unsigned char* key_codes;    // [sequence][layer][kv_head][position < code_capacity][sub-space], uint8 or uint16
    const unsigned char* value_codes;
    __half* const* key_rings;      // [sequence]: its key ring of this layer, [capacity ≥ positions][kv_heads][D] fp16
    __half* const* value_rings;
    int layer;
    int layers;
    int kv_heads;
    int head_dim;                  // a multiple of 8
    int code_capacity;
    int positions;
    int key_subspaces;
    int value_subspaces;
    int key_dims;
    int value_dims;
    int key_codewords;             // powers of two
    int value_codewords;
    int key_code_bytes;            // 1 or 2
    int value_code_bytes;
};
static_assert(sizeof(VqDequantizeParams) == 120, "VqDequantizeKernel.params mirrors this layout");

// The 8 fp16 channels [d0, d0 + 8) of one position's row of one side.
__device__ __forceinline__ uint4 vq_dequantize_eight(const float* words, const int* book_of, const unsigned char* codes, int code_bytes,
                                                     int subspaces, int dims, int codewords, int d0) {
    uint32_t packed[4];
#pragma unroll
    for (int e = 0; e < 8; e += 2) {
        float x[2];
#pragma unroll
        for (int k = 0; k < 2; k++) {
            const int d = d0 + e + k, s = d / dims;
            const int code = (code_bytes == 1 ? codes[s] : reinterpret_cast<const uint16_t*>(codes)[s]) & (codewords - 1);
            x[k] = words[((long long)book_of[s] * codewords + code) * dims + d % dims];
        }
        const __half2 h = __floats2half2_rn(x[0], x[1]);
        packed[e / 2] = *reinterpret_cast<const uint32_t*>(&h);
    }
    return make_uint4(packed[0], packed[1], packed[2], packed[3]);
}

extern "C" __global__ void __launch_bounds__(VQ_DEQUANTIZE_THREADS) vq_dequantize_fp16(const __grid_constant__ VqDequantizeParams p) {
    const int kv_head = blockIdx.y, sequence = blockIdx.z;
    const int lanes = p.head_dim / 8, j = threadIdx.x % lanes;
    const int rows_per_pass = VQ_DEQUANTIZE_THREADS / lanes;
    if (threadIdx.x >= rows_per_pass * lanes) return;  // D / 8 not dividing 128 leaves a few threads out
    const int head_slot = p.layer * p.kv_heads + kv_head;
    const int* key_books = p.key_book_of + (long long)head_slot * p.key_subspaces;
    const int* value_books = p.value_book_of + (long long)head_slot * p.value_subspaces;
    const long long key_base = vq_code_base(sequence, p.layer, kv_head, p.layers, p.kv_heads, p.code_capacity, p.key_subspaces);
    const long long value_base = vq_code_base(sequence, p.layer, kv_head, p.layers, p.kv_heads, p.code_capacity, p.value_subspaces);
    const int first = blockIdx.x * VQ_DEQUANTIZE_POSITIONS, last = min(p.positions, first + VQ_DEQUANTIZE_POSITIONS);
    for (int pos = first + threadIdx.x / lanes; pos < last; pos += rows_per_pass) {
        const long long row = ((long long)pos * p.kv_heads + kv_head) * p.head_dim + 8 * j;
        const unsigned char* key_codes = p.key_codes + (key_base + (long long)pos * p.key_subspaces) * p.key_code_bytes;
        const unsigned char* value_codes = p.value_codes + (value_base + (long long)pos * p.value_subspaces) * p.value_code_bytes;
        *reinterpret_cast<uint4*>(p.key_rings[sequence] + row) =
            vq_dequantize_eight(p.key_words, key_books, key_codes, p.key_code_bytes, p.key_subspaces, p.key_dims, p.key_codewords, 8 * j);
        *reinterpret_cast<uint4*>(p.value_rings[sequence] + row) =
            vq_dequantize_eight(p.value_words, value_books, value_codes, p.value_code_bytes, p.value_subspaces, p.value_dims, p.value_codewords, 8 * j);
    }
}
