// Split-KV attention for few query tokens (decode: one per sequence, at most a handful) over long contexts in the
// fp16 ring of attention_window.cu, with its semantics: query token i (position p = start + i), query head h,
// ring positions [lo(p), p] of KV head h / group (lo from window_start, attention_common.cuh), slot = position %
// capacity; out = normalised fp32 attention, lse = natural log-sum-exp of the scaled scores (lse may be null).
//
// Decoding reads every key and value once per step and does ~2 FMAs per fp16 element per query head, so the kernel
// is a stream: its job is to keep enough 16-byte loads in flight on every SM. Two kernels, one DecodeParams:
//
// attend_decode_dD_rR: grid (splits, kv_heads, row_blocks), THREADS = 128, static shared memory only.
//   Rows are (query token, head of the group) pairs of one KV head, pair = token·group + g, in blocks of R ≤ 8
//   (row_blocks = ceil(tokens·group / R); R = 4 when tokens·group ≤ 4, as for one decode token of Llama-3.1-8B or
//   the shipped model, else 8): each K/V element a CTA loads serves all R rows. The CTA's positions are
//   the union [lo(first token), last token] of its rows, cut into `splits` ranges of split_positions; CTA
//   (s, kv_head, block) takes range s (the host picks splits from the context and the SM count so that there are
//   several CTAs per SM; a range past the end is empty and writes an empty partial).
//   Thread t: position group g = t / (D/8) and 8 dims [8j, 8j+8), j = t % (D/8): D/8 lanes read one position's
//   key (or value) row as 16-byte loads, consecutive groups read consecutive slots (coalesced). Per iteration a
//   group takes U positions (stride GROUPS), issuing its U key and U value loads before using any of them.
//   Scores: fp32 dot of the 8 dims × R rows, summed over the D/8 lanes by xor shuffles; each group keeps an online
//   softmax (max, sum) per row and 8 fp32 accumulators per row. At the end the GROUPS groups merge in shared memory
//   and the CTA writes its partial (max, sum, Σ p·v) per row to scratch.
// decode_combine_dD: grid (tokens · query_heads), D threads, 4·splits bytes of dynamic shared memory (the splits'
//   weights): merges a row's `splits` partials by log-sum-exp into out (thread d owns dim d) and lse.
//
// Arithmetic: fp16 keys and values widen exactly to fp32 (__half22float2); products, sums and the softmax are fp32.
// The queries stay fp32, pre-multiplied by scale·log2 e (so scores are in log2 units and exp is one exp2), which
// rounds once in fp32. No half2 arithmetic: an fp16 product of an fp16-rounded query would add a relative 2^-11
// per term and an fp16 sum over 128 dims far more, for no gain in a kernel that waits on memory anyway.
// Partial maxima are in those log2 units; the combine converts lse back to natural log.
#include <cstdint>
#include "numeric.cuh"
#include "attention_common.cuh"

// Launch parameters of both kernels, one by-value struct (io.vecinfer.cuda.attention.DecodeAttention mirrors it).
struct DecodeParams {
    const float* q;           // [tokens][query_heads][D] fp32
    const __half* key_ring;   // [capacity][kv_heads][D] fp16, slot = position % capacity
    const __half* value_ring; // [capacity][kv_heads][D] fp16
    float* partial_acc;       // [tokens·query_heads][splits][D]: Σ exp2(s - max)·v of one split
    float* partial_max;       // [tokens·query_heads][splits]: max of s = q·k·scale·log2 e (-inf: no position)
    float* partial_sum;       // [tokens·query_heads][splits]: Σ exp2(s - max)
    float* out;               // [tokens][query_heads][D] fp32
    float* lse;               // [tokens][query_heads] fp32 (natural log), or null
    int start;                // position of query token 0
    int tokens;               // query tokens (few)
    int capacity;             // ring slots
    int window;               // 0: attend from position 0; R: from window_start(p, R)
    int query_heads;
    int kv_heads;
    int splits;               // position ranges per (kv head, row block) = gridDim.x
    int split_positions;      // positions per range; splits · split_positions covers the longest row block's union
    float scale;              // softmax scale, > 0
};
static_assert(sizeof(DecodeParams) == 104, "DecodeAttention.params mirrors this layout");

namespace decode {
constexpr int THREADS = 128;
constexpr float LOG2E = 1.4426950408889634f, LN2 = 0.6931471805599453f;

// The 8 fp16 values of a 16-byte load, exactly as fp32.
__device__ __forceinline__ void widen8(const uint4& raw, float (&f)[8]) {
    const uint32_t words[4] = {raw.x, raw.y, raw.z, raw.w};
#pragma unroll
    for (int i = 0; i < 4; i++) {
        const float2 pair = __half22float2(*reinterpret_cast<const __half2*>(&words[i]));
        f[2 * i] = pair.x;
        f[2 * i + 1] = pair.y;
    }
}

template <int D, int ROWS>
__device__ __forceinline__ void attend_split(const DecodeParams& p) {
    constexpr int LANES = D / 8;               // threads per position row (16-byte chunks)
    constexpr int GROUPS = THREADS / LANES;    // positions the CTA loads at once
    constexpr int U = ROWS > 4 ? 2 : 4;        // positions per group per iteration: 2U loads in flight per thread
    static_assert(32 % LANES == 0, "a position's lanes must sit in one warp");
    __shared__ float merge_max[GROUPS][ROWS], merge_sum[GROUPS][ROWS];
    __shared__ __align__(16) float merge_acc[GROUPS][ROWS][D];

    const int split = blockIdx.x, kv_head = blockIdx.y;
    const int group = p.query_heads / p.kv_heads;
    const int pairs = p.tokens * group;
    const int first_pair = blockIdx.z * ROWS;
    const int last_pair = min(first_pair + ROWS, pairs) - 1;
    const int width = p.kv_heads * D;
    const int position_group = threadIdx.x / LANES, chunk = threadIdx.x % LANES;

    // This CTA's rows: bounds and the query's 8 dims of this thread, pre-scaled (see the file comment).
    const float q_scale = p.scale * LOG2E;
    float query[ROWS][8];
    int row_lo[ROWS], row_hi[ROWS];
#pragma unroll
    for (int r = 0; r < ROWS; r++) {
        const int pair = first_pair + r;
        if (pair < pairs) {
            const int token = pair / group, head = kv_head * group + pair % group;
            const int position = p.start + token;
            row_lo[r] = int(window_start(position, p.window));
            row_hi[r] = position;
            const float4* src = reinterpret_cast<const float4*>(p.q + (size_t(token) * p.query_heads + head) * D + chunk * 8);
            const float4 a = src[0], b = src[1];
            const float v[8] = {a.x, a.y, a.z, a.w, b.x, b.y, b.z, b.w};
#pragma unroll
            for (int c = 0; c < 8; c++) query[r][c] = v[c] * q_scale;
        } else {  // padding row: an empty range, never written
            row_lo[r] = 1;
            row_hi[r] = 0;
#pragma unroll
            for (int c = 0; c < 8; c++) query[r][c] = 0.f;
        }
    }

    // Positions [begin, end) of this split within the block's union [lo(first token), last token].
    const int range_lo = int(window_start((long long)p.start + first_pair / group, p.window));
    const int range_end = p.start + last_pair / group + 1;
    const int begin = min(range_end, range_lo + split * p.split_positions);
    const int end = min(range_end, begin + p.split_positions);
    // A split covers at most capacity positions (the ring holds the whole union), so one wrap at most.
    const unsigned first_slot = unsigned(begin) % unsigned(p.capacity);
    const __half* keys = p.key_ring + size_t(kv_head) * D + chunk * 8;
    const __half* values = p.value_ring + size_t(kv_head) * D + chunk * 8;

    float run_max[ROWS], run_sum[ROWS], acc[ROWS][8];
#pragma unroll
    for (int r = 0; r < ROWS; r++) {
        run_max[r] = -INFINITY;
        run_sum[r] = 0.f;
#pragma unroll
        for (int c = 0; c < 8; c++) acc[r][c] = 0.f;
    }

    for (int base = begin; base < end; base += GROUPS * U) {
        uint4 key_raw[U], value_raw[U];
        int position[U];
#pragma unroll
        for (int u = 0; u < U; u++) {
            position[u] = base + u * GROUPS + position_group;
            unsigned slot = first_slot + unsigned(position[u] - begin);
            if (slot >= unsigned(p.capacity)) slot -= p.capacity;
            // Positions past the split are not loaded: their slots may hold anything, and 0·NaN would spread.
            const bool inside = position[u] < end;
            key_raw[u] = inside ? __ldg(reinterpret_cast<const uint4*>(keys + size_t(slot) * width)) : make_uint4(0, 0, 0, 0);
            value_raw[u] = inside ? __ldg(reinterpret_cast<const uint4*>(values + size_t(slot) * width)) : make_uint4(0, 0, 0, 0);
        }
        float score[U][ROWS];
#pragma unroll
        for (int u = 0; u < U; u++) {
            float k[8];
            widen8(key_raw[u], k);
#pragma unroll
            for (int r = 0; r < ROWS; r++) {
                float dot = 0.f;
#pragma unroll
                for (int c = 0; c < 8; c++) dot = fmaf(query[r][c], k[c], dot);
#pragma unroll
                for (int offset = LANES / 2; offset > 0; offset /= 2) dot += __shfl_xor_sync(0xffffffffu, dot, offset);
                const bool attended = position[u] < end && position[u] >= row_lo[r] && position[u] <= row_hi[r];
                score[u][r] = attended ? dot : -INFINITY;
            }
        }
#pragma unroll
        for (int r = 0; r < ROWS; r++) {
            float new_max = run_max[r];
#pragma unroll
            for (int u = 0; u < U; u++) new_max = fmaxf(new_max, score[u][r]);
            // Nothing attended yet: keep subtracting 0, so that exp2(-inf) = 0 rather than NaN.
            const float offset = new_max == -INFINITY ? 0.f : new_max;
            const float rescale = exp2f(run_max[r] - offset);
            run_max[r] = new_max;
            run_sum[r] *= rescale;
#pragma unroll
            for (int c = 0; c < 8; c++) acc[r][c] *= rescale;
#pragma unroll
            for (int u = 0; u < U; u++) {
                const float weight = exp2f(score[u][r] - offset);
                run_sum[r] += weight;
                float v[8];
                widen8(value_raw[u], v);
#pragma unroll
                for (int c = 0; c < 8; c++) acc[r][c] = fmaf(weight, v[c], acc[r][c]);
            }
        }
    }

    // Merge the position groups (each saw every GROUPS-th position) and write this split's partial per row.
#pragma unroll
    for (int r = 0; r < ROWS; r++) {
        if (chunk == 0) {
            merge_max[position_group][r] = run_max[r];
            merge_sum[position_group][r] = run_sum[r];
        }
        *reinterpret_cast<float4*>(&merge_acc[position_group][r][chunk * 8]) = make_float4(acc[r][0], acc[r][1], acc[r][2], acc[r][3]);
        *reinterpret_cast<float4*>(&merge_acc[position_group][r][chunk * 8 + 4]) = make_float4(acc[r][4], acc[r][5], acc[r][6], acc[r][7]);
    }
    __syncthreads();
    for (int e = threadIdx.x; e < ROWS * D; e += THREADS) {
        const int r = e / D, d = e % D, pair = first_pair + r;
        if (pair >= pairs) continue;
        float m = -INFINITY;
        for (int g = 0; g < GROUPS; g++) m = fmaxf(m, merge_max[g][r]);
        const float offset = m == -INFINITY ? 0.f : m;
        float sum = 0.f, a = 0.f;
        for (int g = 0; g < GROUPS; g++) {
            const float w = exp2f(merge_max[g][r] - offset);
            sum += merge_sum[g][r] * w;
            a += merge_acc[g][r][d] * w;
        }
        const int token = pair / group, head = kv_head * group + pair % group;
        const size_t row = size_t(token) * p.query_heads + head;
        p.partial_acc[(row * p.splits + split) * D + d] = a;
        if (d == 0) {
            p.partial_max[row * p.splits + split] = m;
            p.partial_sum[row * p.splits + split] = sum;
        }
    }
}

// One CTA per (token, query head) row, thread d owns dim d. The splits' weights exp2(max_s - max) are computed once,
// in parallel, into shared memory (splits floats of dynamic shared memory); then each thread's sum over the splits
// issues independent loads (the partials are fresh in L2), so the kernel costs a few L2 round trips, not `splits`.
template <int D>
__device__ __forceinline__ void combine(const DecodeParams& p) {
    extern __shared__ float weights[];  // [splits]
    const size_t row = blockIdx.x;
    const int d = threadIdx.x;
    const float* maxima = p.partial_max + row * p.splits;
    const float* sums = p.partial_sum + row * p.splits;
    float m = -INFINITY;
    for (int s = d; s < p.splits; s += D) m = fmaxf(m, maxima[s]);
    m = block_max(m);  // finite: every row attends at least its own position
    float sum = 0.f;
    for (int s = d; s < p.splits; s += D) {
        const float w = exp2f(maxima[s] - m);  // 0 for an empty split (max -inf, sum 0)
        weights[s] = w;
        sum += sums[s] * w;
    }
    sum = block_sum(sum);  // its barriers also publish weights[]
    const float* acc = p.partial_acc + row * p.splits * D + d;
    float a = 0.f;
#pragma unroll 8
    for (int s = 0; s < p.splits; s++) a = fmaf(acc[size_t(s) * D], weights[s], a);
    p.out[row * D + d] = a / sum;
    if (p.lse != nullptr && d == 0) p.lse[row] = (m + log2f(sum)) * LN2;
}
}  // namespace decode

// Resident CTAs per SM asked of ptxas: 4 for R = 4 (128 registers: the whole register file, as DecodeAttention's
// CTAS_PER_SM assumes; sm_80 would otherwise take 131 and fit 3), 2 for R = 8 (~218 registers: at 3 it spills).
#define DECODE_SPLIT(D, R)                                                                                       \
    extern "C" __global__ void __launch_bounds__(decode::THREADS, R == 4 ? 4 : 2) attend_decode_d##D##_r##R(   \
        const __grid_constant__ DecodeParams p) {                                                                \
        decode::attend_split<D, R>(p);                                                                           \
    }
DECODE_SPLIT(64, 4)
DECODE_SPLIT(64, 8)
DECODE_SPLIT(128, 4)
DECODE_SPLIT(128, 8)

extern "C" __global__ void __launch_bounds__(64) decode_combine_d64(const __grid_constant__ DecodeParams p) { decode::combine<64>(p); }
extern "C" __global__ void __launch_bounds__(128) decode_combine_d128(const __grid_constant__ DecodeParams p) { decode::combine<128>(p); }
