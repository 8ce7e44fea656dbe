// vq_attention: fused lookup-table attention over the VQ-compressed tokens, and the log-sum-exp merges.
//
// vq_attention_v{1,2,4,8} (template on the value sub-vector dims VD)
//   Launch (io.vecinfer.cuda.vq.VqAttentionKernel): grid (rows of this pass, kv_heads, splits), block
//   VQ_ATTENTION_THREADS, dynamic shared memory VqAttentionKernel.Plan.sharedBytes. One block serves one
//   query row (a new token of sequence row_seq[r] at position row_pos[r]), the `group` query heads of one
//   KV head (GQA: every code is read once for the group), and split z of the compressed positions
//   [0, c) with c = ResidualWindow.compressedTokens(row_pos + 1, window):
//     1. q̃ = q · λ, then Hadamard, for each head of the group (KeyTransform.query);
//     2. table[s][c][g] = q̃_g,s · key codeword c: in shared memory, or (table_scratch != null) already
//        built in global memory by vq_query_table when it does not fit. The group's entries of one
//        (sub-space, codeword) sit side by side, so one 16-byte load serves four query heads;
//     3. tiles of VQ_ATTENTION_THREADS tokens: each thread scores one token for every head of the group
//        (Σ_s table[s][code][g] · scale), warp g runs head g's online softmax over the tile, then thread
//        (sub-space s, lane) decodes value codewords of every lanes-th token inside the weighted sum;
//     4. the block writes its normalised output and lse = m + log(l) to o/lse at index
//        (split * rows + row) * query_heads + head: the final result when splits == 1, else split
//        partials that merge_splits combines. An empty split writes o = 0, lse = -inf.
//   Keys are never dequantized.
//
// vq_query_table: grid (rows of this pass, kv_heads), block VQ_ATTENTION_THREADS, shared group * head_dim
//   floats. Builds the table of step 2 into table_scratch[(row in pass * kv_heads + kv_head)][s][c][g].
//
// merge_states / merge_splits: grid (states), block 128, no shared memory. State = (row, query head):
//   o = Σ_p e^{lse_p − M} o_p / Σ_p e^{lse_p − M}, lse = M + log Σ_p e^{lse_p − M}, M = max_p lse_p;
//   parts with lse = −inf weigh nothing, and all −inf gives o = 0, lse = −inf. merge_states takes two
//   parts in separate arrays (e.g. the compressed part and the fp16 window part) and may write over
//   the first; merge_splits takes `parts` partials in one array [part][state][head_dim].
//
// Layouts: vq_common.cuh. Queries fp32 [row][query head][head_dim]; o fp32 [.][query head][head_dim],
// lse fp32 [.][query head].
#include "vq_common.cuh"

constexpr int VQ_ATTENTION_THREADS = 256; // also the tokens of one tile
constexpr int VQ_MAX_GROUP = 8;           // query heads per KV head: one warp each in the softmax step

// Compressed positions a query at `pos` attends (ResidualWindow.compressedTokens(pos + 1, window)),
// never more than the code array holds.
__device__ __forceinline__ int vq_compressed_tokens(int pos, int window, int capacity) {
    long long length = (long long)pos + 1;
    long long c = length < 2LL * window ? 0 : (length - window) / window * window;
    return (int)min(c, (long long)capacity);
}

// qt[g][d] = q̃ of query head kv_head * group + g of `row`, in shared memory (ends with a barrier).
__device__ void vq_transformed_queries(float* qt, const float* q, int row, int kv_head, int group, int query_heads,
                                       int head_dim, const float* lambda, int hadamard) {
    const float* src = q + ((long long)row * query_heads + (long long)kv_head * group) * head_dim;
    for (int i = threadIdx.x; i < group * head_dim; i += blockDim.x) {
        float x = src[i];
        qt[i] = lambda ? __fmul_rn(x, lambda[i % head_dim]) : x;
    }
    __syncthreads();
    if (hadamard) vq_hadamard_shared(qt, group, head_dim);
}

// table[(s * words + c) * group + g] = q̃_g,s · codeword c of sub-space s's book, summed in Codebook.dot's order.
__device__ void vq_fill_table(float* table, const float* qt, int group, int head_dim, const float* key_words,
                              const int* key_book_of, int key_dims, int words) {
    const int subspaces = head_dim / key_dims;
    const long long entries = (long long)subspaces * words * group;
    for (long long e = threadIdx.x; e < entries; e += blockDim.x) {
        const int g = (int)(e % group);
        const long long sc = e / group;
        const int c = (int)(sc % words), s = (int)(sc / words);
        const float* w = key_words + ((long long)key_book_of[s] * words + c) * key_dims;
        const float* x = qt + g * head_dim + s * key_dims;
        float dot = 0.f;
        for (int i = 0; i < key_dims; i++) dot = __fadd_rn(dot, __fmul_rn(x[i], w[i]));
        table[e] = dot;
    }
}

extern "C" __global__ void __launch_bounds__(VQ_ATTENTION_THREADS)
vq_query_table(const float* q, int row_offset, int query_heads, int kv_heads, int head_dim, int layer,
               const float* key_words, const int* key_book_of, int key_dims, int key_bits,
               const float* lambda, int hadamard, float* table_scratch) {
    extern __shared__ float qt[];
    const int kv_head = blockIdx.y, group = query_heads / kv_heads, slot = layer * kv_heads + kv_head;
    const int key_sub = head_dim / key_dims, words = 1 << key_bits;
    const long long table_floats = (long long)key_sub * words * group;
    vq_transformed_queries(qt, q, row_offset + blockIdx.x, kv_head, group, query_heads, head_dim,
                           lambda ? lambda + (long long)slot * head_dim : nullptr, hadamard);
    vq_fill_table(table_scratch + ((long long)blockIdx.x * kv_heads + kv_head) * table_floats, qt, group, head_dim,
                  key_words, key_book_of + slot * key_sub, key_dims, words);
}

// score[g] += table entries of (s, code) for the group's heads.
__device__ __forceinline__ void vq_add_entries(float (&score)[VQ_MAX_GROUP], const float* table, int s, unsigned code,
                                               int words, int group) {
    const float* e = table + ((long long)s * words + (code & (unsigned)(words - 1))) * group;
    if (group == 4) {
        const float4 v = *reinterpret_cast<const float4*>(e);
        score[0] += v.x;
        score[1] += v.y;
        score[2] += v.z;
        score[3] += v.w;
    } else {
#pragma unroll
        for (int g = 0; g < VQ_MAX_GROUP; g++) if (g < group) score[g] += e[g];
    }
}

// One value codeword (16-byte loads where VD allows; codebooks start 256-byte aligned).
template <int VD>
__device__ __forceinline__ void vq_load_word(float (&w)[VD], const float* word) {
    if constexpr (VD % 4 == 0) {
#pragma unroll
        for (int i = 0; i < VD; i += 4) {
            const float4 v = __ldg(reinterpret_cast<const float4*>(word + i));
            w[i] = v.x;
            w[i + 1] = v.y;
            w[i + 2] = v.z;
            w[i + 3] = v.w;
        }
    } else {
#pragma unroll
        for (int i = 0; i < VD; i++) w[i] = __ldg(word + i);
    }
}

template <int VD>
__device__ __forceinline__ void vq_attention(
        const float* q, int rows, int row_offset, const int* row_seq, const int* row_pos,
        int query_heads, int kv_heads, int head_dim, int layer, int layers, int capacity, int window,
        const float* key_words, const int* key_book_of, int key_dims, int key_bits,
        const float* value_words, const int* value_book_of, int value_bits,
        const float* lambda, int hadamard, float scale,
        const unsigned short* key_codes, const unsigned short* value_codes,
        const float* table_scratch, int chunk_tokens, float* o, float* lse) {
    constexpr int T = VQ_ATTENTION_THREADS;
    extern __shared__ float shared[];
    const int group = query_heads / kv_heads, kv_head = blockIdx.y, split = blockIdx.z;
    const int row = row_offset + blockIdx.x, seq = row_seq[row], pos = row_pos[row];
    const int slot = layer * kv_heads + kv_head;
    const int key_sub = head_dim / key_dims, value_sub = head_dim / VD;
    const int key_words_count = 1 << key_bits, value_words_count = 1 << value_bits;
    float* qt = shared;                          // [group][head_dim]; reused for the lanes' sum at the end
    float* scores = qt + group * head_dim;       // [group][T]: scores, then softmax weights
    float* state_m = scores + group * T;         // [VQ_MAX_GROUP] running max per head
    float* state_l = state_m + VQ_MAX_GROUP;     // running sum of e^{score - m}
    float* state_alpha = state_l + VQ_MAX_GROUP; // rescaling of this tile
    float* table_shared = state_alpha + VQ_MAX_GROUP;

    const int compressed = vq_compressed_tokens(pos, window, capacity);
    const int begin = min(compressed, split * chunk_tokens);
    // the last split takes whatever is left, so a plan made for a shorter context loses no token
    const int end = split == (int)gridDim.z - 1 ? compressed : min(compressed, begin + chunk_tokens);
    const long long out_state = ((long long)split * rows + row) * query_heads + (long long)kv_head * group;
    if (begin >= end) { // nothing to attend in this split (or no compressed token yet): an empty state
        for (int i = threadIdx.x; i < group * head_dim; i += blockDim.x) o[out_state * head_dim + i] = 0.f;
        if (threadIdx.x < group) lse[out_state + threadIdx.x] = -CUDART_INF_F;
        return;
    }

    const float* table;
    if (table_scratch) {
        table = table_scratch + ((long long)blockIdx.x * kv_heads + kv_head) * key_sub * key_words_count * group;
    } else {
        vq_transformed_queries(qt, q, row, kv_head, group, query_heads, head_dim,
                               lambda ? lambda + (long long)slot * head_dim : nullptr, hadamard);
        vq_fill_table(table_shared, qt, group, head_dim, key_words, key_book_of + slot * key_sub, key_dims,
                      key_words_count);
        table = table_shared;
    }
    if (threadIdx.x < VQ_MAX_GROUP) {
        state_m[threadIdx.x] = -CUDART_INF_F;
        state_l[threadIdx.x] = 0.f;
    }
    __syncthreads();

    const unsigned short* keys = key_codes + vq_code_base(seq, layer, kv_head, layers, kv_heads, capacity, key_sub);
    const unsigned short* values =
            value_codes + vq_code_base(seq, layer, kv_head, layers, kv_heads, capacity, value_sub);
    // Value side: thread = (sub-space s, lane); lane k takes tokens k, k + lanes, ... of each tile.
    const int s = threadIdx.x % value_sub, lane = threadIdx.x / value_sub, lanes = T / value_sub;
    const bool decodes = lane < lanes;
    const float* value_book = value_words
            + (long long)value_book_of[slot * value_sub + s] * value_words_count * VD;
    float acc[VQ_MAX_GROUP][VD];
#pragma unroll
    for (int g = 0; g < VQ_MAX_GROUP; g++)
#pragma unroll
        for (int i = 0; i < VD; i++) acc[g][i] = 0.f;

    const int warp = threadIdx.x >> 5, warp_lane = threadIdx.x & 31;
    for (int tile = begin; tile < end; tile += T) {
        const int n = min(T, end - tile);
        // 1. scores of token tile + threadIdx.x for every head of the group
        float score[VQ_MAX_GROUP];
#pragma unroll
        for (int g = 0; g < VQ_MAX_GROUP; g++) score[g] = 0.f;
        if ((int)threadIdx.x < n) {
            const unsigned short* codes = keys + (long long)(tile + threadIdx.x) * key_sub;
            if ((key_sub & 7) == 0) { // 16-byte loads of 8 codes (the token's codes are 16-byte aligned)
                for (int s8 = 0; s8 < key_sub; s8 += 8) {
                    const uint4 pack = *reinterpret_cast<const uint4*>(codes + s8);
                    const unsigned part[4] = {pack.x, pack.y, pack.z, pack.w};
#pragma unroll
                    for (int u = 0; u < 4; u++) {
                        vq_add_entries(score, table, s8 + 2 * u, part[u] & 0xffffu, key_words_count, group);
                        vq_add_entries(score, table, s8 + 2 * u + 1, part[u] >> 16, key_words_count, group);
                    }
                }
            } else {
                for (int k = 0; k < key_sub; k++) vq_add_entries(score, table, k, codes[k], key_words_count, group);
            }
        }
#pragma unroll
        for (int g = 0; g < VQ_MAX_GROUP; g++) {
            if (g < group) scores[g * T + threadIdx.x] = (int)threadIdx.x < n ? __fmul_rn(score[g], scale) : -CUDART_INF_F;
        }
        __syncthreads();

        // 2. online softmax: warp g rescales head g's state and turns its scores into weights
        if (warp < group) {
            float* sc = scores + warp * T;
            float tile_max = -CUDART_INF_F;
            for (int j = warp_lane; j < T; j += 32) tile_max = fmaxf(tile_max, sc[j]);
            for (int offset = 16; offset > 0; offset >>= 1) tile_max = fmaxf(tile_max, __shfl_xor_sync(0xffffffffu, tile_max, offset));
            const float m_old = state_m[warp], m_new = fmaxf(m_old, tile_max);
            const float alpha = m_old == -CUDART_INF_F ? 0.f : expf(m_old - m_new);
            float sum = 0.f;
            for (int j = warp_lane; j < T; j += 32) {
                const float p = j < n ? expf(sc[j] - m_new) : 0.f;
                sc[j] = p;
                sum += p;
            }
            for (int offset = 16; offset > 0; offset >>= 1) sum += __shfl_xor_sync(0xffffffffu, sum, offset);
            if (warp_lane == 0) {
                state_m[warp] = m_new;
                state_l[warp] = __fadd_rn(__fmul_rn(state_l[warp], alpha), sum);
                state_alpha[warp] = alpha;
            }
        }
        __syncthreads();

        // 3. values decoded inside the weighted sum
        if (decodes) {
#pragma unroll
            for (int g = 0; g < VQ_MAX_GROUP; g++) {
                if (g < group) {
                    const float alpha = state_alpha[g];
#pragma unroll
                    for (int i = 0; i < VD; i++) acc[g][i] = __fmul_rn(acc[g][i], alpha);
                }
            }
            for (int j = lane; j < n; j += lanes) {
                const unsigned code = values[(long long)(tile + j) * value_sub + s] & (unsigned)(value_words_count - 1);
                const float* word = value_book + (long long)code * VD;
                float w[VD];
                vq_load_word<VD>(w, word);
#pragma unroll
                for (int g = 0; g < VQ_MAX_GROUP; g++) {
                    if (g < group) {
                        const float p = scores[g * T + j];
#pragma unroll
                        for (int i = 0; i < VD; i++) acc[g][i] = fmaf(p, w[i], acc[g][i]);
                    }
                }
            }
        }
        __syncthreads(); // the next tile overwrites the weights
    }

    // 4. sum the lanes in lane order into qt (free now), then normalise
    float* out = qt;
    for (int k = 0; k < lanes; k++) {
        if (decodes && lane == k) {
#pragma unroll
            for (int g = 0; g < VQ_MAX_GROUP; g++) {
                if (g < group) {
#pragma unroll
                    for (int i = 0; i < VD; i++) {
                        float* at = out + g * head_dim + s * VD + i;
                        *at = k == 0 ? acc[g][i] : __fadd_rn(*at, acc[g][i]);
                    }
                }
            }
        }
        __syncthreads();
    }
    for (int i = threadIdx.x; i < group * head_dim; i += blockDim.x) {
        o[out_state * head_dim + i] = __fdiv_rn(out[i], state_l[i / head_dim]);
    }
    if (threadIdx.x < group) lse[out_state + threadIdx.x] = state_m[threadIdx.x] + logf(state_l[threadIdx.x]);
}

#define VQ_ATTENTION_ENTRY(VD)                                                                                   \
    extern "C" __global__ void __launch_bounds__(VQ_ATTENTION_THREADS) vq_attention_v##VD(                      \
            const float* q, int rows, int row_offset, const int* row_seq, const int* row_pos, int query_heads,   \
            int kv_heads, int head_dim, int layer, int layers, int capacity, int window, const float* key_words, \
            const int* key_book_of, int key_dims, int key_bits, const float* value_words,                        \
            const int* value_book_of, int value_bits, const float* lambda, int hadamard, float scale,            \
            const unsigned short* key_codes, const unsigned short* value_codes, const float* table_scratch,      \
            int chunk_tokens, float* o, float* lse) {                                                            \
        vq_attention<VD>(q, rows, row_offset, row_seq, row_pos, query_heads, kv_heads, head_dim, layer, layers,  \
                         capacity, window, key_words, key_book_of, key_dims, key_bits, value_words,              \
                         value_book_of, value_bits, lambda, hadamard, scale, key_codes, value_codes,             \
                         table_scratch, chunk_tokens, o, lse);                                                   \
    }
VQ_ATTENTION_ENTRY(1)
VQ_ATTENTION_ENTRY(2)
VQ_ATTENTION_ENTRY(4)
VQ_ATTENTION_ENTRY(8)

// The parts of one merge, read through an accessor so that both entry points share the arithmetic.
struct VqTwoParts {
    const float *o1, *lse1, *o2, *lse2;
    int head_dim;
    __device__ float lse(int p, long long state) const { return p == 0 ? lse1[state] : lse2[state]; }
    __device__ float o(int p, long long state, int d) const { return (p == 0 ? o1 : o2)[state * head_dim + d]; }
};

struct VqSplitParts {
    const float *o_parts, *lse_parts;
    long long states;
    int head_dim;
    __device__ float lse(int p, long long state) const { return lse_parts[p * states + state]; }
    __device__ float o(int p, long long state, int d) const { return o_parts[(p * states + state) * head_dim + d]; }
};

template <class Parts>
__device__ void vq_merge(const Parts& parts, int count, int head_dim, float* o, float* lse) {
    const long long state = blockIdx.x;
    float m = -CUDART_INF_F;
    for (int p = 0; p < count; p++) m = fmaxf(m, parts.lse(p, state));
    float sum = 0.f;
    if (m != -CUDART_INF_F) {
        for (int p = 0; p < count; p++) {
            const float l = parts.lse(p, state);
            if (l != -CUDART_INF_F) sum = __fadd_rn(sum, expf(l - m));
        }
    }
    __syncthreads(); // every thread has read the lse parts before thread 0 may overwrite part 0's
    for (int d = threadIdx.x; d < head_dim; d += blockDim.x) {
        float acc = 0.f;
        if (m != -CUDART_INF_F) {
            for (int p = 0; p < count; p++) {
                const float l = parts.lse(p, state);
                if (l != -CUDART_INF_F) acc = fmaf(expf(l - m), parts.o(p, state, d), acc);
            }
            acc = __fdiv_rn(acc, sum);
        }
        o[state * head_dim + d] = acc;
    }
    __syncthreads(); // and every thread has finished with them before it does
    if (threadIdx.x == 0) lse[state] = m == -CUDART_INF_F ? -CUDART_INF_F : m + logf(sum);
}

extern "C" __global__ void merge_states(const float* o1, const float* lse1, const float* o2, const float* lse2,
                                        int head_dim, float* o, float* lse) {
    vq_merge(VqTwoParts{o1, lse1, o2, lse2, head_dim}, 2, head_dim, o, lse);
}

extern "C" __global__ void merge_splits(const float* o_parts, const float* lse_parts, int parts, long long states,
                                        int head_dim, float* o, float* lse) {
    vq_merge(VqSplitParts{o_parts, lse_parts, states, head_dim}, parts, head_dim, o, lse);
}
