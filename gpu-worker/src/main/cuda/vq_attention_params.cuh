// The launch parameters of the VQ decode-attention kernels (vq_attention.cu, the general kernel and its
// query-table builder; vq_lut_attention.cu, the fast kernel), passed by value as one struct. Mirrored field by
// field, in this order, by io.vecinfer.cuda.vq.VqAttentionParams.kernelParams. Layouts: vq_common.cuh.
#pragma once

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
    const void* table_scratch;          // the query tables built by vq_query_table (fp32 or fp16), or null
    float* o;                           // [split][row][query head][head_dim]
    float* lse;                         // [split][row][query head]
    int rows;                           // rows of the whole launch (the output's row count)
    int row_offset;                     // first row of this pass
    int query_heads, kv_heads, head_dim;
    int layer, layers, capacity, window;
    int key_dims, key_bits, value_bits;
    int hadamard;                       // 1: q̃ = Hadamard(q · λ)
    int key_code_bytes, value_code_bytes;
    int value_book_shared;              // 1: every value sub-space of the (layer, KV head) uses one book
    int chunk_tokens;                   // compressed tokens of one split
    int skip;                           // VQ_SKIP_* bits
    float scale;                        // the softmax scale
};

// VqAttentionParamsTest checks the Java mirror against this size.
static_assert(sizeof(VqAttentionParams) == 184, "VqAttentionParams changed: update io.vecinfer.cuda.vq.VqAttentionParams");
