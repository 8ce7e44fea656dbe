// vq_attention: fused lookup-table attention over the VQ-compressed tokens, the general kernel
// (every configuration; vq_lut_attention.cu is the fast one for the common ones).
//
// vq_attention_v{VD}_g{G}_{f32,f16} (VD = value sub-vector dims 1, 2, 4, 8; G = 4 for groups up to 4 query heads
// per KV head, 8 up to 8; table entries fp32 or fp16)
//   Launch (io.vecinfer.cuda.vq.VqAttentionKernel): grid (rows of this pass, kv_heads, splits), block
//   VQ_ATTENTION_THREADS (8 warps), dynamic shared memory VqAttentionPlanner.sharedBytes. One block serves one
//   query row (a new token of sequence row_seq[r] at position row_pos[r]), the `group` query heads of one
//   KV head (GQA: every code is read once for the group), and split z of the compressed positions
//   [0, c) with c = ResidualWindow.compressedTokens(row_pos + 1, window):
//     1. q̃ = q · λ, then Hadamard, for each head of the group (KeyTransform.query);
//     2. table[s][c][g] = q̃_g,s · key codeword c (g < G, zero past the group): in shared memory, or
//        (table_scratch != null) already built in global memory by vq_query_table when it does not fit. The
//        G entries of one (sub-space, codeword) sit side by side: one 16-byte (or 8-byte) load serves the group;
//     3. the key and value codes of tiles of VQ_TILE tokens stream into shared memory by cp.async, two tiles in
//        flight (the next one loads while this one is scored). Warp w takes tokens w·32 .. w·32+31 of each tile
//        and keeps its own online softmax: lane = token scores it for every head (Σ_s table[s][code][g] in s
//        order, × scale), the warp's max moves its running max m_w (rescaling its state when it grows), lane
//        keeps its own Σ p, and then lane = value sub-space (or sub-space and token part when there are fewer
//        than 32 sub-spaces) decodes the value codewords of the warp's 32 tokens into register accumulators;
//     4. the warps' states merge (lane sums by shuffles, warps in order) and the block writes its normalised
//        output and lse = m + log(l) to o/lse at index (split * rows + row) * query_heads + head: the final
//        result when splits == 1, else split partials that merge_splits combines. An empty split writes
//        o = 0, lse = -inf.
//   Keys are never dequantized. Codes are uint8 (code_bytes 1) or uint16 (2) containers (vq_common.cuh).
//   Value codewords are read from shared memory when every value sub-space of the (layer, KV head) uses one book
//   (value_book_shared), else from global memory through L1.
//
// vq_query_table_{f32,f16}: grid (rows of this pass, kv_heads), block VQ_ATTENTION_THREADS, shared group * head_dim
//   floats. Builds the table of step 2 into table_scratch[(row in pass * kv_heads + kv_head)][s][c][G].
//
// The split partials are merged by merge_splits (vq_merge.cu).
//
// Layouts: vq_common.cuh. Queries fp32 [row][query head][head_dim]; o fp32 [.][query head][head_dim],
// lse fp32 [.][query head].
#include "vq_attention_params.cuh"
#include "vq_common.cuh"

#include <type_traits>

constexpr int VQ_ATTENTION_THREADS = 256;                // 8 warps
constexpr int VQ_WARPS = VQ_ATTENTION_THREADS / 32;
constexpr int VQ_TILE = VQ_ATTENTION_THREADS;            // tokens of one staged tile: 32 per warp

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

template <typename E> __device__ __forceinline__ E vq_entry(float x);
template <> __device__ __forceinline__ float vq_entry<float>(float x) { return x; }
template <> __device__ __forceinline__ __half vq_entry<__half>(float x) { return __float2half_rn(x); }

// table[(s * words + c) * stride + g] = q̃_g,s · codeword c of sub-space s's book, summed in Codebook.dot's order
// (0 for g >= group), rounded to E.
template <typename E>
__device__ void vq_fill_table(E* table, const float* qt, int group, int stride, int head_dim, const float* key_words,
                              const int* key_book_of, int key_dims, int words) {
    const int subspaces = head_dim / key_dims;
    const long long entries = (long long)subspaces * words * stride;
    for (long long e = threadIdx.x; e < entries; e += blockDim.x) {
        const int g = (int)(e % stride);
        const long long sc = e / stride;
        const int c = (int)(sc % words), s = (int)(sc / words);
        float dot = 0.f;
        if (g < group) {
            const float* w = key_words + ((long long)key_book_of[s] * words + c) * key_dims;
            const float* x = qt + g * head_dim + s * key_dims;
            for (int i = 0; i < key_dims; i++) dot = __fadd_rn(dot, __fmul_rn(x[i], w[i]));
        }
        table[e] = vq_entry<E>(dot);
    }
}

template <typename E>
__device__ __forceinline__ void vq_query_table(const VqAttentionParams& p) {
    extern __shared__ float qt[];
    const int kv_head = blockIdx.y, group = p.query_heads / p.kv_heads, slot = p.layer * p.kv_heads + kv_head;
    const int key_sub = p.head_dim / p.key_dims, words = 1 << p.key_bits, stride = group <= 4 ? 4 : 8;
    const long long table_entries = (long long)key_sub * words * stride;
    vq_transformed_queries(qt, p.q, p.row_offset + blockIdx.x, kv_head, group, p.query_heads, p.head_dim,
                           p.lambda ? p.lambda + (long long)slot * p.head_dim : nullptr, p.hadamard);
    E* table = reinterpret_cast<E*>(const_cast<void*>(p.table_scratch));
    vq_fill_table<E>(table + ((long long)blockIdx.x * p.kv_heads + kv_head) * table_entries, qt, group, stride,
                     p.head_dim, p.key_words, p.key_book_of + slot * key_sub, p.key_dims, words);
}

#define VQ_QUERY_TABLE_ENTRY(NAME, E)                                                                   \
    extern "C" __global__ void __launch_bounds__(VQ_ATTENTION_THREADS) NAME(const VqAttentionParams p) { \
        vq_query_table<E>(p);                                                                           \
    }
VQ_QUERY_TABLE_ENTRY(vq_query_table_f32, float)
VQ_QUERY_TABLE_ENTRY(vq_query_table_f16, __half)

// score[g] += the G entries at e (16-byte loads of fp32, 8-byte loads of fp16; fp32 sums).
template <int G, typename E>
__device__ __forceinline__ void vq_add_entries(float (&score)[G], const E* e) {
    if constexpr (std::is_same<E, float>::value) {
#pragma unroll
        for (int i = 0; i < G; i += 4) {
            const float4 v = *reinterpret_cast<const float4*>(e + i);
            score[i] += v.x;
            score[i + 1] += v.y;
            score[i + 2] += v.z;
            score[i + 3] += v.w;
        }
    } else {
#pragma unroll
        for (int i = 0; i < G; i += 4) {
            const uint2 v = *reinterpret_cast<const uint2*>(e + i);
            const float2 a = __half22float2(*reinterpret_cast<const __half2*>(&v.x));
            const float2 b = __half22float2(*reinterpret_cast<const __half2*>(&v.y));
            score[i] += a.x;
            score[i + 1] += a.y;
            score[i + 2] += b.x;
            score[i + 3] += b.y;
        }
    }
}

__device__ __forceinline__ unsigned vq_code(const unsigned char* codes, int i, int code_bytes) {
    return code_bytes == 1 ? (unsigned)codes[i] : (unsigned)reinterpret_cast<const unsigned short*>(codes)[i];
}

__device__ __forceinline__ void vq_cp_async16(void* dst, const void* src) {
    const unsigned d = (unsigned)__cvta_generic_to_shared(dst);
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16;\n" ::"r"(d), "l"(src) : "memory");
}
__device__ __forceinline__ void vq_cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::: "memory"); }
template <int N> __device__ __forceinline__ void vq_cp_async_wait() {
    asm volatile("cp.async.wait_group %0;\n" ::"n"(N) : "memory");
}

// Stages `bytes` bytes of codes into shared memory: 16-byte cp.async (the source 16-byte aligned; whole 16-byte
// chunks, the code arrays are padded to 16 bytes), or else plain byte copies (visible after the next barrier).
__device__ __forceinline__ void vq_stage(unsigned char* dst, const unsigned char* src, int bytes, bool vector) {
    if (vector) {
        for (int i = threadIdx.x * 16; i < bytes; i += VQ_ATTENTION_THREADS * 16) vq_cp_async16(dst + i, src + i);
    } else {
        for (int i = threadIdx.x; i < bytes; i += VQ_ATTENTION_THREADS) dst[i] = src[i];
    }
}

template <int VD>
__device__ __forceinline__ void vq_load_word(float (&w)[VD], const float* word, bool shared) {
    if constexpr (VD % 4 == 0) {
#pragma unroll
        for (int i = 0; i < VD; i += 4) {
            const float4 v = shared ? *reinterpret_cast<const float4*>(word + i)
                                    : __ldg(reinterpret_cast<const float4*>(word + i));
            w[i] = v.x;
            w[i + 1] = v.y;
            w[i + 2] = v.z;
            w[i + 3] = v.w;
        }
    } else if constexpr (VD == 2) {
        const float2 v = shared ? *reinterpret_cast<const float2*>(word) : __ldg(reinterpret_cast<const float2*>(word));
        w[0] = v.x;
        w[1] = v.y;
    } else {
        w[0] = shared ? word[0] : __ldg(word);
    }
}

// Value sub-spaces one lane may hold: head_dim / VD / 32 at head_dim 128 (256 for d8), at least one.
template <int VD> __host__ __device__ constexpr int vq_value_units() { return (128 / VD) / 32 > 0 ? (128 / VD) / 32 : 1; }

template <int VD, int G, typename E>
__device__ __forceinline__ void vq_attention(const VqAttentionParams& args) {
    // the fields under their own names (the body predates the struct)
    const float* q = args.q;
    const int rows = args.rows, row_offset = args.row_offset, query_heads = args.query_heads, kv_heads = args.kv_heads;
    const int* row_seq = args.row_seq;
    const int* row_pos = args.row_pos;
    const int head_dim = args.head_dim, layer = args.layer, window = args.window;
    const float* key_words = args.key_words;
    const int* key_book_of = args.key_book_of;
    const int key_dims = args.key_dims, key_bits = args.key_bits, value_bits = args.value_bits, hadamard = args.hadamard;
    const float* value_words = args.value_words;
    const int* value_book_of = args.value_book_of;
    const float* lambda = args.lambda;
    const float scale = args.scale;
    const int key_code_bytes = args.key_code_bytes, value_code_bytes = args.value_code_bytes;
    const int value_book_shared = args.value_book_shared, chunk_tokens = args.chunk_tokens;
    const E* table_scratch = reinterpret_cast<const E*>(args.table_scratch);
    float* o = args.o;
    float* lse = args.lse;
    constexpr int T = VQ_TILE, VS = vq_value_units<VD>();
    extern __shared__ __align__(16) unsigned char vq_smem[];
    const int group = query_heads / kv_heads, kv_head = blockIdx.y, split = blockIdx.z;
    const int row = row_offset + blockIdx.x, seq = row_seq[row], pos = row_pos[row];
    const int slot = layer * kv_heads + kv_head;
    const int key_sub = head_dim / key_dims, value_sub = head_dim / VD;
    const int key_words_count = 1 << key_bits, value_words_count = 1 << value_bits;
    const int key_row = key_sub * key_code_bytes, value_row = value_sub * value_code_bytes; // bytes per token
    const int key_tile = (T * key_row + 15) & ~15, value_tile = (T * value_row + 15) & ~15;
    // shared memory (VqAttentionPlanner.sharedBytes mirrors it)
    const int table_bytes = table_scratch ? 0 : ((key_sub * key_words_count * G * (int)sizeof(E) + 15) & ~15);
    const int vword_floats = value_book_shared ? ((value_words_count * VD + 3) & ~3) : 0;
    E* table_shared = reinterpret_cast<E*>(vq_smem);
    float* qt = reinterpret_cast<float*>(vq_smem + table_bytes); // [group][head_dim]; at the end the output sum
    float* vwords = qt + G * head_dim;                            // the value book, when shared
    float* weights = vwords + vword_floats;                       // [warp][token][G] softmax weights
    float* warp_m = weights + VQ_WARPS * 32 * G;                  // [warp][G]
    float* warp_l = warp_m + VQ_WARPS * G;                        // [warp][G]
    float* block_l = warp_l + VQ_WARPS * G;                       // [G]
    unsigned char* stages = reinterpret_cast<unsigned char*>(block_l + 2 * G); // 2 x (key tile, value tile)

    const VqRunCodes codes = vq_run_codes(args, seq, kv_head, key_sub, value_sub);
    const int compressed = vq_compressed_tokens(pos, window, codes.capacity);
    const int begin = min(compressed, split * chunk_tokens);
    // the last split takes whatever is left, so a plan made for a shorter context loses no token
    const int end = split == (int)gridDim.z - 1 ? compressed : min(compressed, begin + chunk_tokens);
    const long long out_state = ((long long)split * rows + row) * query_heads + (long long)kv_head * group;
    if (begin >= end) { // nothing to attend in this split (or no compressed token yet): an empty state
        for (int i = threadIdx.x; i < group * head_dim; i += blockDim.x) o[out_state * head_dim + i] = 0.f;
        if (threadIdx.x < group) lse[out_state + threadIdx.x] = -CUDART_INF_F;
        return;
    }

    const unsigned char* keys = codes.keys;
    const unsigned char* values = codes.values;
    const int tiles = (end - begin + T - 1) / T;
    const bool vector = (((unsigned long long)(keys + (long long)begin * key_row)
                          | (unsigned long long)(values + (long long)begin * value_row)) & 15ull) == 0;
    auto load_tile = [&](int i) {
        const int first = begin + i * T, n = min(T, end - first);
        unsigned char* dst = stages + (i & 1) * (key_tile + value_tile);
        const int kb = n * key_row, vb = n * value_row;
        vq_stage(dst, keys + (long long)first * key_row, vector ? (kb + 15) & ~15 : kb, vector);
        vq_stage(dst + key_tile, values + (long long)first * value_row, vector ? (vb + 15) & ~15 : vb, vector);
        vq_cp_async_commit();
    };
    load_tile(0); // in flight while the table is built

    const E* table;
    if (table_scratch) {
        table = table_scratch + ((long long)blockIdx.x * kv_heads + kv_head) * key_sub * key_words_count * G;
    } else {
        vq_transformed_queries(qt, q, row, kv_head, group, query_heads, head_dim,
                               lambda ? lambda + (long long)slot * head_dim : nullptr, hadamard);
        vq_fill_table<E>(table_shared, qt, group, G, head_dim, key_words, key_book_of + slot * key_sub, key_dims,
                         key_words_count);
        table = table_shared;
    }
    if (value_book_shared) {
        const float* book = value_words + (long long)value_book_of[slot * value_sub] * value_words_count * VD;
        for (int i = threadIdx.x; i < value_words_count * VD; i += blockDim.x) vwords[i] = book[i];
    }

    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    // value side: lane = sub-space (several when there are more than 32), or sub-space and token part
    const int parts = value_sub >= 32 ? 1 : 32 / value_sub;
    const int units = value_sub >= 32 ? value_sub / 32 : 1;
    const int unit0 = value_sub >= 32 ? lane : lane % value_sub, part = value_sub >= 32 ? 0 : lane / value_sub;
    const float* vbook[VS];
#pragma unroll
    for (int k = 0; k < VS; k++) {
        vbook[k] = value_book_shared ? vwords
                                     : value_words + (long long)value_book_of[slot * value_sub + min(unit0 + 32 * k, value_sub - 1)]
                                                     * value_words_count * VD;
    }
    const unsigned key_mask = (unsigned)(key_words_count - 1), value_mask = (unsigned)(value_words_count - 1);
    float m_run[G], l_lane[G], acc[VS][G][VD];
#pragma unroll
    for (int g = 0; g < G; g++) {
        m_run[g] = -CUDART_INF_F;
        l_lane[g] = 0.f;
#pragma unroll
        for (int k = 0; k < VS; k++)
#pragma unroll
            for (int i = 0; i < VD; i++) acc[k][g][i] = 0.f;
    }
    float* wts = weights + warp * 32 * G;

    for (int i = 0; i < tiles; i++) {
        if (i + 1 < tiles) {
            load_tile(i + 1);
            vq_cp_async_wait<1>();
        } else {
            vq_cp_async_wait<0>();
        }
        __syncthreads(); // tile i (and, the first time, the table) visible to every warp
        const unsigned char* kt = stages + (i & 1) * (key_tile + value_tile);
        const unsigned char* vt = kt + key_tile;
        const int n = min(T, end - (begin + i * T)), t0 = warp * 32, wn = min(32, n - t0);
        if (wn > 0) { // warp-uniform
            // 1. lane = token: its score for every head of the group
            float score[G];
#pragma unroll
            for (int g = 0; g < G; g++) score[g] = 0.f;
            if (lane < wn) {
                const unsigned char* c = kt + (t0 + lane) * key_row;
                if ((key_row & 15) == 0 && key_code_bytes == 1) {
                    for (int b = 0; b < key_row; b += 16) {
                        const uint4 pack = *reinterpret_cast<const uint4*>(c + b);
                        const unsigned word4[4] = {pack.x, pack.y, pack.z, pack.w};
#pragma unroll
                        for (int u = 0; u < 4; u++)
#pragma unroll
                            for (int k = 0; k < 4; k++) {
                                const unsigned code = (word4[u] >> (8 * k)) & 0xffu & key_mask;
                                vq_add_entries<G, E>(score, table + ((b + 4 * u + k) * key_words_count + code) * G);
                            }
                    }
                } else if ((key_row & 15) == 0) {
                    for (int b = 0; b < key_row; b += 16) {
                        const uint4 pack = *reinterpret_cast<const uint4*>(c + b);
                        const unsigned word4[4] = {pack.x, pack.y, pack.z, pack.w};
#pragma unroll
                        for (int u = 0; u < 4; u++)
#pragma unroll
                            for (int k = 0; k < 2; k++) {
                                const unsigned code = (word4[u] >> (16 * k)) & 0xffffu & key_mask;
                                vq_add_entries<G, E>(score, table + ((long long)(b / 2 + 2 * u + k) * key_words_count + code) * G);
                            }
                    }
                } else {
                    for (int s = 0; s < key_sub; s++) {
                        const unsigned code = vq_code(c, s, key_code_bytes) & key_mask;
                        vq_add_entries<G, E>(score, table + ((long long)s * key_words_count + code) * G);
                    }
                }
            }
            // 2. the warp's online softmax step
            float p[G];
            bool grow = false;
#pragma unroll
            for (int g = 0; g < G; g++) {
                const float sg = lane < wn && g < group ? __fmul_rn(score[g], scale) : -CUDART_INF_F;
                float mx = sg;
#pragma unroll
                for (int offset = 16; offset > 0; offset >>= 1) mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, offset));
                const float m_new = fmaxf(m_run[g], mx);
                grow |= m_new > m_run[g];
                p[g] = m_run[g] == -CUDART_INF_F ? 0.f : expf(m_run[g] - m_new); // alpha until the rescale below
                m_run[g] = m_new;
                score[g] = sg;
            }
            if (grow) { // warp-uniform; alpha is exactly 1 for a head whose max did not move
#pragma unroll
                for (int g = 0; g < G; g++) {
                    l_lane[g] = __fmul_rn(l_lane[g], p[g]);
#pragma unroll
                    for (int k = 0; k < VS; k++)
#pragma unroll
                        for (int v = 0; v < VD; v++) acc[k][g][v] = __fmul_rn(acc[k][g][v], p[g]);
                }
            }
#pragma unroll
            for (int g = 0; g < G; g++) {
                p[g] = lane < wn && g < group ? expf(score[g] - m_run[g]) : 0.f;
                l_lane[g] = __fadd_rn(l_lane[g], p[g]);
            }
#pragma unroll
            for (int g = 0; g < G; g += 4)
                *reinterpret_cast<float4*>(wts + lane * G + g) = make_float4(p[g], p[g + 1], p[g + 2], p[g + 3]);
            __syncwarp();
            // 3. lane = value sub-space (and token part): the warp's tokens decoded into the weighted sums
            // four tokens at a time (their loads issued together), then the rest; sums in token order
            int j = part;
            for (; j + 3 * parts < wn; j += 4 * parts) {
                float pw[4][G], w[4][VS][VD];
#pragma unroll
                for (int t = 0; t < 4; t++) {
#pragma unroll
                    for (int g = 0; g < G; g += 4) {
                        const float4 v = *reinterpret_cast<const float4*>(wts + (j + t * parts) * G + g);
                        pw[t][g] = v.x;
                        pw[t][g + 1] = v.y;
                        pw[t][g + 2] = v.z;
                        pw[t][g + 3] = v.w;
                    }
                    const unsigned char* vc = vt + (t0 + j + t * parts) * value_row;
#pragma unroll
                    for (int k = 0; k < VS; k++) {
                        if (k < units) {
                            const unsigned code = vq_code(vc, unit0 + 32 * k, value_code_bytes) & value_mask;
                            if (value_book_shared) vq_load_word<VD>(w[t][k], vwords + code * VD, true);
                            else vq_load_word<VD>(w[t][k], vbook[k] + (long long)code * VD, false);
                        }
                    }
                }
#pragma unroll
                for (int t = 0; t < 4; t++)
#pragma unroll
                    for (int k = 0; k < VS; k++)
                        if (k < units)
#pragma unroll
                            for (int g = 0; g < G; g++)
#pragma unroll
                                for (int v = 0; v < VD; v++) acc[k][g][v] = fmaf(pw[t][g], w[t][k][v], acc[k][g][v]);
            }
            for (; j < wn; j += parts) {
                float pw[G];
#pragma unroll
                for (int g = 0; g < G; g += 4) {
                    const float4 v = *reinterpret_cast<const float4*>(wts + j * G + g);
                    pw[g] = v.x;
                    pw[g + 1] = v.y;
                    pw[g + 2] = v.z;
                    pw[g + 3] = v.w;
                }
                const unsigned char* vc = vt + (t0 + j) * value_row;
#pragma unroll
                for (int k = 0; k < VS; k++) {
                    if (k < units) {
                        const unsigned code = vq_code(vc, unit0 + 32 * k, value_code_bytes) & value_mask;
                        float w[VD];
                        if (value_book_shared) vq_load_word<VD>(w, vwords + code * VD, true);
                        else vq_load_word<VD>(w, vbook[k] + (long long)code * VD, false);
#pragma unroll
                        for (int g = 0; g < G; g++)
#pragma unroll
                            for (int v = 0; v < VD; v++) acc[k][g][v] = fmaf(pw[g], w[v], acc[k][g][v]);
                    }
                }
            }
            __syncwarp(); // the weights are rewritten next tile
        }
        __syncthreads(); // every warp is done with tile i before tile i + 2 is staged over it
    }

    // 4. merge: lane sums (shuffle tree), token parts of one sub-space (shuffle tree), then the warps in order
#pragma unroll
    for (int g = 0; g < G; g++) {
#pragma unroll
        for (int offset = 16; offset > 0; offset >>= 1)
            l_lane[g] = __fadd_rn(l_lane[g], __shfl_xor_sync(0xffffffffu, l_lane[g], offset));
    }
    for (int offset = value_sub; offset < 32; offset <<= 1) {
#pragma unroll
        for (int k = 0; k < VS; k++)
#pragma unroll
            for (int g = 0; g < G; g++)
#pragma unroll
                for (int v = 0; v < VD; v++)
                    acc[k][g][v] = __fadd_rn(acc[k][g][v], __shfl_xor_sync(0xffffffffu, acc[k][g][v], offset));
    }
    // The same merge as vq_common.cuh's merge_warp_softmax, kept inline: calling it here changes this kernel's code
    // generation (its PTX grows by ~1,800 lines), so the switch waits for a GPU run of this kernel's tests.
    if (lane == 0) {
#pragma unroll
        for (int g = 0; g < G; g++) {
            warp_m[warp * G + g] = m_run[g];
            warp_l[warp * G + g] = l_lane[g];
        }
    }
    __syncthreads();
    float factor[G];
#pragma unroll
    for (int g = 0; g < G; g++) {
        float m = -CUDART_INF_F;
        for (int w = 0; w < VQ_WARPS; w++) m = fmaxf(m, warp_m[w * G + g]);
        const float mine = warp_m[warp * G + g];
        factor[g] = mine == -CUDART_INF_F ? 0.f : expf(mine - m);
        if (threadIdx.x == 0) {
            float l = 0.f;
            for (int w = 0; w < VQ_WARPS; w++) {
                const float mw = warp_m[w * G + g];
                if (mw != -CUDART_INF_F) l = __fadd_rn(l, __fmul_rn(expf(mw - m), warp_l[w * G + g]));
            }
            block_l[g] = l;
            block_l[G + g] = m;
        }
    }
    float* out = qt; // free now
    for (int w = 0; w < VQ_WARPS; w++) {
        if (warp == w && part == 0) {
#pragma unroll
            for (int k = 0; k < VS; k++) {
                if (k < units) {
#pragma unroll
                    for (int g = 0; g < G; g++) {
                        if (g < group) {
#pragma unroll
                            for (int v = 0; v < VD; v++) {
                                float* at = out + g * head_dim + (unit0 + 32 * k) * VD + v;
                                const float x = __fmul_rn(acc[k][g][v], factor[g]);
                                *at = w == 0 ? x : __fadd_rn(*at, x);
                            }
                        }
                    }
                }
            }
        }
        __syncthreads();
    }
    for (int i = threadIdx.x; i < group * head_dim; i += blockDim.x) {
        o[out_state * head_dim + i] = __fdiv_rn(out[i], block_l[i / head_dim]);
    }
    if (threadIdx.x < group) lse[out_state + threadIdx.x] = block_l[G + threadIdx.x] + logf(block_l[threadIdx.x]);
}

#define VQ_ATTENTION_ENTRY(VD, G, E, SUFFIX)                                                                   \
    extern "C" __global__ void __launch_bounds__(VQ_ATTENTION_THREADS)                                         \
            vq_attention_v##VD##_g##G##_##SUFFIX(const VqAttentionParams p) {                                  \
        vq_attention<VD, G, E>(p);                                                                             \
    }
#define VQ_ATTENTION_ENTRIES(VD)                    \
    VQ_ATTENTION_ENTRY(VD, 4, float, f32)           \
    VQ_ATTENTION_ENTRY(VD, 8, float, f32)           \
    VQ_ATTENTION_ENTRY(VD, 4, __half, f16)          \
    VQ_ATTENTION_ENTRY(VD, 8, __half, f16)
VQ_ATTENTION_ENTRIES(1)
VQ_ATTENTION_ENTRIES(2)
VQ_ATTENTION_ENTRIES(4)
VQ_ATTENTION_ENTRIES(8)
