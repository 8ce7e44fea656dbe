// Split-KV attention for few query tokens (decode: one per sequence, at most a handful) over long contexts in the
// fp16 ring of attention_window.cu, with its semantics: query token i (position p = start + i), query head h,
// ring positions [lo(p), p] of KV head h / group (lo from window_start, attention_common.cuh), slot = position %
// capacity; out = normalised fp32 attention, lse = natural log-sum-exp of the scaled scores (lse may be null).
//
// Decoding reads every key and value once per step, so the kernel is a stream: its job is to keep enough 16-byte
// loads in flight on every SM and to spend few instructions on each byte. Two kernels, one DecodeParams:
//
// attend_decode_dD: grid (splits, kv_heads, row_blocks), THREADS = 128 (4 warps), mma_ring_bytes(D, SPLIT_STAGES)
//   bytes of dynamic shared memory (96 KB at D 128: 2 CTAs an SM). Rows are (query token, head of the group) pairs of one KV head,
//   pair = token·group + g, in blocks of MMA_ROWS = 8 (row_blocks = ceil(tokens·group / 8)): each K/V element a
//   CTA loads serves all its rows. The CTA's positions are the union [lo(first token), last token] of its rows, cut
//   into `splits` ranges of split_positions; CTA (s, kv_head, block) takes range s (the host picks splits from the
//   context and the SM count; a range past the end is empty and writes an empty partial).
//   On tensor cores (attend_split below): a warp takes 16 consecutive positions an iteration through its own
//   cp.async ring, Sᵀ = K·Qᵀ and Oᵀ += Vᵀ·Pᵀ by mma.sync m16n8k16 (N = the 8 rows), an online softmax per row
//   in fp32; at the end the 4 warps merge in shared memory and the CTA writes its partial (max, sum, Σ p·v) a row.
// decode_combine_dD: grid (tokens · query_heads), D threads, 4·splits bytes of dynamic shared memory (the splits'
//   weights): merges a row's `splits` partials by log-sum-exp into out (thread d owns dim d) and lse.
// The batch kernel (BatchDecodeParams): one new token for each sequence of a batch, each with its own fp16 ring and
// length, a layer's whole attention in one launch for the whole batch; window 0 (the fp16 dense cache: positions
// [0, position]) or R (a compressed cache's residual window: [window_start(position, R), position], lse written for
// the merge):
//   attend_decode_batch_dD: grid (splits, kv_heads, batch · row_blocks), as attend_decode_dD per sequence, but
//     a sequence cuts its own positions [lo, position] into ranges of max(min_split_positions, ceil(span / splits)):
//     the grid depends on the batch size only, not on the lengths, and CTAs past a short sequence's ranges return.
//     The last range of a sequence stores its new key and value (rounded to fp16) into their slot for later steps
//     and reads them from k and v itself (no fence before its copies); the last CTA of a row block to finish (an
//     atomic ticket a row block, reset by that CTA) merges the block's partials as decode_combine_dD does. So a step launches one kernel a layer, not three (store, split, combine: 5 µs of the
//     8B's 14.4 µs a layer at batch 1 were the other two and their kernel boundaries).
//
// Arithmetic: fp32 accuracy from fp16 tensor cores. The queries, pre-multiplied by scale·log2 e (scores in log2
// units, exp is one exp2), and the softmax weights P are each split into fp16 hi + lo (hi + lo carries a value to
// about 2^-22 of it), and each product runs on both: mma multiplies fp16 exactly and sums in fp32, and fp16 keys and
// values enter as they are stored. So the result stays within the fp32 reference's tolerance (2e-5; measured ≤ 1.3e-7
// on the 8B heads, docs/results/gpu/decode-attention-notes.md), where an fp16 query alone would cost 2^-11 a term.
// Partial maxima are in those log2 units; the combine converts lse back to natural log.
// Until session 10 the split ran on CUDA cores (a thread per 8 dims of a position, 16 lanes a dot, shuffles to sum
// them): ~720 instructions a thread per 4 positions × 4 rows, which bounded it by issue at 2.6 TB/s at batch 8 where
// its loads alone streamed 3.6; the tensor-core split issues about an eighth of that.
#include <cstdint>
#include "numeric.cuh"
#include "attention_common.cuh"
#include "async_copy.cuh"
#include "mma_fragments.cuh"

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
    const float* k;             // [batch][kv_heads][D] fp32: the new token's key per sequence
    const float* v;             // [batch][kv_heads][D] fp32
    __half* const* key_rings;   // [batch]: sequence s's key ring of this layer, [capacity][kv_heads][D] fp16
    __half* const* value_rings; // [batch]
    const int* capacities;      // [batch]: ring slots, slot = position % capacity
    const int* positions;       // [batch]: the new token's position (the tokens stored before it)
    float* partial_acc;         // [batch·query_heads][splits][D]
    float* partial_max;         // [batch·query_heads][splits]
    float* partial_sum;         // [batch·query_heads][splits]
    float* out;                 // [batch][query_heads][D] fp32
    float* lse;                 // [batch][query_heads] fp32 (natural log), or null
    int* tickets;               // [batch][kv_heads][row_blocks]: CTAs of a row block done, 0 between launches
    int batch;
    int query_heads;
    int kv_heads;
    int head_dim;               // D
    int splits;                 // gridDim.x of the split kernel: the most ranges a sequence is cut into
    int min_split_positions;    // fewest positions per range (a short sequence uses fewer ranges)
    int window;                 // 0: attend from position 0; R: from window_start(position, R)
    float scale;                // softmax scale, > 0
};
static_assert(sizeof(BatchDecodeParams) == 136, "BatchDecodeAttention.params mirrors this layout");

namespace decode {
constexpr int THREADS = 128;
constexpr float LOG2E = 1.4426950408889634f, LN2 = 0.6931471805599453f;

// 8 fp32 values rounded to fp16, as 16 bytes (the ring's layout of 8 dims).
__device__ __forceinline__ uint4 half8(const float* x) {
    const float4 a = *reinterpret_cast<const float4*>(x), b = *reinterpret_cast<const float4*>(x + 4);
    return make_uint4(pack_half2(a.x, a.y), pack_half2(a.z, a.w), pack_half2(b.x, b.y), pack_half2(b.z, b.w));
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
    // A token not yet in the ring (the batch step's new one, which this launch stores): position new_position reads its
    // key and value, fp32 [kv_heads][D], rounded to fp16 as the store rounds them, instead of its slot. -1: none.
    int new_position;
    const float* new_key;
    const float* new_value;
};

// Phases a benchmark variant leaves out (gpu-worker/scripts/decode_attention_bench.cu times them); production is 0.
enum Skip { SKIP_NONE = 0, SKIP_COMPUTE = 1 /* loads and waits only */, SKIP_MERGE = 2 /* no merge, no partials */ };


// Split `split` of KV head `kv_head` and row block `block` of one sequence, on tensor cores: a CTA's 4 warps each take 16 consecutive positions an iteration (warp w
// positions begin + 64·i + 16·w + [0, 16)), copied by the warp itself through its own ring of STAGES tiles (keys
// and values, [16][D] fp16 each, 16-byte chunk c of row r at chunk c ^ (r % 8): the 8 rows an ldmatrix phase reads
// fall in 8 bank groups); a warp waits only for its own copies (cp.async.wait_group, then __syncwarp for its
// lanes' pieces), no CTA barrier until the merge. Rows (query token, head of the group) in blocks of MMA_ROWS = 8,
// the mma's N. Per tile:
//   Sᵀ[16 positions][8 rows] = K · Qᵀ: mma m16n8k16 over D/16 steps, A = K by ldmatrix, B = Qᵀ from registers;
//   online softmax per row in fp32 (the max over the warp's 16 positions by shuffles; sums kept per lane);
//   Oᵀ[D][8 rows] += Vᵀ · Pᵀ: A = Vᵀ by ldmatrix.trans, B = Pᵀ, which is the Sᵀ accumulators' layout transposed
//   (movmatrix), so P never leaves registers.
// Both products run twice, on the fp16 split hi + lo of the query and of P (split_half2; see the file comment): four
// mma per 16 positions and 16 dims. Then the 4 warps merge their (max, sum, Oᵀ) in the rings' memory (one barrier)
// and the CTA writes one partial per row.
// STAGES tiles a warp: SPLIT_STAGES in production (3: two tiles in flight while one is computed); mma_ring_bytes
// gives the dynamic shared memory, DecodeAttention.ringBytes mirrors it. (Measured at 3 against 2 stages with 3 CTAs
// an SM, and 4 with 1: docs/results/gpu/decode-attention-notes.md.)
constexpr int MMA_ROWS = 8, MMA_TILE = 16, MMA_WARPS = THREADS / 32, SPLIT_STAGES = 3;
__host__ __device__ constexpr int mma_ring_bytes(int head_dim, int stages) { return MMA_WARPS * stages * 2 * MMA_TILE * head_dim * 2; }

template <int D, int STAGES, int SKIP = SKIP_NONE>
__device__ __forceinline__ void attend_split(const SplitTask& p, int split, int kv_head, int block) {
    constexpr int CHUNKS = D / 8, KSTEPS = D / 16, DIM_TILES = D / 16;
    constexpr int TILE_BYTES = MMA_TILE * D * 2, STAGE_BYTES = 2 * TILE_BYTES, WARP_RING = STAGES * STAGE_BYTES;
    constexpr int PIECES = MMA_TILE * CHUNKS / 32;  // 16-byte pieces of a tile per lane
    static_assert(MMA_TILE * CHUNKS % 32 == 0, "a tile's pieces must divide among the lanes");
    extern __shared__ __align__(128) unsigned char split_ring[];
    using MergeAcc = float[MMA_WARPS][MMA_ROWS][D];
    using MergeStat = float[MMA_WARPS][MMA_ROWS];
    static_assert(sizeof(MergeAcc) + 2 * sizeof(MergeStat) <= MMA_WARPS * WARP_RING, "the merge must fit in the rings");
    MergeAcc& merge_acc = *reinterpret_cast<MergeAcc*>(split_ring);
    MergeStat& merge_max = *reinterpret_cast<MergeStat*>(split_ring + sizeof(MergeAcc));
    MergeStat& merge_sum = *reinterpret_cast<MergeStat*>(split_ring + sizeof(MergeAcc) + sizeof(MergeStat));

    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32, g = lane / 4, t = lane % 4;
    const uint32_t ring = shared_address(split_ring) + warp * WARP_RING;
    const int group = p.query_heads / p.kv_heads;
    const int pairs = p.tokens * group;
    const int first_pair = block * MMA_ROWS;
    const int last_pair = min(first_pair + MMA_ROWS, pairs) - 1;
    const int width = p.kv_heads * D;
    const float q_scale = p.scale * LOG2E;

    // Qᵀ as B fragments (column g = row first_pair + g; k = dims), hi and lo; a padding row is zeros.
    uint32_t q_hi[KSTEPS][2], q_lo[KSTEPS][2];
    {
        const int pair = first_pair + g;
        const float* q = nullptr;
        if (pair < pairs) q = p.q + (size_t(pair / group) * p.query_heads + kv_head * group + pair % group) * D;
#pragma unroll
        for (int ks = 0; ks < KSTEPS; ks++) {
#pragma unroll
            for (int half = 0; half < 2; half++) {
                float2 v = make_float2(0.f, 0.f);
                if (q != nullptr) v = *reinterpret_cast<const float2*>(q + ks * 16 + half * 8 + 2 * t);
                const HalfSplit s = split_half2(v.x * q_scale, v.y * q_scale);
                q_hi[ks][half] = s.hi;
                q_lo[ks][half] = s.lo;
            }
        }
    }
    // The bounds of this lane's two rows (Sᵀ columns 2t, 2t+1); a padding row attends nothing.
    int row_lo[2], row_hi[2];
#pragma unroll
    for (int j = 0; j < 2; j++) {
        const int pair = first_pair + 2 * t + j;
        row_lo[j] = 1;
        row_hi[j] = 0;
        if (pair < pairs) {
            const int position = p.start + pair / group;
            row_lo[j] = int(window_start(position, p.window));
            row_hi[j] = position;
        }
    }

    const int range_lo = int(window_start((long long)p.start + first_pair / group, p.window));
    const int range_end = p.start + last_pair / group + 1;
    const int begin = min(range_end, range_lo + split * p.split_positions);
    const int end = min(range_end, begin + p.split_positions);
    const unsigned first_slot = unsigned(begin) % unsigned(p.capacity);
    const __half* keys = p.key_ring + size_t(kv_head) * D;
    const __half* values = p.value_ring + size_t(kv_head) * D;

    const int iterations = (end - begin + MMA_WARPS * MMA_TILE - 1) / (MMA_WARPS * MMA_TILE);
    auto tile_begin = [&](int i) { return begin + i * MMA_WARPS * MMA_TILE + warp * MMA_TILE; };
    auto issue = [&](int i) {  // always one commit group, so that the waits below count iterations
        if (i < iterations) {
            const uint32_t stage = ring + (i % STAGES) * STAGE_BYTES;
#pragma unroll
            for (int j = 0; j < PIECES; j++) {
                const int e = j * 32 + lane, row = e / CHUNKS, chunk = e % CHUNKS;
                const int position = tile_begin(i) + row;
                unsigned slot = first_slot + unsigned(position - begin);
                if (slot >= unsigned(p.capacity)) slot -= p.capacity;
                // Positions past the split are not loaded (zeros instead): their slots may hold anything, and 0·NaN would spread.
                const bool inside = position < end;
                const size_t at = size_t(slot) * width + chunk * 8;
                const uint32_t offset = row * D * 2 + ((chunk ^ (row & 7)) * 16);
                if (position == p.new_position) {  // this lane's own pieces: visible to the warp at the __syncwarp after the wait
                    store_shared_16(stage + offset, half8(p.new_key + kv_head * D + chunk * 8));
                    store_shared_16(stage + TILE_BYTES + offset, half8(p.new_value + kv_head * D + chunk * 8));
                    continue;
                }
                copy_16_async(stage + offset, inside ? keys + at : keys, inside);
                copy_16_async(stage + TILE_BYTES + offset, inside ? values + at : values, inside);
            }
        }
        asm volatile("cp.async.commit_group;");
    };

    float run_max[2] = {-INFINITY, -INFINITY}, run_sum[2] = {0.f, 0.f};  // rows 2t, 2t+1; sums over this lane's positions
    float o[DIM_TILES][4];  // Oᵀ: (dim 16·m + g (+8), rows 2t, 2t+1)
#pragma unroll
    for (int m = 0; m < DIM_TILES; m++) o[m][0] = o[m][1] = o[m][2] = o[m][3] = 0.f;
    // ldmatrix lane addresses within a tile: K (A = [positions][dims]) rows lane % 16 at chunk 2·ks + lane / 16;
    // Vᵀ (A = [dims][positions] from [positions][dims], transposed) rows 8·(lane / 16) + lane % 8 at chunk 2·m + (lane / 8) % 2.
    const int key_row = lane % 16, key_chunk = lane / 16;
    const int value_row = 8 * (lane / 16) + lane % 8, value_chunk = (lane / 8) % 2;

#pragma unroll
    for (int i = 0; i < STAGES - 1; i++) issue(i);
    for (int i = 0; i < iterations; i++) {
        __syncwarp();  // every lane is done with the stage refilled next
        issue(i + STAGES - 1);
        asm volatile("cp.async.wait_group %0;" ::"n"(STAGES - 1));
        __syncwarp();  // the lanes' copies of iteration i are visible to the whole warp
        const uint32_t key_tile = ring + (i % STAGES) * STAGE_BYTES, value_tile = key_tile + TILE_BYTES;
        if constexpr ((SKIP & SKIP_COMPUTE) != 0) {
            uint32_t a[4];
            ldmatrix_x4(a, key_tile + key_row * D * 2 + ((key_chunk ^ (key_row & 7)) * 16));
            o[0][0] += __uint_as_float((a[0] ^ a[3]) & 0x3fffffffu);
            continue;
        }
        float s[4] = {0.f, 0.f, 0.f, 0.f};  // Sᵀ: (position g, rows 2t, 2t+1), (position g + 8, rows 2t, 2t+1)
#pragma unroll
        for (int ks = 0; ks < KSTEPS; ks++) {
            uint32_t a[4];
            ldmatrix_x4(a, key_tile + key_row * D * 2 + (((2 * ks + key_chunk) ^ (key_row & 7)) * 16));
            mma_16816(s, a, q_hi[ks][0], q_hi[ks][1]);
            mma_16816(s, a, q_lo[ks][0], q_lo[ks][1]);
        }
        const int position0 = tile_begin(i) + g, position1 = position0 + 8;
        float weight[4];
#pragma unroll
        for (int j = 0; j < 2; j++) {
            const bool in0 = position0 < end && position0 >= row_lo[j] && position0 <= row_hi[j];
            const bool in1 = position1 < end && position1 >= row_lo[j] && position1 <= row_hi[j];
            const float s0 = in0 ? s[j] : -INFINITY, s1 = in1 ? s[2 + j] : -INFINITY;
            float tile_max = fmaxf(s0, s1);
#pragma unroll
            for (int offset = 4; offset < 32; offset *= 2) tile_max = fmaxf(tile_max, __shfl_xor_sync(0xffffffffu, tile_max, offset));
            const float new_max = fmaxf(run_max[j], tile_max);
            // Nothing attended yet: keep subtracting 0, so that exp2(-inf) = 0 rather than NaN.
            const float offset = new_max == -INFINITY ? 0.f : new_max;
            const float rescale = exp2f(run_max[j] - offset);
            run_max[j] = new_max;
            weight[j] = exp2f(s0 - offset);
            weight[2 + j] = exp2f(s1 - offset);
            run_sum[j] = run_sum[j] * rescale + weight[j] + weight[2 + j];
#pragma unroll
            for (int m = 0; m < DIM_TILES; m++) {
                o[m][j] *= rescale;
                o[m][2 + j] *= rescale;
            }
        }
        // Pᵀ as B fragments: Sᵀ's 8x8 halves (positions 0-7 and 8-15 × rows) transposed.
        const HalfSplit p0 = split_half2(weight[0], weight[1]), p1 = split_half2(weight[2], weight[3]);
        const uint32_t b_hi0 = movmatrix_trans(p0.hi), b_hi1 = movmatrix_trans(p1.hi);
        const uint32_t b_lo0 = movmatrix_trans(p0.lo), b_lo1 = movmatrix_trans(p1.lo);
#pragma unroll
        for (int m = 0; m < DIM_TILES; m++) {
            uint32_t a[4];
            ldmatrix_x4_trans(a, value_tile + value_row * D * 2 + (((2 * m + value_chunk) ^ (value_row & 7)) * 16));
            mma_16816(o[m], a, b_hi0, b_hi1);
            mma_16816(o[m], a, b_lo0, b_lo1);
        }
    }

    // The warp's sums over its lanes' positions, then the 4 warps merged in the rings' memory.
#pragma unroll
    for (int j = 0; j < 2; j++)
#pragma unroll
        for (int offset = 4; offset < 32; offset *= 2) run_sum[j] += __shfl_xor_sync(0xffffffffu, run_sum[j], offset);
    asm volatile("cp.async.wait_group 0;");
    if constexpr ((SKIP & SKIP_MERGE) != 0) {
        if (o[0][0] + run_sum[0] == 1.2345e-30f) p.partial_sum[0] = o[DIM_TILES - 1][3];
        return;
    }
    __syncthreads();
    if (g == 0) {
#pragma unroll
        for (int j = 0; j < 2; j++) {
            merge_max[warp][2 * t + j] = run_max[j];
            merge_sum[warp][2 * t + j] = run_sum[j];
        }
    }
#pragma unroll
    for (int m = 0; m < DIM_TILES; m++)
#pragma unroll
        for (int c = 0; c < 4; c++) merge_acc[warp][2 * t + (c & 1)][16 * m + g + 8 * (c >> 1)] = o[m][c];
    __syncthreads();
    for (int e = threadIdx.x; e < MMA_ROWS * D; e += THREADS) {
        const int r = e / D, d = e % D, pair = first_pair + r;
        if (pair >= pairs) continue;
        float m = -INFINITY;
        for (int w = 0; w < MMA_WARPS; w++) m = fmaxf(m, merge_max[w][r]);
        const float offset = m == -INFINITY ? 0.f : m;
        float sum = 0.f, a = 0.f;
        for (int w = 0; w < MMA_WARPS; w++) {
            const float weight = exp2f(merge_max[w][r] - offset);
            sum += merge_sum[w][r] * weight;
            a += merge_acc[w][r][d] * weight;
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
            p.query_heads, p.kv_heads, p.splits, p.split_positions, p.scale, -1, nullptr, nullptr};
}

namespace decode {
// The new token of `sequence`, KV head `kv_head`: its key and value rounded to fp16 (as store_kv in
// attention_window.cu, and as half8 gives them to this launch's own reads) into slot position % capacity of the
// sequence's rings, for the steps after this one. No fence: nothing in this launch reads the slot (the last range
// reads the token from k and v instead). Called by every CTA of the sequence's last range; CTAs of other row blocks
// of the same KV head write the same bytes.
template <int D>
__device__ __forceinline__ void store_new_token(const BatchDecodeParams& p, int sequence, int kv_head, int position) {
    const int width = p.kv_heads * D;
    const size_t slot = size_t(position) % size_t(p.capacities[sequence]);
    for (int d = threadIdx.x; d < D; d += THREADS) {
        const size_t from = size_t(sequence) * width + kv_head * D + d;
        p.key_rings[sequence][slot * width + kv_head * D + d] = __float2half_rn(p.k[from]);
        p.value_rings[sequence][slot * width + kv_head * D + d] = __float2half_rn(p.v[from]);
    }
}

// After a CTA has written its partials: the last of the `used` CTAs of its (sequence, KV head, row block) to arrive,
// by an atomic ticket, merges their partials by log-sum-exp into out and lse, in split order, so the result does not
// depend on which CTA came last; it also resets the ticket for the next launch (every CTA of the block has taken its
// own by then). Ordering: the CTA's writes, a barrier, then one thread's acq_rel atomic (release: the barrier orders
// the other threads' writes before it; acquire: the last CTA's barrier orders its reads after it), as CUTLASS's
// semaphore does, so only one thread waits on the fence. The ring's memory holds the splits' weights.
template <int D>
__device__ __forceinline__ void combine_if_last(const BatchDecodeParams& p, int sequence, int kv_head, int block, int row_blocks, int used) {
    __syncthreads();
    int arrived = -1;
    int* ticket = p.tickets + (size_t(sequence) * p.kv_heads + kv_head) * row_blocks + block;
    if (threadIdx.x == 0) asm volatile("atom.acq_rel.gpu.global.add.s32 %0, [%1], 1;" : "=r"(arrived) : "l"(ticket) : "memory");
    if (!__syncthreads_or(arrived == used - 1)) return;
    if (threadIdx.x == 0) *ticket = 0;
    extern __shared__ __align__(128) unsigned char split_ring[];
    float* weights = reinterpret_cast<float*>(split_ring);  // [MMA_ROWS][used]
    float* row_max = weights + MMA_ROWS * used;            // [MMA_ROWS]
    float* row_sum = row_max + MMA_ROWS;                   // [MMA_ROWS]
    const int group = p.query_heads / p.kv_heads, first_pair = block * MMA_ROWS, rows = min(MMA_ROWS, group - first_pair);
    const size_t first_row = size_t(sequence) * p.query_heads + kv_head * group + first_pair;  // one token a sequence
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    for (int n = warp; n < rows; n += MMA_WARPS) {
        const float* maxima = p.partial_max + (first_row + n) * p.splits;
        const float* sums = p.partial_sum + (first_row + n) * p.splits;
        float m = -INFINITY;
        for (int s = lane; s < used; s += 32) m = fmaxf(m, __ldcg(maxima + s));
        m = warp_max(m);  // finite: every row attends at least its own position
        float sum = 0.f;
        for (int s = lane; s < used; s += 32) {
            const float w = exp2f(__ldcg(maxima + s) - m);  // 0 for an empty split (max -inf, sum 0)
            weights[n * used + s] = w;
            sum += __ldcg(sums + s) * w;
        }
        sum = warp_sum(sum);
        if (lane == 0) {
            row_max[n] = m;
            row_sum[n] = sum;
        }
    }
    __syncthreads();
    // Thread (row n, 4 dims): 16-byte loads of the splits' partials, 8 splits in flight: the merge is a chain of
    // ceil(used / 8) L2 round trips, on the critical path of the layer's tail.
    for (int e = threadIdx.x; e < rows * (D / 4); e += THREADS) {
        const int n = e / (D / 4), d = 4 * (e % (D / 4));
        const size_t row = first_row + n;
        const float4* acc = reinterpret_cast<const float4*>(p.partial_acc + row * p.splits * D + d);
        float4 a = make_float4(0.f, 0.f, 0.f, 0.f);
#pragma unroll 8
        for (int s = 0; s < used; s++) {
            const float4 v = __ldcg(acc + size_t(s) * (D / 4));
            const float w = weights[n * used + s];
            a = make_float4(fmaf(v.x, w, a.x), fmaf(v.y, w, a.y), fmaf(v.z, w, a.z), fmaf(v.w, w, a.w));
        }
        const float inverse = 1.f / row_sum[n];
        *reinterpret_cast<float4*>(p.out + row * D + d) = make_float4(a.x * inverse, a.y * inverse, a.z * inverse, a.w * inverse);
        if (p.lse != nullptr && d == 0) p.lse[row] = (row_max[n] + log2f(row_sum[n])) * LN2;
    }
}
}  // namespace decode

// The batch launch (BatchDecodeParams), a layer's whole decode attention in one kernel: blockIdx.z = sequence ·
// row_blocks + block, one new token per sequence. The sequence's last range stores the new token for later steps and
// reads it from k and v itself; every range writes its partial; the last range of a row block to finish merges them
// (combine_if_last).
template <int D, int STAGES = decode::SPLIT_STAGES, int SKIP = decode::SKIP_NONE>
__device__ __forceinline__ void attend_batch_split(const BatchDecodeParams& p) {
    const int group = p.query_heads / p.kv_heads, row_blocks = (group + decode::MMA_ROWS - 1) / decode::MMA_ROWS;
    const int sequence = blockIdx.z / row_blocks, block = blockIdx.z % row_blocks;
    const int position = p.positions[sequence];
    const decode::SequenceSplits cut = decode::sequence_splits(position, p.window, p.splits, p.min_split_positions);
    if (int(blockIdx.x) >= cut.used) return;
    const bool last_range = int(blockIdx.x) == cut.used - 1;
    if (last_range) decode::store_new_token<D>(p, sequence, blockIdx.y, position);
    const size_t rows = size_t(sequence) * p.query_heads, token = size_t(sequence) * p.kv_heads * D;
    const decode::SplitTask task{p.q + rows * D, p.key_rings[sequence], p.value_rings[sequence], p.partial_acc + rows * p.splits * D,
                                 p.partial_max + rows * p.splits, p.partial_sum + rows * p.splits, position, 1, p.capacities[sequence], p.window,
                                 p.query_heads, p.kv_heads, p.splits, cut.positions, p.scale, last_range ? position : -1, p.k + token, p.v + token};
    decode::attend_split<D, STAGES, SKIP>(task, blockIdx.x, blockIdx.y, block);
    if constexpr ((SKIP & decode::SKIP_MERGE) != 0) return;  // no partials: no ticket either
    decode::combine_if_last<D>(p, sequence, blockIdx.y, block, row_blocks, cut.used);
}

// Two CTAs an SM (96 KB of rings each at D 128, the whole shared memory); ptxas then keeps the fragments, the
// accumulators and both rows' softmax state in registers (no spills).
#define DECODE_SPLIT(D)                                                                                                  \
    extern "C" __global__ void __launch_bounds__(decode::THREADS, 2) attend_decode_d##D(const __grid_constant__ DecodeParams p) { \
        decode::attend_split<D, decode::SPLIT_STAGES>(task_of(p), blockIdx.x, blockIdx.y, blockIdx.z);                  \
    }                                                                                                                    \
    extern "C" __global__ void __launch_bounds__(decode::THREADS, 2) attend_decode_batch_d##D(                          \
        const __grid_constant__ BatchDecodeParams p) {                                                                   \
        attend_batch_split<D>(p);                                                                                        \
    }
DECODE_SPLIT(64)
DECODE_SPLIT(128)

// The single-sequence combine (the batch kernel combines in its last CTA).
#define DECODE_COMBINE(D)                                                                                                        \
    extern "C" __global__ void __launch_bounds__(D) decode_combine_d##D(const __grid_constant__ DecodeParams p) {             \
        decode::combine_row<D>(p.partial_acc, p.partial_max, p.partial_sum, blockIdx.x, p.splits, p.splits, p.out, p.lse);     \
    }
DECODE_COMBINE(64)
DECODE_COMBINE(128)
