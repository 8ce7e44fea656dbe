// The launch parameters of the VQ decode-attention kernels (vq_attention.cu, the general kernel and its
// query-table builder; vq_lut_attention.cu, the fast kernel), passed by value as one struct. Mirrored field by
// field, in this order, by io.vecinfer.cuda.vq.VqAttentionParams.kernelParams. Layouts: vq_common.cuh.
#pragma once

#include "vq_common.cuh"

// Phases an attribution run leaves out (VqAttentionParams.skip; 0 in production): the benchmark times the
// kernel without each one so that its cycles are attributed by measurement. Outputs are then meaningless.
constexpr int VQ_SKIP_KEYS = 1;     // no table lookups: each score is its first code, scaled
constexpr int VQ_SKIP_VALUES = 2;   // no value decoding: the accumulators stay 0
constexpr int VQ_SKIP_SOFTMAX = 4;  // no running max, no exp: p = the scaled score
constexpr int VQ_SKIP_STAGING = 8;  // codes staged once (tile 0) and reused for every tile: no HBM traffic

struct VqAttentionParams {
    const float* q;                     // [row][query head][head_dim]
    const int* row_seq;                 // [row]: the sequence of the code layouts
    const int* row_pos;                 // [row]: the query's position
    const float* key_words;             // [key book][codeword][key dims]
    const int* key_book_of;             // [(layer * kv_heads + kv_head) * key subspaces + s]
    const float* value_words;           // [value book][codeword][value dims]
    const int* value_book_of;           // [(layer * kv_heads + kv_head) * value subspaces + s]
    const float* lambda;                // [(layer * kv_heads + kv_head) * head_dim + i], or null
    const unsigned char* key_codes;     // [sequence][layer][kv_head][position][subspace], key_code_bytes each
    const unsigned char* value_codes;
    // A batch of caches that each own their code arrays (a decode step of the batch, CudaDecoder's VqDecodeBatch):
    // [sequence] tables of each sequence's key and value arrays, [layer][kv_head][position][subspace], and of the
    // positions they hold; key_codes, value_codes and capacity are then unused. Null for the one-array form.
    const unsigned char* const* seq_key_codes;
    const unsigned char* const* seq_value_codes;
    const int* seq_capacity;
    const void* table_scratch;          // the query tables built by vq_query_table (fp32 or fp16), or null
    float* o;                           // [split][row][query head][head_dim]
    float* lse;                         // [split][row][query head]
    int rows;                           // rows of the whole launch (the output's row count)
    int row_offset;                     // first row of this pass
    int query_heads, kv_heads, head_dim;
    int layer, layers, capacity, window; // capacity: positions per (sequence, layer, kv_head) of the one-array form
    int key_dims, key_bits, value_bits;
    int hadamard;                       // 1: q̃ = Hadamard(q · λ)
    int key_code_bytes, value_code_bytes;
    int value_book_shared;              // 1: every value sub-space of the (layer, KV head) uses one book
    int chunk_tokens;                   // compressed tokens of one split
    int skip;                           // VQ_SKIP_* bits
    float scale;                        // the softmax scale
};

// Where the codes of one (sequence, layer, KV head) start, and the positions its arrays hold, in either form.
struct VqRunCodes {
    const unsigned char* keys;
    const unsigned char* values;
    int capacity;
};
__device__ __forceinline__ VqRunCodes vq_run_codes(const VqAttentionParams& p, int seq, int kv_head, int key_subspaces,
                                                   int value_subspaces) {
    const bool own = p.seq_key_codes != nullptr;
    const int capacity = own ? p.seq_capacity[seq] : p.capacity, at = own ? 0 : seq;
    const unsigned char* keys = own ? p.seq_key_codes[seq] : p.key_codes;
    const unsigned char* values = own ? p.seq_value_codes[seq] : p.value_codes;
    return {keys + p.key_code_bytes * vq_code_base(at, p.layer, kv_head, p.layers, p.kv_heads, capacity, key_subspaces),
            values + p.value_code_bytes * vq_code_base(at, p.layer, kv_head, p.layers, p.kv_heads, capacity, value_subspaces),
            capacity};
}

// VqAttentionParamsTest checks the Java mirror against this size.
static_assert(sizeof(VqAttentionParams) == 208, "VqAttentionParams changed: update io.vecinfer.cuda.vq.VqAttentionParams");
