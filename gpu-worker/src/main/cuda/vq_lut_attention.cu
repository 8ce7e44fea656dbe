// vq_lut_attention: the fast fused VQ decode attention for the common configurations (the general kernel,
// vq_attention.cu, serves the rest). Arithmetic and predictions: docs/results/gpu/vq-attention-notes.md.
//
// vq_lut_attention_k{KS}_v{VD}[_hv] (KS = key sub-spaces 16, 32, 64; VD = value sub-vector dims 1, 2, 4, 8; _hv: the
// fp16 value path, VD 2, 4, 8, head_dim <= 256: see step 5)
//   Serves: at most 4 query heads per KV head, key and value codes of at most 8 bits in uint8 containers, one
//   value book for all value sub-spaces of a (layer, KV head) (scope=layer or head), head_dim / 16 dividing 32.
//   Launch (io.vecinfer.cuda.vq.VqAttentionKernel, plan variant LUT): grid (rows of this pass, kv_heads, splits),
//   block of T threads (256 or 512, VqAttentionPlanner picks; tiles of T tokens, 32 per warp), dynamic shared
//   memory VqAttentionPlanner.lutSharedBytes, parameters one VqAttentionParams (vq_attention_params.cuh).
//   One block serves one query row, the (up to 4) query heads of one KV head, split z of the compressed positions:
//     1. q̃ (λ, Hadamard) for the 4 heads, then the table: entry (codeword c, sub-space s) = the 4 heads' fp16
//        q̃_g,s · word c in 8 bytes at [c][s], so one 8-byte load serves the whole group;
//     2. key and value codes of tiles of T tokens stream into shared memory by cp.async, two tiles in flight;
//     3. keys, lane = token: at step k the lane looks up sub-space s = k ^ (lane & 15). A half-warp's 16 lanes
//        then read 16 different s, whose entries lie in 16 different 8-byte bank pairs ([c][s] with KS a multiple
//        of 16: the bank pair is s mod 16), whatever the codes: no bank conflict. The lane's codes are permuted
//        in registers once per token (byte_perm for the low two bits of the mask, word selects for the high two)
//        so that step k reads byte k. Entries are summed in fp16 (half2) over 8 steps, then added in fp32;
//     4. the warp's online softmax (as vq_attention), weights to shared memory;
//     5. values, lane = (token part, 16 / VD consecutive value sub-spaces): the codes of those sub-spaces are one
//        16..128-bit load; each codeword comes from the lane's own copy (lane & 7) of the value book
//        ([chunk][c][copy][4 floats]): the 8 lanes of a 16-byte phase read 8 different bank groups: no
//        conflict; fp32 accumulators, fmaf in token order. The _hv kernels keep 16 fp16 copies ([chunk][c][copy][4
//        halves], copy lane & 15: an 8-byte phase's 16 lanes hit 16 bank pairs) and accumulate by HFMA2 in half2,
//        flushed into the fp32 accumulators every VQ_LUT_FLUSH_TILES warp tiles, before a rescale and at the end
//        (fp16 sums of many small weights would lose them): half the gathers' wavefronts, half the FMA instructions.
//        A flush reduce-scatters the half2 sums over the token parts (HADD2 along the xor tree, offsets 16 ..
//        head_dim / 16), so each lane keeps fp32 sums of 1/parts of the entries (16 floats, not 64, at head_dim 128):
//        512-thread blocks within 128 registers. The weights are stored as half2 splats (rounded once per token);
//     6. merge as vq_attention: lane sums and token parts by shuffles, then the warps in order; o and lse of the
//        split to o/lse at (split * rows + row) * query_heads + head (merge_splits, vq_merge.cu, combines them).
//   VqAttentionParams.skip leaves phases out for the benchmark's attribution runs (outputs then meaningless).
#include "vq_attention_params.cuh"
#include "vq_common.cuh"

constexpr int VQ_LUT_MAX_THREADS = 512;
constexpr int VQ_LUT_G = 4;          // heads per table entry (groups of up to 4; zero past the group)
constexpr int VQ_LUT_COPIES = 8;     // value book copies: one per lane of a 16-byte phase
constexpr int VQ_LUT_HALF_STEPS = 8; // key lookups summed in fp16 before the fp32 add
constexpr int VQ_LUT_HALF_COPIES = 16; // fp16 value book copies (_hv): one per lane of an 8-byte phase
constexpr int VQ_LUT_FLUSH_TILES = 2;  // warp tiles between flushes of the fp16 value accumulators (_hv)

__device__ __forceinline__ void vq_lut_cp_async16(void* dst, const void* src) {
    const unsigned d = (unsigned)__cvta_generic_to_shared(dst);
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16;\n" ::"r"(d), "l"(src) : "memory");
}
__device__ __forceinline__ void vq_lut_commit() { asm volatile("cp.async.commit_group;\n" ::: "memory"); }
template <int N> __device__ __forceinline__ void vq_lut_wait() { asm volatile("cp.async.wait_group %0;\n" ::"n"(N) : "memory"); }

// One reduce-scatter step of the fp16 value sums over lanes `offset` apart: the lane keeps entries [0, HALF) or
// [HALF, 2 HALF) as its bit `offset` says, moved to [0, HALF), plus the partner's copy of them. Masks, not
// `upper ? x[a] : x[b]`, which the compiler turns into a runtime index (local memory).
template <int HALF, int N> __device__ __forceinline__ void vq_lut_scatter_step(__half2 (&x)[N], int lane, int offset) {
    static_assert(2 * HALF <= N, "a step halves the active entries");
    const unsigned upper = (lane & offset) ? 0xffffffffu : 0u;
#pragma unroll
    for (int j = 0; j < HALF; j++) {
        const unsigned lo = *reinterpret_cast<const unsigned*>(&x[j]), hi = *reinterpret_cast<const unsigned*>(&x[j + HALF]);
        const unsigned keep = (hi & upper) | (lo & ~upper), send = (lo & upper) | (hi & ~upper);
        const unsigned got = __shfl_xor_sync(0xffffffffu, send, offset);
        x[j] = __hadd2(*reinterpret_cast<const __half2*>(&keep), *reinterpret_cast<const __half2*>(&got));
    }
}

template <int WD> __device__ __forceinline__ void vq_lut_word(float (&w)[WD], const float* at) {
    if constexpr (WD == 4) {
        const float4 v = *reinterpret_cast<const float4*>(at);
        w[0] = v.x; w[1] = v.y; w[2] = v.z; w[3] = v.w;
    } else if constexpr (WD == 2) {
        const float2 v = *reinterpret_cast<const float2*>(at);
        w[0] = v.x; w[1] = v.y;
    } else {
        w[0] = *at;
    }
}

template <int KS, int VD, bool HV>
__device__ __forceinline__ void vq_lut_attention(const VqAttentionParams& p) {
    constexpr int G = VQ_LUT_G, U = 16 / VD, WD = VD < 4 ? VD : 4, CHUNKS = VD / WD, KW = KS / 4;
    constexpr int COPIES = HV ? VQ_LUT_HALF_COPIES : VQ_LUT_COPIES, HP = HV ? VD / 2 : 1; // half2 per accumulator row
    static_assert(!HV || VD >= 2, "the fp16 value path packs dims in pairs");
    extern __shared__ __align__(16) unsigned char vq_smem[];
    const int T = blockDim.x, warps = T / 32;
    const int group = p.query_heads / p.kv_heads, kv_head = blockIdx.y, split = blockIdx.z;
    const int row = p.row_offset + blockIdx.x, seq = p.row_seq[row], pos = p.row_pos[row];
    const int slot = p.layer * p.kv_heads + kv_head, head_dim = p.head_dim;
    const int value_sub = head_dim / VD, key_words = 1 << p.key_bits, value_words = 1 << p.value_bits;
    const int lanes_per_token = head_dim / 16, parts = 32 / lanes_per_token;
    // shared memory (VqAttentionPlanner.lutSharedBytes mirrors it)
    uint2* table = reinterpret_cast<uint2*>(vq_smem);                                // [c][s]: 4 x fp16
    // [chunk][c][copy][WD]: 8 fp32 copies, or 16 fp16 ones (_hv) in the same bytes
    float* vcopies = reinterpret_cast<float*>(table + key_words * KS);
    __half* hcopies = reinterpret_cast<__half*>(vcopies);
    float* qt = vcopies + value_words * VD * VQ_LUT_COPIES;                          // [G][head_dim]; then the output
    float* weights = qt + G * head_dim;                                             // [warp][token][G]
    float* warp_m = weights + warps * 32 * G;                                       // [warp][G]
    float* warp_l = warp_m + warps * G;                                             // [warp][G]
    float* block_l = warp_l + warps * G;                                            // [2][G]
    unsigned char* stages = reinterpret_cast<unsigned char*>(block_l + 2 * G);      // 2 x (keys [T][KS], values [T][V])
    const int key_tile = T * KS, value_tile = T * value_sub;

    const VqRunCodes codes = vq_run_codes(p, seq, kv_head, KS, value_sub); // uint8 codes
    VqSplitTokens span;
    if (!vq_split_tokens(p, pos, codes.capacity, split, row, kv_head, group, head_dim, span)) return;
    const int begin = span.begin, end = span.end;
    const long long out_state = span.out_state;
    const unsigned char* keys = codes.keys;
    const unsigned char* values = codes.values;
    const int tiles = (end - begin + T - 1) / T;
    const bool restage = !(p.skip & VQ_SKIP_STAGING);
    // Rows of KS and value_sub bytes: a tile starts 16-byte aligned when `begin` is a multiple of 16 tokens (the
    // plan's chunks are multiples of T) and the base is (capacity * sub-spaces a multiple of 16, checked by the planner).
    auto load_tile = [&](int i) {
        const int first = begin + i * T, n = min(T, end - first);
        unsigned char* dst = stages + (i & 1) * (key_tile + value_tile);
        const int kb = (n * KS + 15) & ~15, vb = (n * value_sub + 15) & ~15;
        for (int b = threadIdx.x * 16; b < kb; b += T * 16) vq_lut_cp_async16(dst + b, keys + (long long)first * KS + b);
        for (int b = threadIdx.x * 16; b < vb; b += T * 16)
            vq_lut_cp_async16(dst + key_tile + b, values + (long long)first * value_sub + b);
        vq_lut_commit();
    };
    load_tile(0);

    // 1. transformed queries, the table, the value book copies
    {
        vq_transformed_queries<G>(p, row, kv_head, group, slot, head_dim, qt);
        const int* key_book = p.key_book_of + slot * KS;
        for (int e = threadIdx.x; e < key_words * KS; e += blockDim.x) {
            const int c = e / KS, s = e % KS;
            const float* w = p.key_words + ((long long)key_book[s] * key_words + c) * p.key_dims;
            __half h[G];
#pragma unroll
            for (int g = 0; g < G; g++) {
                float dot = 0.f; // Codebook.dot's order, explicit roundings: the reference's bits
                const float* x = qt + g * head_dim + s * p.key_dims;
                if (g < group)
                    for (int i = 0; i < p.key_dims; i++) dot = __fadd_rn(dot, __fmul_rn(x[i], w[i]));
                h[g] = __float2half_rn(dot);
            }
            uint2 entry;
            entry.x = (unsigned)__half_as_ushort(h[0]) | ((unsigned)__half_as_ushort(h[1]) << 16);
            entry.y = (unsigned)__half_as_ushort(h[2]) | ((unsigned)__half_as_ushort(h[3]) << 16);
            table[e] = entry;
        }
        const float* book = p.value_words + (long long)p.value_book_of[slot * value_sub] * value_words * VD;
        for (int e = threadIdx.x; e < value_words * VD * COPIES; e += blockDim.x) {
            // e = ((chunk * words + c) * copies + copy) * WD + i: every copy holds the same word
            const int i = e % WD, c = (e / (WD * COPIES)) % value_words, chunk = e / (WD * COPIES * value_words);
            const float x = book[c * VD + chunk * WD + i];
            if constexpr (HV) hcopies[e] = __float2half_rn(x);
            else vcopies[e] = x;
        }
    }

    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    const int skew = lane & 15;
    const unsigned byte_sel = 0x3210u ^ (unsigned)((skew & 3) * 0x1111);
    const int part = lane / lanes_per_token, sub0 = (lane % lanes_per_token) * U;
    const unsigned key_mask = (unsigned)(key_words - 1), value_mask = (unsigned)(value_words - 1);
    const float* my_copy = vcopies + (lane & (VQ_LUT_COPIES - 1)) * WD;
    const __half* my_hcopy = hcopies + (lane & (VQ_LUT_HALF_COPIES - 1)) * WD;
    float m_run[G], l_lane[G], acc[U][G][VD];
    // _hv: hacc[(u * G + g) * HP + k] = dims 2k, 2k + 1 of sub-space sub0 + u, head g (32 half2 for every VD). A flush
    // reduce-scatters them over the token parts (see flush), so the lane keeps fp32 sums of only its `owned` half2
    // entries, f2 = part * owned + j: 32 / parts instead of 64 floats, which lets the block have 512 threads.
    constexpr int HACC = HV ? U * G * HP : 1, OWN_MAX = HV ? HACC / 2 : 1; // parts >= 2 (the planner: head_dim <= 256)
    const int owned = HACC * lanes_per_token / 32;
    __half2 hacc[HACC];
    float own[2 * OWN_MAX];
    int pending = 0; // warp tiles accumulated in hacc since the last flush
    // the head of owned entry j (selects: a runtime index into a register array would go to local memory)
    auto head_of = [&](int j) { return ((part * owned + j) / HP) % G; };
    auto pick = [](const float (&x)[G], int g) { return g == 0 ? x[0] : g == 1 ? x[1] : g == 2 ? x[2] : x[3]; };
    auto flush = [&]() { // warp-collective (shuffles): called warp-uniformly
        if constexpr (HV) {
            // reduce-scatter over the token parts (lanes lanes_per_token .. 16 apart), in fp16: at offset o the lane
            // keeps the half of its active entries that its bit o selects and adds the partner's copy of that half
            // (HADD2 is commutative, so every lane's sum is that of the full xor tree: the reference's order)
            if (lanes_per_token <= 16) vq_lut_scatter_step<HACC / 2>(hacc, lane, 16); // warp-uniform conditions
            if (lanes_per_token <= 8) vq_lut_scatter_step<HACC / 4>(hacc, lane, 8);
            if (lanes_per_token <= 4) vq_lut_scatter_step<HACC / 8>(hacc, lane, 4);
            if (lanes_per_token <= 2) vq_lut_scatter_step<HACC / 16>(hacc, lane, 2);
            if (lanes_per_token <= 1) vq_lut_scatter_step<HACC / 32>(hacc, lane, 1);
#pragma unroll
            for (int j = 0; j < OWN_MAX; j++)
                if (j < owned) {
                    own[2 * j] = __fadd_rn(own[2 * j], __low2float(hacc[j]));
                    own[2 * j + 1] = __fadd_rn(own[2 * j + 1], __high2float(hacc[j]));
                }
#pragma unroll
            for (int j = 0; j < HACC; j++) hacc[j] = __float2half2_rn(0.f);
        }
        pending = 0;
    };
#pragma unroll
    for (int j = 0; j < HACC; j++) hacc[j] = __float2half2_rn(0.f);
#pragma unroll
    for (int j = 0; j < 2 * OWN_MAX; j++) own[j] = 0.f;
#pragma unroll
    for (int g = 0; g < G; g++) {
        m_run[g] = -CUDART_INF_F;
        l_lane[g] = 0.f;
#pragma unroll
        for (int u = 0; u < U; u++)
#pragma unroll
            for (int v = 0; v < VD; v++) acc[u][g][v] = 0.f;
    }
    float* wts = weights + warp * 32 * G;

    for (int i = 0; i < tiles; i++) {
        if (restage && i + 1 < tiles) {
            load_tile(i + 1);
            vq_lut_wait<1>();
        } else {
            vq_lut_wait<0>();
        }
        __syncthreads(); // tile i (and the first time the table and copies) visible to every warp
        const unsigned char* kt = stages + (restage ? (i & 1) : 0) * (key_tile + value_tile);
        const unsigned char* vt = kt + key_tile;
        const int n = restage ? min(T, end - (begin + i * T)) : min(T, end - begin);
        const int t0 = warp * 32, wn = min(32, n - t0);
        if (wn > 0) { // warp-uniform
            // 3. keys: lane = token
            float score[G];
#pragma unroll
            for (int g = 0; g < G; g++) score[g] = 0.f;
            if (lane < wn) {
                unsigned w[KW];
                const uint4* row_codes = reinterpret_cast<const uint4*>(kt + (t0 + lane) * KS);
#pragma unroll
                for (int b = 0; b < KW / 4; b++) {
                    const uint4 v = row_codes[b];
                    w[4 * b] = v.x; w[4 * b + 1] = v.y; w[4 * b + 2] = v.z; w[4 * b + 3] = v.w;
                }
                if (p.skip & VQ_SKIP_KEYS) {
#pragma unroll
                    for (int g = 0; g < G; g++) score[g] = (float)(w[0] & 0xffu);
                } else {
                    // byte k of the permuted words = the code of sub-space k ^ skew
#pragma unroll
                    for (int j = 0; j < KW; j++) w[j] = __byte_perm(w[j], 0, byte_sel);
                    {
                        unsigned t[KW];
#pragma unroll
                        for (int j = 0; j < KW; j++) t[j] = (skew & 4) ? w[j ^ 1] : w[j];
#pragma unroll
                        for (int j = 0; j < KW; j++) w[j] = (skew & 8) ? t[j ^ 2] : t[j];
                    }
#pragma unroll
                    for (int k0 = 0; k0 < KS; k0 += VQ_LUT_HALF_STEPS) {
                        __half2 h01 = __float2half2_rn(0.f), h23 = h01;
#pragma unroll
                        for (int k = k0; k < k0 + VQ_LUT_HALF_STEPS; k++) {
                            const unsigned code = (w[k >> 2] >> (8 * (k & 3))) & 0xffu & key_mask;
                            const uint2 e = table[code * KS + (k ^ skew)];
                            h01 = __hadd2(h01, *reinterpret_cast<const __half2*>(&e.x));
                            h23 = __hadd2(h23, *reinterpret_cast<const __half2*>(&e.y));
                        }
                        score[0] = __fadd_rn(score[0], __low2float(h01));
                        score[1] = __fadd_rn(score[1], __high2float(h01));
                        score[2] = __fadd_rn(score[2], __low2float(h23));
                        score[3] = __fadd_rn(score[3], __high2float(h23));
                    }
                }
            }
            // 4. the warp's online softmax step (vq_attention's arithmetic)
            float pr[G];
            if (p.skip & VQ_SKIP_SOFTMAX) {
#pragma unroll
                for (int g = 0; g < G; g++) {
                    pr[g] = lane < wn && g < group ? __fmul_rn(score[g], p.scale) : 0.f;
                    l_lane[g] = __fadd_rn(l_lane[g], pr[g]);
                    m_run[g] = 0.f;
                }
            } else {
                bool grow = false;
#pragma unroll
                for (int g = 0; g < G; g++) {
                    const float sg = lane < wn && g < group ? __fmul_rn(score[g], p.scale) : -CUDART_INF_F;
                    float mx = sg;
#pragma unroll
                    for (int offset = 16; offset > 0; offset >>= 1) mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, offset));
                    const float m_new = fmaxf(m_run[g], mx);
                    grow |= m_new > m_run[g];
                    pr[g] = m_run[g] == -CUDART_INF_F ? 0.f : expf(m_run[g] - m_new); // alpha until the rescale
                    m_run[g] = m_new;
                    score[g] = sg;
                }
                if (grow) { // warp-uniform; alpha is exactly 1 for a head whose max did not move
                    flush(); // the fp16 sums join the fp32 ones before they are rescaled
#pragma unroll
                    for (int g = 0; g < G; g++) {
                        l_lane[g] = __fmul_rn(l_lane[g], pr[g]);
                        if constexpr (!HV)
#pragma unroll
                            for (int u = 0; u < U; u++)
#pragma unroll
                                for (int v = 0; v < VD; v++) acc[u][g][v] = __fmul_rn(acc[u][g][v], pr[g]);
                    }
                    if constexpr (HV)
#pragma unroll
                        for (int j = 0; j < OWN_MAX; j++)
                            if (j < owned) {
                                const float alpha = pick(pr, head_of(j));
                                own[2 * j] = __fmul_rn(own[2 * j], alpha);
                                own[2 * j + 1] = __fmul_rn(own[2 * j + 1], alpha);
                            }
                }
#pragma unroll
                for (int g = 0; g < G; g++) {
                    pr[g] = lane < wn && g < group ? expf(score[g] - m_run[g]) : 0.f;
                    l_lane[g] = __fadd_rn(l_lane[g], pr[g]);
                }
            }
            if constexpr (HV) { // the weights as the half2 splats HFMA2 takes, rounded once per token
                __half2 h[G];
#pragma unroll
                for (int g = 0; g < G; g++) h[g] = __float2half2_rn(pr[g]);
                *reinterpret_cast<uint4*>(wts + lane * G) = make_uint4(*reinterpret_cast<unsigned*>(&h[0]), *reinterpret_cast<unsigned*>(&h[1]),
                                                                      *reinterpret_cast<unsigned*>(&h[2]), *reinterpret_cast<unsigned*>(&h[3]));
            } else {
                *reinterpret_cast<float4*>(wts + lane * G) = make_float4(pr[0], pr[1], pr[2], pr[3]);
            }
            __syncwarp();
            // 5. values: lane = (token part, sub-spaces sub0 .. sub0 + U - 1), tokens in order
            if (HV && !(p.skip & VQ_SKIP_VALUES)) {
#pragma unroll 1
                for (int j = part; j < wn; j += parts) {
                    const uint4 pw4 = *reinterpret_cast<const uint4*>(wts + j * G);
                    const __half2 pw[G] = {*reinterpret_cast<const __half2*>(&pw4.x), *reinterpret_cast<const __half2*>(&pw4.y),
                                           *reinterpret_cast<const __half2*>(&pw4.z), *reinterpret_cast<const __half2*>(&pw4.w)};
                    unsigned cw[(U + 3) / 4];
                    vq_code_words<U>(cw, vt + (t0 + j) * value_sub + sub0);
#pragma unroll
                    for (int u = 0; u < U; u++) {
                        const unsigned code = (cw[u >> 2] >> (8 * (u & 3))) & 0xffu & value_mask;
#pragma unroll
                        for (int ch = 0; ch < CHUNKS; ch++) {
                            __half2 wv[WD / 2 > 0 ? WD / 2 : 1]; // (WD = 1 only in kernels without the fp16 path)
                            const __half* at = my_hcopy + ((ch * value_words + code) * VQ_LUT_HALF_COPIES) * WD;
                            if constexpr (WD == 4) {
                                const uint2 v = *reinterpret_cast<const uint2*>(at);
                                wv[0] = *reinterpret_cast<const __half2*>(&v.x);
                                wv[WD / 2 - 1] = *reinterpret_cast<const __half2*>(&v.y);
                            } else {
                                wv[0] = *reinterpret_cast<const __half2*>(at);
                            }
#pragma unroll
                            for (int g = 0; g < G; g++)
#pragma unroll
                                for (int h = 0; h < WD / 2; h++)
                                    hacc[(u * G + g) * HP + ch * (WD / 2) + h] = __hfma2(pw[g], wv[h], hacc[(u * G + g) * HP + ch * (WD / 2) + h]);
                        }
                    }
                }
                if (++pending == VQ_LUT_FLUSH_TILES) flush();
            } else if (!(p.skip & VQ_SKIP_VALUES)) {
#pragma unroll 1 // 2 spills at 128 registers (512 threads); one token already issues U independent gathers
                for (int j = part; j < wn; j += parts) {
                    const float4 pw4 = *reinterpret_cast<const float4*>(wts + j * G);
                    const float pw[G] = {pw4.x, pw4.y, pw4.z, pw4.w};
                    unsigned cw[(U + 3) / 4];
                    vq_code_words<U>(cw, vt + (t0 + j) * value_sub + sub0);
#pragma unroll
                    for (int u = 0; u < U; u++) {
                        const unsigned code = (cw[u >> 2] >> (8 * (u & 3))) & 0xffu & value_mask;
#pragma unroll
                        for (int ch = 0; ch < CHUNKS; ch++) {
                            float wv[WD];
                            vq_lut_word<WD>(wv, my_copy + ((ch * value_words + code) * VQ_LUT_COPIES) * WD);
#pragma unroll
                            for (int g = 0; g < G; g++)
#pragma unroll
                                for (int v = 0; v < WD; v++)
                                    acc[u][g][ch * WD + v] = fmaf(pw[g], wv[v], acc[u][g][ch * WD + v]);
                        }
                    }
                }
            }
            __syncwarp(); // the weights are rewritten next tile
        }
        __syncthreads(); // every warp is done with tile i before tile i + 2 is staged over it
    }

    flush();
    // 6. merge: lane sums, token parts (lanes lanes_per_token apart), then the warps in order
#pragma unroll
    for (int g = 0; g < G; g++)
#pragma unroll
        for (int offset = 16; offset > 0; offset >>= 1)
            l_lane[g] = __fadd_rn(l_lane[g], __shfl_xor_sync(0xffffffffu, l_lane[g], offset));
    for (int offset = lanes_per_token; offset < 32 && !HV; offset <<= 1) { // (_hv: merged by the flushes)
#pragma unroll
        for (int u = 0; u < U; u++)
#pragma unroll
            for (int g = 0; g < G; g++)
#pragma unroll
                for (int v = 0; v < VD; v++)
                    acc[u][g][v] = __fadd_rn(acc[u][g][v], __shfl_xor_sync(0xffffffffu, acc[u][g][v], offset));
    }
    float factor[G];
    merge_warp_softmax<G>(m_run, l_lane, warp_m, warp_l, block_l, warp, lane, warps, factor);
    float* out = qt; // free now
    for (int w = 0; w < warps; w++) {
        if (HV && warp == w) { // every lane writes its owned entries (a partition of the warp's)
#pragma unroll
            for (int j = 0; j < OWN_MAX; j++) {
                const int f2 = part * owned + j, g = head_of(j);
                if (j < owned && g < group) {
                    float* at = out + g * head_dim + (sub0 + f2 / (G * HP)) * VD + 2 * (f2 % HP);
                    const float f = pick(factor, g), x0 = __fmul_rn(own[2 * j], f), x1 = __fmul_rn(own[2 * j + 1], f);
                    at[0] = w == 0 ? x0 : __fadd_rn(at[0], x0);
                    at[1] = w == 0 ? x1 : __fadd_rn(at[1], x1);
                }
            }
        }
        if (!HV && warp == w && part == 0) {
#pragma unroll
            for (int u = 0; u < U; u++)
#pragma unroll
                for (int g = 0; g < G; g++)
                    if (g < group)
#pragma unroll
                        for (int v = 0; v < VD; v++) {
                            float* at = out + g * head_dim + (sub0 + u) * VD + v;
                            const float x = __fmul_rn(acc[u][g][v], factor[g]);
                            *at = w == 0 ? x : __fadd_rn(*at, x);
                        }
        }
        __syncthreads();
    }
    for (int i = threadIdx.x; i < group * head_dim; i += blockDim.x)
        p.o[out_state * head_dim + i] = __fdiv_rn(out[i], block_l[i / head_dim]);
    if (threadIdx.x < group) p.lse[out_state + threadIdx.x] = block_l[G + threadIdx.x] + logf(block_l[threadIdx.x]);
}

#define VQ_LUT_ENTRY(KS, VD)                                                                              \
    extern "C" __global__ void __launch_bounds__(VQ_LUT_MAX_THREADS)                                    \
            vq_lut_attention_k##KS##_v##VD(const VqAttentionParams p) {                                 \
        vq_lut_attention<KS, VD, false>(p);                                                             \
    }
// fp16 values: the half2 accumulators plus the lane's owned fp32 sums fit 512-thread blocks
#define VQ_LUT_HV_ENTRY(KS, VD)                                                                           \
    extern "C" __global__ void __launch_bounds__(VQ_LUT_MAX_THREADS)                                    \
            vq_lut_attention_k##KS##_v##VD##_hv(const VqAttentionParams p) {                            \
        vq_lut_attention<KS, VD, true>(p);                                                              \
    }
#define VQ_LUT_ENTRIES(KS) VQ_LUT_ENTRY(KS, 1) VQ_LUT_ENTRY(KS, 2) VQ_LUT_ENTRY(KS, 4) VQ_LUT_ENTRY(KS, 8) \
    VQ_LUT_HV_ENTRY(KS, 2) VQ_LUT_HV_ENTRY(KS, 4) VQ_LUT_HV_ENTRY(KS, 8)
VQ_LUT_ENTRIES(16)
VQ_LUT_ENTRIES(32)
VQ_LUT_ENTRIES(64)
