// What the two prefill attention families share (attention_prefill.cu on mma.sync, attention_prefill_wgmma.cu on
// Hopper's wgmma): their launch parameters (one sequence's, and a batch's), and one thread's share of the online softmax
// over its two rows.
// In both, a thread holds four fp32 values per n8 column tile j, of the scores S (key positions tile_lo + 8j +
// 2·(lane % 4) + {0, 1}) as of the output O (dims 8j + 2·(lane % 4) + {0, 1}): [j][0], [j][1] of its first row and
// [j][2], [j][3] of its second, 8 rows below. That is mma.sync's C fragment and, per warp, wgmma's accumulators.
#pragma once
#include <cstdint>
#include "numeric.cuh"
#include "attention_common.cuh"
#include "mma_fragments.cuh"

// Launch parameters, one by-value struct (io.vecinfer.cuda.attention.PrefillAttention mirrors it field by field).
struct PrefillParams {
    const float* q;           // [tokens][query_heads][D] fp32
    const __half* key_ring;   // [capacity][kv_heads][D] fp16, slot = position % capacity
    const __half* value_ring; // [capacity][kv_heads][D] fp16
    float* out;               // [tokens][query_heads][D] fp32
    float* lse;               // [tokens][query_heads] fp32, or null
    int start;                // position of query token 0
    int tokens;               // query tokens
    int capacity;             // ring slots
    int window;               // 0: attend from position 0; R: from window_start(p, R)
    int query_heads;
    int kv_heads;
    float scale;              // softmax scale, > 0
};
static_assert(sizeof(PrefillParams) == 72, "PrefillAttention.params mirrors this layout");

// Launch parameters of the batch entry points (attend_prefill_*_batch): the prefill chunks of many sequences of one layer
// in one launch, each with its own ring, capacity, start and token count, their rows packed one sequence after the other
// in q and out as the decoder packs them (io.vecinfer.cuda.attention.BatchPrefillAttention mirrors it field by field;
// the tables are BatchDecodeAttention's ring tables, plus row_starts and work). Grid (work items, kv_heads): CTA
// (x, kv_head) computes row tile work[x].y of sequence work[x].x for that KV head, exactly the CTA of the sequence's own
// launch that has that tile (same first row, same keys, the same sums). The host lists the work items with the most keys
// first (over every sequence, as one sequence's launch runs its tiles backwards), and lists no empty tile.
struct PrefillBatchParams {
    const float* q;                    // [rows][query_heads][D] fp32, sequence s's rows from row_starts[s]
    const __half* const* key_rings;    // [sequences]: this layer's ring of each sequence, [capacity][kv_heads][D] fp16
    const __half* const* value_rings;  // [sequences]
    const int* capacities;             // [sequences]: their slots
    const int* starts;                 // [sequences]: the position of each sequence's first row
    const int* row_starts;             // [sequences + 1]: sequence s has rows [row_starts[s], row_starts[s + 1])
    const int2* work;                  // [gridDim.x]: (sequence, row tile of BLOCK_M (token, head) pairs)
    float* out;                        // [rows][query_heads][D] fp32
    float* lse;                        // [rows][query_heads] fp32, or null
    int window;                        // as PrefillParams, the same for every sequence
    int query_heads;
    int kv_heads;
    float scale;
};
static_assert(sizeof(PrefillBatchParams) == 88, "BatchPrefillAttention.params mirrors this layout");

namespace prefill {
// Sequence s of a batch as the PrefillParams of its own launch (head_dim D).
template <int D>
__device__ __forceinline__ PrefillParams sequence_params(const PrefillBatchParams& b, int s) {
    const size_t row = size_t(b.row_starts[s]) * b.query_heads;  // its first (token, head) row
    PrefillParams p;
    p.q = b.q + row * D;
    p.key_ring = b.key_rings[s];
    p.value_ring = b.value_rings[s];
    p.out = b.out + row * D;
    p.lse = b.lse == nullptr ? nullptr : b.lse + row;
    p.start = b.starts[s];
    p.tokens = b.row_starts[s + 1] - b.row_starts[s];
    p.capacity = b.capacities[s];
    p.window = b.window;
    p.query_heads = b.query_heads;
    p.kv_heads = b.kv_heads;
    p.scale = b.scale;
    return p;
}
}  // namespace prefill

namespace prefill {
constexpr float LOG2E = 1.4426950408889634f;

// 2^x with results below 2^-126 flushed to zero: one MUFU.EX2, where exp2f's subnormal handling adds a compare and two
// multiplies to each of the 64 exponentials a thread takes per tile. Probabilities that small round to 0 in fp16 P
// anyway; in the fp32 row sum (≥ 1) they are below its rounding.
__device__ __forceinline__ float exp2_flushed(float x) {
    float y;
    asm("ex2.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(x));
    return y;
}

// One thread's two rows of a tile of KEY_TILES · 8 key positions and DIM_TILES · 8 output dims: their ranges, their
// online-softmax state and their output accumulators.
template <int KEY_TILES, int DIM_TILES>
struct RowState {
    static constexpr int BLOCK_N = KEY_TILES * 8;
    float o[DIM_TILES][4];
    float row_max[2];  // of raw scores q·k (unscaled)
    float row_sum[2];  // this thread's columns only; the quad's four are added at the end
    long long row_lo[2], row_hi[2];

    __device__ __forceinline__ void init(const long long (&lo)[2], const long long (&hi)[2]) {
#pragma unroll
        for (int j = 0; j < DIM_TILES; j++) o[j][0] = o[j][1] = o[j][2] = o[j][3] = 0.f;
#pragma unroll
        for (int h = 0; h < 2; h++) {
            row_max[h] = -INFINITY;
            row_sum[h] = 0.f;
            row_lo[h] = lo[h];
            row_hi[h] = hi[h];
        }
    }

    // Takes in the scores s of the key tile starting at position tile_lo (read only: s may be the accumulators of a
    // product still in the pipeline's books): masks them to each row's [lo, p], updates the online softmax (fp32), and
    // writes the unnormalised probabilities P, rounded to fp16, as the A operand of O += P·V: the values of key tiles
    // 2kk and 2kk+1 are exactly the A fragment of k16 step kk (mma.sync's, and per warp wgmma's A from registers).
    // rescale receives the factors by which each row's o must be scaled before P·V adds into it (rescale_output: apart,
    // so that a kernel can scale o once the product still adding into it is done).
    __device__ __forceinline__ void softmax(const float (&s)[KEY_TILES][4], long long tile_lo, float exp2_scale, int lane, float (&rescale)[2],
                                            uint32_t (&p_frag)[KEY_TILES / 2][4]) {
#pragma unroll
        for (int h = 0; h < 2; h++) {
            // The row's range in this tile's columns, clamped to [-1, BLOCK_N] so that 32-bit compares do.
            const int lo_column = int(max(-1LL, min((long long)BLOCK_N, row_lo[h] - tile_lo)));
            const int hi_column = int(max(-1LL, min((long long)BLOCK_N, row_hi[h] - tile_lo)));
            // Most tiles lie wholly inside every row's range (all but the diagonal ones without a window): no mask then.
            // Decided for the whole warp, so that the branch does not diverge (ptxas serializes the wgmmas around
            // divergent code) and the 64 compares and selects a thread would make are skipped on every other tile.
            const bool masked = __any_sync(0xffffffffu, lo_column > 0 || hi_column < BLOCK_N - 1);
            float v[KEY_TILES][2];
            if (masked) {
#pragma unroll
                for (int j = 0; j < KEY_TILES; j++) {
#pragma unroll
                    for (int c = 0; c < 2; c++) {
                        const int column = j * 8 + (lane & 3) * 2 + c;
                        v[j][c] = column < lo_column || column > hi_column ? -INFINITY : s[j][2 * h + c];
                    }
                }
            } else {
#pragma unroll
                for (int j = 0; j < KEY_TILES; j++) v[j][0] = s[j][2 * h], v[j][1] = s[j][2 * h + 1];
            }
            float tile_max = -INFINITY;
#pragma unroll
            for (int j = 0; j < KEY_TILES; j++) tile_max = fmaxf(tile_max, fmaxf(v[j][0], v[j][1]));
            tile_max = fmaxf(tile_max, __shfl_xor_sync(0xffffffffu, tile_max, 1));
            tile_max = fmaxf(tile_max, __shfl_xor_sync(0xffffffffu, tile_max, 2));
            const float new_max = fmaxf(row_max[h], tile_max);
            // A row with no key yet keeps max -inf: subtract 0 then, so exp2(-inf) = 0 rather than NaN.
            const float offset = new_max == -INFINITY ? 0.f : new_max * exp2_scale;
            rescale[h] = exp2_flushed(row_max[h] * exp2_scale - offset);
            row_max[h] = new_max;
            float sum = 0.f;
#pragma unroll
            for (int j = 0; j < KEY_TILES; j++) {
#pragma unroll
                for (int c = 0; c < 2; c++) {
                    v[j][c] = exp2_flushed(fmaf(v[j][c], exp2_scale, -offset));
                    sum += v[j][c];
                }
                p_frag[j / 2][2 * (j % 2) + h] = pack_half2(v[j][0], v[j][1]);
            }
            row_sum[h] = row_sum[h] * rescale[h] + sum;
        }
    }

    __device__ __forceinline__ void rescale_output(const float (&rescale)[2]) {
#pragma unroll
        for (int j = 0; j < DIM_TILES; j++) {
#pragma unroll
            for (int e = 0; e < 4; e++) o[j][e] *= rescale[e / 2];
        }
    }

    // Normalises and writes this thread's elements of its two rows, (token, head) pairs pair[h] of KV head kv_head
    // (pairs at or past p.tokens · group are padding: not written); lse by the quad's first lane.
    __device__ __forceinline__ void store(const PrefillParams& p, const int (&pair)[2], int group, int kv_head, int lane) const {
        constexpr int D = DIM_TILES * 8;
#pragma unroll
        for (int h = 0; h < 2; h++) {
            float sum = row_sum[h];
            sum += __shfl_xor_sync(0xffffffffu, sum, 1);
            sum += __shfl_xor_sync(0xffffffffu, sum, 2);
            if (pair[h] >= p.tokens * group) continue;
            const int token = pair[h] / group, head = kv_head * group + pair[h] % group;
            const size_t row = size_t(token) * p.query_heads + head;
            const float inv = 1.f / sum;  // sum ≥ 1: the row's max term is exp(0)
            float* dst = p.out + row * D + (lane & 3) * 2;
#pragma unroll
            for (int j = 0; j < DIM_TILES; j++) {
                *reinterpret_cast<float2*>(dst + j * 8) = make_float2(o[j][2 * h] * inv, o[j][2 * h + 1] * inv);
            }
            if (p.lse != nullptr && (lane & 3) == 0) p.lse[row] = row_max[h] * p.scale + logf(sum);
        }
    }
};

// 16-byte chunk `chunk` (dims 8·chunk..8·chunk+7) of the query of (token, head) pair `pair` of KV head kv_head, rounded to
// fp16 once (unscaled: attention_prefill.cu's file comment says why); zeros for a padding pair (pair ≥ tokens · group).
__device__ __forceinline__ uint4 query_chunk(const PrefillParams& p, int pair, int group, int kv_head, int head_dim, int chunk) {
    if (pair >= p.tokens * group) return make_uint4(0, 0, 0, 0);
    const int token = pair / group, head = kv_head * group + pair % group;
    const float4* src = reinterpret_cast<const float4*>(p.q + (size_t(token) * p.query_heads + head) * head_dim + chunk * 8);
    const float4 a = src[0], b = src[1];
    return make_uint4(pack_half2(a.x, a.y), pack_half2(a.z, a.w), pack_half2(b.x, b.y), pack_half2(b.z, b.w));
}

// The rows a thread holds, for a tile of rows starting at pair first_pair: first_pair + 16·warp + lane / 4 and 8 rows
// below (warp counted inside the tile), with the key range each attends: [window_start(p), p] for position p of the
// pair's token, or the empty range [1, 0] for padding.
__device__ __forceinline__ void thread_rows(const PrefillParams& p, int first_pair, int warp, int lane, int group, int (&pair)[2],
                                            long long (&lo)[2], long long (&hi)[2]) {
    const int pairs = p.tokens * group;
#pragma unroll
    for (int h = 0; h < 2; h++) {
        pair[h] = first_pair + warp * 16 + lane / 4 + 8 * h;
        const bool valid = pair[h] < pairs;
        const int position = p.start + pair[h] / group;
        lo[h] = valid ? window_start_32(position, p.window) : 1;
        hi[h] = valid ? position : 0;
    }
}
}  // namespace prefill
