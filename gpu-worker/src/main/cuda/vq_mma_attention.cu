// vq_mma_attention: fused VQ decode attention on the tensor cores. Keys and values are decoded from per-lane fp16
// copies of their codebooks straight into mma.sync fragments; no query table, no fp32 value FMAs. Count and
// predictions: docs/results/gpu/vq-design-notes.md.
//
// vq_mma_attention_d{D}_k{KD}[w]_v{VD}[w] (D = head_dim 64 or 128; KD, VD = key and value sub-vector dims 2, 4 or 8;
//   `w` = a wide book: d8 codes of 9 to 12 bits in uint16 containers, plan variant MMA_WIDE)
//   Serves: at most 8 query heads per KV head (the mma's N), codes of at most 8 bits in uint8 containers (or wide d8
//   books: 9 to 12 bits in uint16 containers), one key
//   book and one value book per (layer, KV head) (scope=layer or head). VqMmaAttention.serves says so on the host.
//   Launch (io.vecinfer.cuda.vq.VqAttentionKernel, plan variant MMA or MMA_WIDE): grid (rows of this pass, kv_heads, splits),
//   block of T = 256 or 512 threads (VqMmaAttention.plan picks; chunks of 32 tokens per warp), dynamic shared
//   memory VqMmaAttention.sharedBytes, parameters one VqAttentionParams (vq_attention_params.cuh).
//   Lanes: gid = lane / 4, tig = lane % 4 (the mma fragment coordinates). Per warp and 16-token m-tile:
//     keys    S^T[16 tok][8 heads] = K[16 tok][D] · Q^T[D][8 heads], D / 16 mma. A row = token (gid, gid + 8); lane tig
//             owns dims [tig·D/4, (tig+1)·D/4), k-step ks takes its dims 4ks .. 4ks+3 (k = 2tig, 2tig+1, 2tig+8, 2tig+9):
//             whole codewords of one token, so a gather is already an A register pair (no permute). Q^T (B) is built
//             once per block: q̃ = Hadamard(q·λ) · scale · log2(e), rounded to fp16; heads past the group are 0.
//     softmax scores in log2 units in the C fragment (lane: tokens gid, gid + 8; heads 2tig, 2tig + 1); the warp's
//             running max per head (3 xor shuffles), one exp2 (MUFU.EX2) per score, rescale only when the max grows.
//     P^T     the C fragment is repacked as fp16 (token gid, token gid+8) pairs per head and moved to the B layout
//             of the value mma by 4 shuffles: value k 2j ↔ token j, k 2j+1 ↔ token j + 8.
//     values  O^T[D][8 heads] += V^T[D][16 tok] · P^T, D / 16 mma. Lane gid owns dims [gid·D/8, (gid+1)·D/8); m-tile
//             mt rows gid / gid + 8 = its dims 2mt / 2mt + 1. A registers pair two tokens of one dim: one PRMT per
//             register from two gathered codewords.
//   Codebook copies: entry (code, copy) = one codeword in fp16 (2·X bytes, X = its dims) at code·128 + copy·2X; a lane
//   reads copy lane % (64 / X), so the lanes of one shared-memory phase (32 lanes at 4 B, 16 at 8 B, 8 at 16 B) hit
//   different banks whatever the codes: conflict-free gathers. Always 256 codewords (zeros past 2^bits), so a stale
//   code byte of a token past the end still reads a finite codeword (its weight is 0).
//   Wide books (4096 codewords of 8 dims, 64 KB in fp16): too big to copy per lane, so one copy, entry code·16, codes
//   masked to 12 bits. Random codes then collide in the 8 bank quads of a 16-byte phase: about 1.8–2.6× the
//   wavefronts of a copied book (the count: docs/results/gpu/vq-design-notes.md, "d8b12 plan").
//   Codes stream into shared memory by cp.async, per warp: warp w takes the split's 32-token chunks w, w + warps, ...
//   into its own ring of STAGES chunks (4; one fewer per wide book and with a d2 side), STAGES - 1 in flight, and waits only for
//   its own copies (cp.async.wait_group, then __syncwarp). No block barrier in the token loop: a barrier per tile kept
//   the 16 warps in the same phase (all gathering, then all in the softmax), so shared memory and issue took turns
//   instead of overlapping (vq-design-notes.md, "Warp-private staging").
//   Every lane runs every mma and shuffle (warp-wide): tokens past the end are masked in the scores, never skipped.
//   Merge: the warps' (m, l) per head, then each warp's scaled O into its own swizzled slice of the freed rings and the
//   slices summed in warp order after one barrier; o and lse (natural log) of the split to
//   (split * rows + row) * query_heads + head, for merge_splits (vq_merge.cu).
//   VqAttentionParams.skip leaves phases out for the benchmark's attribution runs (outputs then meaningless).
#include "vq_attention_params.cuh"
#include "vq_common.cuh"
#include "mma_fragments.cuh"

constexpr int VQ_MMA_MAX_THREADS = 512;
constexpr int VQ_MMA_G = 8;           // heads of the mma's N (groups up to 8; zero past the group)
constexpr int VQ_MMA_CHUNK = 32;      // tokens of one warp's staged chunk (its two 16-token m-tiles)
// Staged chunks per warp ring (VqMmaAttention.stages mirrors it): 4, one fewer per wide book (96 or 128 KB of books) and
// one fewer with a d2 side (128 or 96 bytes of codes a token), so that 512 threads still fit where they did.
template <int KD, int VD, bool KW, bool VW> __host__ __device__ constexpr int vq_mma_stages() {
    return 4 - (KW ? 1 : 0) - (VW ? 1 : 0) - (KD == 2 || VD == 2 ? 1 : 0);
}
constexpr int VQ_MMA_BOOK_WORDS = 256; // codewords of a copied book, whatever the bits
constexpr int VQ_MMA_ENTRY_ROW = 128; // bytes of one codeword's copies (one shared-memory wavefront)
constexpr int VQ_MMA_WIDE_WORDS = 4096; // codewords of a wide book (codes of 9 to 12 bits), one fp16 copy of d8 words

// A book's shared-memory shape: copied (256 codewords × 128 bytes of per-lane copies) or wide (4096 × one 16-byte copy).
template <int X, bool WIDE> struct VqMmaBook {
    static_assert(!WIDE || X == 8, "wide books are d8 only");
    static constexpr int WORDS = WIDE ? VQ_MMA_WIDE_WORDS : VQ_MMA_BOOK_WORDS;
    static constexpr int COPIES = WIDE ? 1 : VQ_MMA_ENTRY_ROW / (2 * X);
    static constexpr int SHIFT = WIDE ? 4 : 7;  // log2 of an entry row: code · 16 or code · 128
    static constexpr int BYTES = WORDS * COPIES * 2 * X;
    static constexpr int CODE_BYTES = WIDE ? 2 : 1; // uint16 or uint8 containers
};
constexpr float VQ_MMA_LOG2E = 1.4426950408889634f;

__device__ __forceinline__ void vq_mma_cp_async16(void* dst, const void* src) {
    const unsigned d = (unsigned)__cvta_generic_to_shared(dst);
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16;\n" ::"r"(d), "l"(src) : "memory");
}
__device__ __forceinline__ void vq_mma_commit() { asm volatile("cp.async.commit_group;\n" ::: "memory"); }
template <int N> __device__ __forceinline__ void vq_mma_wait() { asm volatile("cp.async.wait_group %0;\n" ::"n"(N) : "memory"); }


// 2^x by MUFU.EX2 (ex2.approx: ≤ 2 ulp; 2^-inf = 0).
__device__ __forceinline__ float vq_mma_exp2(float x) {
    float y;
    asm("ex2.approx.ftz.f32 %0, %1;\n" : "=f"(y) : "f"(x));
    return y;
}

__device__ __forceinline__ unsigned vq_mma_pack(float lo, float hi) {
    const __half2 h = __floats2half2_rn(lo, hi);
    return *reinterpret_cast<const unsigned*>(&h);
}

// Code byte j (PRMT: one instruction, where shift-and-mask takes two).
template <int N> __device__ __forceinline__ unsigned vq_mma_byte(const unsigned (&w)[N], int j) {
    return __byte_perm(w[j >> 2], 0u, 0x4440u | (unsigned)(j & 3));
}

// Code j of a lane's code words: byte j (uint8 containers), or halfword j masked to 12 bits (uint16; a code past the
// book reads a zero codeword, never outside it).
template <bool WIDE, int N> __device__ __forceinline__ unsigned vq_mma_code(const unsigned (&w)[N], int j) {
    if constexpr (WIDE) return (w[j >> 1] >> (16 * (j & 1))) & (VQ_MMA_WIDE_WORDS - 1);
    else return vq_mma_byte(w, j);
}

// One codeword of X dims (X / 2 fp16 pairs) from the lane's copy. `lane_book` is the copy's 32-bit shared address,
// made opaque (vq_mma_opaque) so that the address is one PRMT (the code) and one LEA (base + code · 128): the compiler
// otherwise splits the copy offset out again and spends an OR and an ADD per gather.
template <int X, int SHIFT = 7> __device__ __forceinline__ void vq_mma_gather(unsigned (&h)[X / 2], unsigned lane_book, unsigned code) {
    const unsigned at = lane_book + (code << SHIFT); // VqMmaBook::SHIFT: 7 for copied books (VQ_MMA_ENTRY_ROW), 4 for wide
    if constexpr (X == 8) {
        asm volatile("ld.shared.v4.u32 {%0,%1,%2,%3}, [%4];\n" : "=r"(h[0]), "=r"(h[1]), "=r"(h[2]), "=r"(h[3]) : "r"(at));
    } else if constexpr (X == 4) {
        asm volatile("ld.shared.v2.u32 {%0,%1}, [%2];\n" : "=r"(h[0]), "=r"(h[1]) : "r"(at));
    } else {
        asm volatile("ld.shared.u32 %0, [%1];\n" : "=r"(h[0]) : "r"(at));
    }
}

__device__ __forceinline__ unsigned vq_mma_opaque(unsigned x) {
    asm("mov.b32 %0, %1;\n" : "=r"(x) : "r"(x));
    return x;
}

// The copies of one book: entry (code, copy) = codeword `code` in fp16 (round to nearest), zeros for code ≥ words.
// Thread e writes entry e: consecutive threads read one codeword (a broadcast) and write consecutive entries. FILL
// entries' codewords are loaded before any is stored: the stores to shared memory would otherwise order each load
// after the previous store (the compiler cannot tell the pointers apart), one L2 round trip per entry, which was most
// of a launch's fixed cost at batch 1 (16 entries per thread and book at d4 and 512 threads).
template <int X, bool WIDE> __device__ __forceinline__ void vq_mma_fill_book(unsigned char* __restrict__ book, const float* __restrict__ words, int count) {
    constexpr int COPIES = VqMmaBook<X, WIDE>::COPIES, ENTRIES = VqMmaBook<X, WIDE>::WORDS * COPIES, FILL = 4;
    for (int e0 = threadIdx.x; e0 < ENTRIES; e0 += FILL * blockDim.x) {
        unsigned h[FILL][X / 2];
#pragma unroll
        for (int f = 0; f < FILL; f++) {
            const int e = e0 + f * blockDim.x, code = e / COPIES;
#pragma unroll
            for (int i = 0; i < X / 2; i++)
                h[f][i] = e < ENTRIES && code < count ? vq_mma_pack(__ldg(words + code * X + 2 * i), __ldg(words + code * X + 2 * i + 1)) : 0u;
        }
#pragma unroll
        for (int f = 0; f < FILL; f++) {
            const int e = e0 + f * blockDim.x;
            if (e >= ENTRIES) break;
            unsigned* at = reinterpret_cast<unsigned*>(book + e * 2 * X);
#pragma unroll
            for (int i = 0; i < X / 2; i++) at[i] = h[f][i];
        }
    }
}

template <int D, int KD, int VD, bool KW, bool VW>
__device__ __forceinline__ void vq_mma_attention(const VqAttentionParams& p) {
    using KBook = VqMmaBook<KD, KW>;
    using VBook = VqMmaBook<VD, VW>;
    constexpr int G = VQ_MMA_G, KS = D / KD, VS = D / VD, KSTEPS = D / 16, MTILES = D / 16;
    constexpr int STAGES = vq_mma_stages<KD, VD, KW, VW>();
    constexpr int KB = KBook::CODE_BYTES, VB = VBook::CODE_BYTES; // bytes of one code
    constexpr int KC = D / 4 / KD;   // key codes of one lane's dims (tig)
    constexpr int VC = D / 8 / VD;   // value codes of one lane's dims (gid)
    constexpr int WARP_MTILES = VQ_MMA_CHUNK / 16; // 16-token m-tiles of one staged chunk
    static_assert(KC >= 1 && VC >= 1, "head_dim too small for these sub-vectors");
    extern __shared__ __align__(128) unsigned char vq_smem[];
    const int T = blockDim.x, warps = T / 32;
    const int group = p.query_heads / p.kv_heads, kv_head = blockIdx.y, split = blockIdx.z;
    const int row = p.row_offset + blockIdx.x, seq = p.row_seq[row], pos = p.row_pos[row];
    const int slot = p.layer * p.kv_heads + kv_head;
    // shared memory (VqMmaAttention.sharedBytes mirrors it)
    unsigned char* key_book = vq_smem;                             // [words][copies][KD] fp16
    unsigned char* value_book = key_book + KBook::BYTES;           // [words][copies][VD] fp16
    float* qt = reinterpret_cast<float*>(value_book + VBook::BYTES); // [G][D]; then the output
    float* warp_m = qt + G * D;                                               // [warp][G]
    float* warp_l = warp_m + warps * G;                                       // [warp][G]
    // per warp: STAGES chunks of (keys [32][KS], values [32][VS])
    constexpr int KEY_CHUNK = VQ_MMA_CHUNK * KS * KB, STAGE_BYTES = VQ_MMA_CHUNK * (KS * KB + VS * VB);
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, gid = lane >> 2, tig = lane & 3;
    unsigned char* ring = reinterpret_cast<unsigned char*>(warp_l + warps * G) + warp * STAGES * STAGE_BYTES;

    const VqRunCodes codes = vq_run_codes(p, seq, kv_head, KS, VS); // KB, VB: the launcher checked the containers
    VqSplitTokens span;
    if (!vq_split_tokens(p, pos, codes.capacity, split, row, kv_head, group, D, span)) return;
    const int begin = span.begin, end = span.end;
    const long long out_state = span.out_state;
    const unsigned char* keys = codes.keys;
    const unsigned char* values = codes.values;
    const int chunks = (end - begin + VQ_MMA_CHUNK - 1) / VQ_MMA_CHUNK;
    const int mine = warp < chunks ? (chunks - warp + warps - 1) / warps : 0; // this warp's chunks: warp, warp + warps, ...
    const bool restage = !(p.skip & VQ_SKIP_STAGING);
    // `begin` is a multiple of 32 tokens and capacity · sub-spaces · code bytes of 16 bytes (the launcher checks), so every
    // chunk starts 16-byte aligned; a chunk's last copy may read up to 15 bytes past its rows (inside the padded array).
    auto load_chunk = [&](int j) { // the warp's j-th chunk into its stage j % STAGES
        if (j < mine) {
            const int first = begin + (warp + j * warps) * VQ_MMA_CHUNK, n = min(VQ_MMA_CHUNK, end - first);
            unsigned char* dst = ring + (j % STAGES) * STAGE_BYTES;
            const int kb = (n * KS * KB + 15) & ~15, vb = (n * VS * VB + 15) & ~15;
            for (int b = lane * 16; b < kb; b += 32 * 16) vq_mma_cp_async16(dst + b, keys + (long long)first * KS * KB + b);
            for (int b = lane * 16; b < vb; b += 32 * 16) vq_mma_cp_async16(dst + KEY_CHUNK + b, values + (long long)first * VS * VB + b);
        }
        vq_mma_commit(); // an empty group past the last chunk keeps the wait counts uniform
    };
    for (int j = 0; j < STAGES - 1; j++) load_chunk(restage || j == 0 ? j : mine);

    // 1. q̃ for the group, scaled into log2 units; the codebook copies in fp16 (zeros past 2^bits)
    {
        vq_transformed_queries<G>(p, row, kv_head, group, slot, D, qt);
        const float qscale = __fmul_rn(p.scale, VQ_MMA_LOG2E);
        for (int i = threadIdx.x; i < G * D; i += blockDim.x) qt[i] = __fmul_rn(qt[i], qscale);
        vq_mma_fill_book<KD, KW>(key_book, p.key_words + (long long)p.key_book_of[slot * KS] * (1 << p.key_bits) * KD, 1 << p.key_bits);
        vq_mma_fill_book<VD, VW>(value_book, p.value_words + (long long)p.value_book_of[slot * VS] * (1 << p.value_bits) * VD, 1 << p.value_bits);
        __syncthreads();
    }
    // Q^T fragments: b0 = q̃[gid][tig·D/4 + 4ks + {0, 1}], b1 = the next two dims (fp16, round to nearest)
    unsigned qf[KSTEPS][2];
#pragma unroll
    for (int ks = 0; ks < KSTEPS; ks++) {
        const float* x = qt + gid * D + tig * (D / 4) + 4 * ks;
        qf[ks][0] = vq_mma_pack(x[0], x[1]);
        qf[ks][1] = vq_mma_pack(x[2], x[3]);
    }
    const unsigned my_key_book = vq_mma_opaque((unsigned)__cvta_generic_to_shared(key_book) + (lane % KBook::COPIES) * 2 * KD);
    const unsigned my_value_book = vq_mma_opaque((unsigned)__cvta_generic_to_shared(value_book) + (lane % VBook::COPIES) * 2 * VD);
    float acc[MTILES][4];
#pragma unroll
    for (int mt = 0; mt < MTILES; mt++) acc[mt][0] = acc[mt][1] = acc[mt][2] = acc[mt][3] = 0.f;
    float m_run[2] = {-CUDART_INF_F, -CUDART_INF_F}, l_lane[2] = {0.f, 0.f}; // heads 2·tig, 2·tig + 1
    // the P^T repack: this lane's b0 comes from the lane holding tokens (tig, tig + 8) of head gid, b1 from (tig + 4, tig + 12)
    const int src01 = 4 * tig + (gid >> 1), src23 = 16 + 4 * tig + (gid >> 1);
    const bool odd_head = gid & 1;

    for (int chunk = 0; chunk < mine; chunk++) {
        vq_mma_wait<STAGES - 2>();
        __syncwarp(); // this chunk visible to every lane; every lane is done with the stage that chunk + STAGES - 1 overwrites
        load_chunk(restage ? chunk + STAGES - 1 : mine);
        const unsigned char* kt = ring + (restage ? chunk % STAGES : 0) * STAGE_BYTES;
        const unsigned char* vt = kt + KEY_CHUNK;
        const int n = min(VQ_MMA_CHUNK, end - (begin + (warp + chunk * warps) * VQ_MMA_CHUNK)); // valid tokens, ≥ 1
        // 2. keys: scores of tokens 16mt + gid (c0, c1) and + 8 (c2, c3) of the chunk, heads 2tig, 2tig + 1
        float s[WARP_MTILES][4];
#pragma unroll
        for (int mt = 0; mt < WARP_MTILES; mt++) {
            s[mt][0] = s[mt][1] = s[mt][2] = s[mt][3] = 0.f;
            unsigned c0[(KC * KB + 3) / 4], c1[(KC * KB + 3) / 4];
            vq_code_words<KC * KB>(c0, kt + ((16 * mt + gid) * KS + tig * KC) * KB);
            vq_code_words<KC * KB>(c1, kt + ((16 * mt + gid + 8) * KS + tig * KC) * KB);
            if (p.skip & VQ_SKIP_KEYS) {
                s[mt][0] = s[mt][1] = (float)(c0[0] & 0xffu);
                s[mt][2] = s[mt][3] = (float)(c1[0] & 0xffu);
                continue;
            }
            if constexpr (KD == 8) { // one 16-byte gather serves two k-steps
#pragma unroll
                for (int j = 0; j < KC; j++) {
                    unsigned h0[4], h1[4];
                    vq_mma_gather<8, KBook::SHIFT>(h0, my_key_book, vq_mma_code<KW>(c0, j));
                    vq_mma_gather<8, KBook::SHIFT>(h1, my_key_book, vq_mma_code<KW>(c1, j));
                    const unsigned lo[4] = {h0[0], h1[0], h0[1], h1[1]}, hi[4] = {h0[2], h1[2], h0[3], h1[3]};
                    mma_16816(s[mt], lo, qf[2 * j][0], qf[2 * j][1]);
                    mma_16816(s[mt], hi, qf[2 * j + 1][0], qf[2 * j + 1][1]);
                }
            } else if constexpr (KD == 4) {
#pragma unroll
                for (int ks = 0; ks < KSTEPS; ks++) {
                    unsigned h0[2], h1[2];
                    vq_mma_gather<4>(h0, my_key_book, vq_mma_byte(c0, ks));
                    vq_mma_gather<4>(h1, my_key_book, vq_mma_byte(c1, ks));
                    const unsigned a[4] = {h0[0], h1[0], h0[1], h1[1]};
                    mma_16816(s[mt], a, qf[ks][0], qf[ks][1]);
                }
            } else { // KD == 2: two codewords a k-step
#pragma unroll
                for (int ks = 0; ks < KSTEPS; ks++) {
                    unsigned x0[1], x1[1], y0[1], y1[1];
                    vq_mma_gather<2>(x0, my_key_book, vq_mma_byte(c0, 2 * ks));
                    vq_mma_gather<2>(x1, my_key_book, vq_mma_byte(c1, 2 * ks));
                    vq_mma_gather<2>(y0, my_key_book, vq_mma_byte(c0, 2 * ks + 1));
                    vq_mma_gather<2>(y1, my_key_book, vq_mma_byte(c1, 2 * ks + 1));
                    const unsigned a[4] = {x0[0], x1[0], y0[0], y1[0]};
                    mma_16816(s[mt], a, qf[ks][0], qf[ks][1]);
                }
            }
        }
        // 3. the warp's online softmax, in log2 units; tokens past the end get -inf (weight 0)
        if (n < VQ_MMA_CHUNK) { // warp-uniform: only the split's last chunk
#pragma unroll
            for (int mt = 0; mt < WARP_MTILES; mt++) {
                if (16 * mt + gid >= n) s[mt][0] = s[mt][1] = -CUDART_INF_F;
                if (16 * mt + gid + 8 >= n) s[mt][2] = s[mt][3] = -CUDART_INF_F;
            }
        }
        if (!(p.skip & VQ_SKIP_SOFTMAX)) {
            float mx[2] = {-CUDART_INF_F, -CUDART_INF_F};
#pragma unroll
            for (int mt = 0; mt < WARP_MTILES; mt++) {
                mx[0] = fmaxf(mx[0], fmaxf(s[mt][0], s[mt][2]));
                mx[1] = fmaxf(mx[1], fmaxf(s[mt][1], s[mt][3]));
            }
#pragma unroll
            for (int e = 0; e < 2; e++)
#pragma unroll
                for (int offset = 4; offset < 32; offset <<= 1) mx[e] = fmaxf(mx[e], __shfl_xor_sync(0xffffffffu, mx[e], offset));
            const bool grow = mx[0] > m_run[0] || mx[1] > m_run[1];
            if (__any_sync(0xffffffffu, grow)) { // rare after the first chunks; alpha is exactly 1 where the max stays
                float alpha[2];
#pragma unroll
                for (int e = 0; e < 2; e++) {
                    const float m_new = fmaxf(m_run[e], mx[e]);
                    alpha[e] = m_new == m_run[e] ? 1.f : vq_mma_exp2(m_run[e] - m_new); // 2^-inf = 0 for the first tile
                    m_run[e] = m_new;
                    l_lane[e] *= alpha[e];
                }
#pragma unroll
                for (int mt = 0; mt < MTILES; mt++) {
                    acc[mt][0] *= alpha[0]; acc[mt][2] *= alpha[0];
                    acc[mt][1] *= alpha[1]; acc[mt][3] *= alpha[1];
                }
            }
            // a head with no finite score yet (m = -inf) subtracts 0: 2^(-inf - 0) = 0, never -inf - -inf
            const float base0 = m_run[0] == -CUDART_INF_F ? 0.f : m_run[0], base1 = m_run[1] == -CUDART_INF_F ? 0.f : m_run[1];
#pragma unroll
            for (int mt = 0; mt < WARP_MTILES; mt++) {
                s[mt][0] = vq_mma_exp2(s[mt][0] - base0);
                s[mt][2] = vq_mma_exp2(s[mt][2] - base0);
                s[mt][1] = vq_mma_exp2(s[mt][1] - base1);
                s[mt][3] = vq_mma_exp2(s[mt][3] - base1);
            }
        } else {
#pragma unroll
            for (int mt = 0; mt < WARP_MTILES; mt++)
#pragma unroll
                for (int e = 0; e < 4; e++) s[mt][e] = s[mt][e] == -CUDART_INF_F ? 0.f : s[mt][e];
            m_run[0] = m_run[1] = 0.f;
        }
#pragma unroll
        for (int mt = 0; mt < WARP_MTILES; mt++) {
            l_lane[0] += s[mt][0] + s[mt][2];
            l_lane[1] += s[mt][1] + s[mt][3];
        }
        if (p.skip & VQ_SKIP_VALUES) continue;
        // 4. values, one m-tile of tokens at a time
#pragma unroll
        for (int mt = 0; mt < WARP_MTILES; mt++) {
            // P^T B fragment: b0 = (p[tok tig][head gid], p[tok tig + 8][head gid]), b1 = tokens tig + 4, tig + 12
            const unsigned ph0 = vq_mma_pack(s[mt][0], s[mt][2]), ph1 = vq_mma_pack(s[mt][1], s[mt][3]);
            const unsigned x0 = __shfl_sync(0xffffffffu, ph0, src01), x1 = __shfl_sync(0xffffffffu, ph1, src01);
            const unsigned y0 = __shfl_sync(0xffffffffu, ph0, src23), y1 = __shfl_sync(0xffffffffu, ph1, src23);
            const unsigned b0 = odd_head ? x1 : x0, b1 = odd_head ? y1 : y0;
            // codes of tokens tig, tig + 4, tig + 8, tig + 12 (k 2tig, 2tig + 8, 2tig + 1, 2tig + 9), this lane's dims
            unsigned vc[4][(VC * VB + 3) / 4];
#pragma unroll
            for (int j = 0; j < 4; j++) vq_code_words<VC * VB>(vc[j], vt + ((16 * mt + tig + 4 * j) * VS + gid * VC) * VB);
#pragma unroll
            for (int u = 0; u < VC; u++) {
                unsigned h[4][VD / 2];
#pragma unroll
                for (int j = 0; j < 4; j++) vq_mma_gather<VD, VBook::SHIFT>(h[j], my_value_book, vq_mma_code<VW>(vc[j], u));
#pragma unroll
                for (int k = 0; k < VD / 2; k++) { // m-tile u·VD/2 + k: dims gid·D/8 + 2(u·VD/2 + k) (+1 in rows 8..15)
                    const unsigned a[4] = {__byte_perm(h[0][k], h[2][k], 0x5410), __byte_perm(h[0][k], h[2][k], 0x7632),
                                           __byte_perm(h[1][k], h[3][k], 0x5410), __byte_perm(h[1][k], h[3][k], 0x7632)};
                    mma_16816(acc[u * (VD / 2) + k], a, b0, b1);
                }
            }
        }
    }

    // 5. merge: the lanes' sums (lanes of one tig share the heads), the warps' states, then O in warp order
    vq_mma_wait<0>(); // only empty groups can be pending here; the slices below reuse the rings
#pragma unroll
    for (int e = 0; e < 2; e++)
#pragma unroll
        for (int offset = 4; offset < 32; offset <<= 1) l_lane[e] += __shfl_xor_sync(0xffffffffu, l_lane[e], offset);
    if (gid == 0) {
#pragma unroll
        for (int e = 0; e < 2; e++) {
            warp_m[warp * G + 2 * tig + e] = m_run[e];
            warp_l[warp * G + 2 * tig + e] = l_lane[e];
        }
    }
    __syncthreads();
    float factor[2];
#pragma unroll
    for (int e = 0; e < 2; e++) {
        const int h = 2 * tig + e;
        float m = -CUDART_INF_F;
        for (int w = 0; w < warps; w++) m = fmaxf(m, warp_m[w * G + h]);
        factor[e] = m_run[e] == -CUDART_INF_F ? 0.f : vq_mma_exp2(m_run[e] - m);
    }
    // Every warp's O, scaled to the block's max, into its own slice of the rings (free now: each warp's last copies were
    // waited for, and the barrier above follows every warp's last read), then one barrier and each output summed over
    // the slices in warp order. Slice row h holds dims gid · DG + (c ^ swizzle): the lanes of one store (dims
    // gid · DG + c, heads 2tig + e) would otherwise hit 2 (D = 128) or 4 (D = 64) banks, the 16- and 8-way conflicts
    // of the old per-warp read-modify-write, which with a barrier per warp was most of a launch's fixed cost.
    // Host check of the swizzle: gpu-worker/scripts/vq_mma_merge_swizzle_check.py.
    constexpr int DG = D / 8;                                  // dims of one lane group (gid)
    static_assert(STAGES * (KS * KB + VS * VB) >= D, "the rings must hold the warps' [G][D] fp32 slices");
    float* slices = reinterpret_cast<float*>(warp_l + warps * G); // [warp][G][D]
    auto swizzled = [](int h, int dim) { // the slice column of (head h, dim): c XOR (tig · DG/4 + gid / (32/DG))
        const int g = dim / DG, c = dim % DG;
        return g * DG + (c ^ ((h >> 1) * (DG / 4) + g / (32 / DG)));
    };
    {
        float* slice = slices + warp * G * D;
#pragma unroll
        for (int mt = 0; mt < MTILES; mt++)
#pragma unroll
            for (int e = 0; e < 4; e++) {
                const int h = 2 * tig + (e & 1), dim = gid * DG + 2 * mt + (e >> 1);
                slice[h * D + swizzled(h, dim)] = acc[mt][e] * factor[e & 1];
            }
    }
    __syncthreads();
    for (int i = threadIdx.x; i < group * D; i += blockDim.x) {
        const int h = i / D;
        float m = -CUDART_INF_F, l = 0.f, o = 0.f;
        for (int w = 0; w < warps; w++) m = fmaxf(m, warp_m[w * G + h]);
        for (int w = 0; w < warps; w++) {
            const float mw = warp_m[w * G + h];
            if (mw != -CUDART_INF_F) l += vq_mma_exp2(mw - m) * warp_l[w * G + h];
        }
        const int at = h * D + swizzled(h, i % D);
        for (int w = 0; w < warps; w++) o += slices[w * G * D + at]; // warp order, as the old running sum
        p.o[out_state * D + i] = o / l;
        if (i % D == 0) p.lse[out_state + h] = (m + log2f(l)) * 0.6931471805599453f;
    }
}

#define VQ_MMA_KERNEL(D, KD, VD, KW, VW, NAME)                                                            \
    extern "C" __global__ void __launch_bounds__(VQ_MMA_MAX_THREADS) NAME(const VqAttentionParams p) { \
        vq_mma_attention<D, KD, VD, KW, VW>(p);                                                         \
    }
#define VQ_MMA_ENTRY(D, KD, VD) VQ_MMA_KERNEL(D, KD, VD, false, false, vq_mma_attention_d##D##_k##KD##_v##VD)
#define VQ_MMA_VALUES(D, KD) VQ_MMA_ENTRY(D, KD, 2) VQ_MMA_ENTRY(D, KD, 4) VQ_MMA_ENTRY(D, KD, 8)
VQ_MMA_VALUES(128, 2)
VQ_MMA_VALUES(128, 4)
VQ_MMA_VALUES(128, 8)
VQ_MMA_VALUES(64, 2)
VQ_MMA_VALUES(64, 4)
VQ_MMA_VALUES(64, 8)
// Wide d8 books (variant MMA_WIDE): d8b12 keys with copied values of 4 or 8 dims or wide values; wide values with copied
// d4 or d8 keys (VqMmaAttention.serves mirrors the list).
#define VQ_MMA_WIDE(D)                                                                    \
    VQ_MMA_KERNEL(D, 8, 4, true, false, vq_mma_attention_d##D##_k8w_v4)                   \
    VQ_MMA_KERNEL(D, 8, 8, true, false, vq_mma_attention_d##D##_k8w_v8)                   \
    VQ_MMA_KERNEL(D, 8, 8, true, true, vq_mma_attention_d##D##_k8w_v8w)                   \
    VQ_MMA_KERNEL(D, 4, 8, false, true, vq_mma_attention_d##D##_k4_v8w)                   \
    VQ_MMA_KERNEL(D, 8, 8, false, true, vq_mma_attention_d##D##_k8_v8w)
VQ_MMA_WIDE(128)
VQ_MMA_WIDE(64)
