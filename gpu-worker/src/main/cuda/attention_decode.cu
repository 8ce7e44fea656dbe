// Split-KV attention for few query tokens (decode: one per sequence, at most a handful) over long contexts in the
// fp16 ring of attention_window.cu, with its semantics: query token i (position p = start + i), query head h,
// ring positions [lo(p), p] of KV head h / group (lo from window_start, attention_common.cuh), slot = position %
// capacity; out = normalised fp32 attention, lse = natural log-sum-exp of the scaled scores (lse may be null).
//
// Decoding reads every key and value once per step and does ~2 FMAs per fp16 element per query head, so the kernel
// is a stream: its job is to keep enough 16-byte loads in flight on every SM. Two kernels, one DecodeParams:
//
// attend_decode_dD_rR: grid (splits, kv_heads, row_blocks), THREADS = 128, ring_bytes(R) of dynamic shared memory.
//   Rows are (query token, head of the group) pairs of one KV head, pair = token·group + g, in blocks of R ≤ 8
//   (row_blocks = ceil(tokens·group / R); R = 4 when tokens·group ≤ 4, as for one decode token of Llama-3.1-8B or
//   the shipped model, else 8): each K/V element a CTA loads serves all R rows. The CTA's positions are
//   the union [lo(first token), last token] of its rows, cut into `splits` ranges of split_positions; CTA
//   (s, kv_head, block) takes range s (the host picks splits from the context and the SM count so that there are
//   several CTAs per SM; a range past the end is empty and writes an empty partial).
//   Thread t: position group g = t / (D/8) and 8 dims [8j, 8j+8), j = t % (D/8): D/8 lanes read one position's
//   key (or value) row as 16-byte loads, consecutive groups read consecutive slots (coalesced). Per iteration a
//   group takes U positions (stride GROUPS). The loads are cp.async copies into a ring of ring_stages(R) iterations in
//   shared memory, each thread's own 16-byte pieces at consecutive addresses (conflict-free; no barrier, since a
//   thread reads back only what it copied): while one iteration is computed the next STAGES - 1 are in flight, so
//   every thread keeps memory requests outstanding without the registers to hold them. (Loads into registers, U = 4
//   at a time then computed, streamed the 8B's batch-8 step at 2.0 TB/s.)
//   Scores: fp32 dot of the 8 dims × R rows, summed over the D/8 lanes by xor shuffles; each group keeps an online
//   softmax (max, sum) per row and 8 fp32 accumulators per row. At the end the GROUPS groups merge in shared memory
//   and the CTA writes its partial (max, sum, Σ p·v) per row to scratch.
// decode_combine_dD: grid (tokens · query_heads), D threads, 4·splits bytes of dynamic shared memory (the splits'
//   weights): merges a row's `splits` partials by log-sum-exp into out (thread d owns dim d) and lse.
// The batch kernels (BatchDecodeParams): one new token for each sequence of a batch, each with its own fp16 ring and
// length, in one launch per kernel for the whole batch; window 0 (the fp16 dense cache: positions [0, position]) or R
// (a compressed cache's residual window: [window_start(position, R), position], lse written for the merge):
//   store_decode_batch: grid (ceil(kv_heads·D / 256), batch), 256 threads: the new keys and values into their slots.
//   attend_decode_batch_dD_rR: grid (splits, kv_heads, batch · row_blocks), as attend_decode_dD_rR per sequence, but
//     a sequence cuts its own positions [lo, position] into ranges of max(min_split_positions, ceil(span / splits)):
//     the grid depends on the batch size only, not on the lengths, and CTAs past a short sequence's ranges return.
//   decode_combine_batch_dD: grid (batch · query_heads), D threads, 4·splits bytes of dynamic shared memory.
//
// Arithmetic: fp16 keys and values widen exactly to fp32 (__half22float2); products, sums and the softmax are fp32.
// The queries stay fp32, pre-multiplied by scale·log2 e (so scores are in log2 units and exp is one exp2), which
// rounds once in fp32. No half2 arithmetic: an fp16 product of an fp16-rounded query would add a relative 2^-11
// per term and an fp16 sum over 128 dims far more, for no gain in a kernel that waits on memory anyway.
// Partial maxima are in those log2 units; the combine converts lse back to natural log.
#include <cstdint>
#include "numeric.cuh"
#include "attention_common.cuh"
#include "async_copy.cuh"

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

// Launch parameters of the batch kernels (one new token per sequence of a batch),
// io.vecinfer.cuda.attention.BatchDecodeAttention mirrors it. Everything that changes from one step to the next (the
// positions, the rings when they grow) is read from device tables, so the launches of a step are the same every step
// for a batch of the same size, and a CUDA graph of them can be replayed.
struct BatchDecodeParams {
    const float* q;             // [batch][query_heads][D] fp32, post-RoPE
    const float* k;             // [batch][kv_heads][D] fp32: the new token's key per sequence (store only)
    const float* v;             // [batch][kv_heads][D] fp32 (store only)
    __half* const* key_rings;   // [batch]: sequence s's key ring of this layer, [capacity][kv_heads][D] fp16
    __half* const* value_rings; // [batch]
    const int* capacities;      // [batch]: ring slots, slot = position % capacity
    const int* positions;       // [batch]: the new token's position (the tokens stored before it)
    float* partial_acc;         // [batch·query_heads][splits][D]
    float* partial_max;         // [batch·query_heads][splits]
    float* partial_sum;         // [batch·query_heads][splits]
    float* out;                 // [batch][query_heads][D] fp32
    float* lse;                 // [batch][query_heads] fp32 (natural log), or null
    int batch;
    int query_heads;
    int kv_heads;
    int head_dim;               // D (the store kernel is not templated on it)
    int splits;                 // gridDim.x of the split kernel: the most ranges a sequence is cut into
    int min_split_positions;    // fewest positions per range (a short sequence uses fewer ranges)
    int window;                 // 0: attend from position 0; R: from window_start(position, R)
    float scale;                // softmax scale, > 0
};
static_assert(sizeof(BatchDecodeParams) == 128, "BatchDecodeAttention.params mirrors this layout");

namespace decode {
constexpr int THREADS = 128;
constexpr float LOG2E = 1.4426950408889634f, LN2 = 0.6931471805599453f;

// The split kernels' ring (attend_split): positions per group per iteration, stages, and bytes of dynamic shared
// memory, by rows per CTA (4: 3 stages of 4 positions, 48 KB, 4 CTAs an SM; 8: 5 stages of 2, 40 KB, 2 an SM by
// registers). io.vecinfer.cuda.attention.DecodeAttention.ringBytes mirrors ring_bytes.
__host__ __device__ constexpr int ring_positions(int rows) { return rows > 4 ? 2 : 4; }
__host__ __device__ constexpr int ring_stages(int rows) { return rows > 4 ? 5 : 3; }
__host__ __device__ constexpr int ring_bytes(int rows) { return ring_stages(rows) * 2 * ring_positions(rows) * THREADS * 16; }

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

// What one split CTA reads and writes, from either launch's parameters: one sequence's queries, ring and partials.
struct SplitTask {
    const float* q;                      // the sequence's [tokens][query_heads][D]
    const __half* key_ring;
    const __half* value_ring;
    float* partial_acc;                  // the sequence's rows [tokens·query_heads][stride][D]
    float* partial_max;                  // [tokens·query_heads][stride]
    float* partial_sum;
    int start, tokens, capacity, window, query_heads, kv_heads;
    int stride;                          // partials per row (gridDim.x)
    int split_positions;
    float scale;
};

// Split `split` of KV head `kv_head` and row block `block` of one sequence (see the file comment).
template <int D, int ROWS>
__device__ __forceinline__ void attend_split(const SplitTask& p, int split, int kv_head, int block) {
    constexpr int LANES = D / 8;               // threads per position row (16-byte chunks)
    constexpr int GROUPS = THREADS / LANES;    // positions the CTA loads at once
    constexpr int U = ring_positions(ROWS);    // positions per group per iteration: 2U 16-byte copies per thread
    constexpr int STAGES = ring_stages(ROWS);
    static_assert(32 % LANES == 0, "a position's lanes must sit in one warp");
    // The ring: [STAGES][key, value][U][THREADS] 16-byte pieces, each thread's own (see the file comment); after the
    // loop the same memory holds the groups' merge.
    extern __shared__ __align__(16) unsigned char split_ring[];
    using MergeAcc = float[GROUPS][ROWS][D];
    using MergeStat = float[GROUPS][ROWS];
    static_assert(sizeof(MergeAcc) + 2 * sizeof(MergeStat) <= ring_bytes(ROWS), "the merge must fit in the ring");
    MergeAcc& merge_acc = *reinterpret_cast<MergeAcc*>(split_ring);
    MergeStat& merge_max = *reinterpret_cast<MergeStat*>(split_ring + sizeof(MergeAcc));
    MergeStat& merge_sum = *reinterpret_cast<MergeStat*>(split_ring + sizeof(MergeAcc) + sizeof(MergeStat));
    const uint32_t ring = shared_address(split_ring) + threadIdx.x * 16;

    const int group = p.query_heads / p.kv_heads;
    const int pairs = p.tokens * group;
    const int first_pair = block * ROWS;
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

    // Iteration i covers positions begin + i·GROUPS·U + u·GROUPS + position_group (u < U); its copies go to stage i % STAGES.
    const int iterations = (end - begin + GROUPS * U - 1) / (GROUPS * U);
    auto piece = [&](int stage, int kv, int u) { return ring + ((stage * 2 + kv) * U + u) * THREADS * 16; };
    auto issue = [&](int i) {  // always one commit group, so that the waits below count iterations
        if (i < iterations) {
#pragma unroll
            for (int u = 0; u < U; u++) {
                const int position = begin + i * GROUPS * U + u * GROUPS + position_group;
                unsigned slot = first_slot + unsigned(position - begin);
                if (slot >= unsigned(p.capacity)) slot -= p.capacity;
                // Positions past the split are not loaded (zeros instead): their slots may hold anything, and 0·NaN would spread.
                const bool inside = position < end;
                copy_16_async(piece(i % STAGES, 0, u), inside ? keys + size_t(slot) * width : keys, inside);
                copy_16_async(piece(i % STAGES, 1, u), inside ? values + size_t(slot) * width : values, inside);
            }
        }
        asm volatile("cp.async.commit_group;");
    };
#pragma unroll
    for (int i = 0; i < STAGES - 1; i++) issue(i);
    for (int i = 0; i < iterations; i++) {
        // Stage (i - 1) % STAGES was read into registers last iteration, by this thread alone: refill it.
        issue(i + STAGES - 1);
        asm volatile("cp.async.wait_group %0;" ::"n"(STAGES - 1));  // iteration i's copies have landed
        const int base = begin + i * GROUPS * U;
        uint4 key_raw[U], value_raw[U];
        int position[U];
#pragma unroll
        for (int u = 0; u < U; u++) {
            position[u] = base + u * GROUPS + position_group;
            key_raw[u] = load_shared_16(piece(i % STAGES, 0, u));
            value_raw[u] = load_shared_16(piece(i % STAGES, 1, u));
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

    // Merge the position groups (each saw every GROUPS-th position) and write this split's partial per row, in the ring's
    // memory once every thread is done with its pieces.
    asm volatile("cp.async.wait_group 0;");
    __syncthreads();
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
        p.partial_acc[(row * p.stride + split) * D + d] = a;
        if (d == 0) {
            p.partial_max[row * p.stride + split] = m;
            p.partial_sum[row * p.stride + split] = sum;
        }
    }
}

// One CTA per (token, query head) row, thread d owns dim d; the row's partials are `used` of `stride`. The splits'
// weights exp2(max_s - max) are computed once, in parallel, into shared memory (stride floats of dynamic shared memory);
// then each thread's sum over the splits issues independent loads (the partials are fresh in L2), so the kernel costs
// a few L2 round trips, not `used`.
template <int D>
__device__ __forceinline__ void combine_row(const float* partial_acc, const float* partial_max, const float* partial_sum, size_t row,
                                            int stride, int used, float* out, float* lse) {
    extern __shared__ float weights[];  // [used]
    const int d = threadIdx.x;
    const float* maxima = partial_max + row * stride;
    const float* sums = partial_sum + row * stride;
    float m = -INFINITY;
    for (int s = d; s < used; s += D) m = fmaxf(m, maxima[s]);
    m = block_max(m);  // finite: every row attends at least its own position
    float sum = 0.f;
    for (int s = d; s < used; s += D) {
        const float w = exp2f(maxima[s] - m);  // 0 for an empty split (max -inf, sum 0)
        weights[s] = w;
        sum += sums[s] * w;
    }
    sum = block_sum(sum);  // its barriers also publish weights[]
    const float* acc = partial_acc + row * stride * D + d;
    float a = 0.f;
#pragma unroll 8
    for (int s = 0; s < used; s++) a = fmaf(acc[size_t(s) * D], weights[s], a);
    out[row * D + d] = a / sum;
    if (lse != nullptr && d == 0) lse[row] = (m + log2f(sum)) * LN2;
}

// A batch step's split of one sequence whose new token sits at `position`, attending positions [window_start(position,
// window), position]: at least min_positions per range, at most `splits` ranges; `used` of them hold positions, the rest
// are skipped.
struct SequenceSplits {
    int positions, used;
};
__device__ __forceinline__ SequenceSplits sequence_splits(int position, int window, int splits, int min_positions) {
    const int span = position + 1 - int(window_start(position, window));
    const int positions = max(min_positions, (span + splits - 1) / splits);
    return {positions, (span + positions - 1) / positions};
}
}  // namespace decode

// The single-sequence launch (DecodeParams): one sequence, its rows in blocks along z.
__device__ __forceinline__ decode::SplitTask task_of(const DecodeParams& p) {
    return {p.q, p.key_ring, p.value_ring, p.partial_acc, p.partial_max, p.partial_sum, p.start, p.tokens, p.capacity, p.window,
            p.query_heads, p.kv_heads, p.splits, p.split_positions, p.scale};
}

// The batch launch (BatchDecodeParams): blockIdx.z = sequence · row_blocks + block, one new token per sequence.
template <int D, int ROWS>
__device__ __forceinline__ void attend_batch_split(const BatchDecodeParams& p) {
    const int group = p.query_heads / p.kv_heads, row_blocks = (group + ROWS - 1) / ROWS;
    const int sequence = blockIdx.z / row_blocks, block = blockIdx.z % row_blocks;
    const int position = p.positions[sequence];
    const decode::SequenceSplits cut = decode::sequence_splits(position, p.window, p.splits, p.min_split_positions);
    if (int(blockIdx.x) >= cut.used) return;  // past this sequence's positions: the combine reads only `used` partials
    const size_t rows = size_t(sequence) * p.query_heads;
    const decode::SplitTask task{p.q + rows * D, p.key_rings[sequence], p.value_rings[sequence], p.partial_acc + rows * p.splits * D,
                                 p.partial_max + rows * p.splits, p.partial_sum + rows * p.splits, position, 1, p.capacities[sequence], p.window,
                                 p.query_heads, p.kv_heads, p.splits, cut.positions, p.scale};
    decode::attend_split<D, ROWS>(task, blockIdx.x, blockIdx.y, block);
}

template <int D>
__device__ __forceinline__ void combine_batch(const BatchDecodeParams& p) {
    const int sequence = blockIdx.x / p.query_heads;
    const int used = decode::sequence_splits(p.positions[sequence], p.window, p.splits, p.min_split_positions).used;
    decode::combine_row<D>(p.partial_acc, p.partial_max, p.partial_sum, blockIdx.x, p.splits, used, p.out, p.lse);
}

// Resident CTAs per SM asked of ptxas: 4 for R = 4 (128 registers: the whole register file, as DecodeAttention's
// CTAS_PER_SM assumes; sm_80 would otherwise take 131 and fit 3), 2 for R = 8 (~218 registers: at 3 it spills).
#define DECODE_SPLIT(D, R)                                                                                              \
    extern "C" __global__ void __launch_bounds__(decode::THREADS, R == 4 ? 4 : 2) attend_decode_d##D##_r##R(          \
        const __grid_constant__ DecodeParams p) {                                                                       \
        decode::attend_split<D, R>(task_of(p), blockIdx.x, blockIdx.y, blockIdx.z);                                     \
    }                                                                                                                   \
    extern "C" __global__ void __launch_bounds__(decode::THREADS, R == 4 ? 4 : 2) attend_decode_batch_d##D##_r##R(    \
        const __grid_constant__ BatchDecodeParams p) {                                                                  \
        attend_batch_split<D, R>(p);                                                                                    \
    }
DECODE_SPLIT(64, 4)
DECODE_SPLIT(64, 8)
DECODE_SPLIT(128, 4)
DECODE_SPLIT(128, 8)

#define DECODE_COMBINE(D)                                                                                                        \
    extern "C" __global__ void __launch_bounds__(D) decode_combine_d##D(const __grid_constant__ DecodeParams p) {             \
        decode::combine_row<D>(p.partial_acc, p.partial_max, p.partial_sum, blockIdx.x, p.splits, p.splits, p.out, p.lse);     \
    }                                                                                                                            \
    extern "C" __global__ void __launch_bounds__(D) decode_combine_batch_d##D(const __grid_constant__ BatchDecodeParams p) {  \
        combine_batch<D>(p);                                                                                                     \
    }
DECODE_COMBINE(64)
DECODE_COMBINE(128)

// The batch's new keys and values, rounded to fp16 (as store_kv in attention_window.cu) into slot position % capacity
// of each sequence's ring: grid (ceil(width / 256), batch), 256 threads, one element per thread.
extern "C" __global__ void __launch_bounds__(256) store_decode_batch(const __grid_constant__ BatchDecodeParams p) {
    const int width = p.kv_heads * p.head_dim;
    const int e = blockIdx.x * blockDim.x + threadIdx.x;
    if (e >= width) return;
    const int sequence = blockIdx.y;
    const size_t slot = size_t(p.positions[sequence]) % size_t(p.capacities[sequence]);
    const size_t from = size_t(sequence) * width + e;
    p.key_rings[sequence][slot * width + e] = __float2half_rn(p.k[from]);
    p.value_rings[sequence][slot * width + e] = __float2half_rn(p.v[from]);
}
