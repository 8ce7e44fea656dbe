// Flash attention on tensor cores for many query tokens (prefill chunks) over the fp16 ring of attention_window.cu,
// with its semantics: query token i (position p = start + i) and query head h attend ring positions [lo(p), p]
// (lo from window_start, attention_common.cuh) of KV head h / group, slot = position % capacity; out is the
// normalised fp32 attention, lse = scale·max + ln Σ exp(scale·(s - max)) (natural log; lse may be null).
//
// Rows. The M dimension packs (query token, head of the GQA group) pairs of one KV head: pair = token·group + g,
// head = kv_head·group + g. A CTA's 64 rows are 64 consecutive pairs, so each K/V tile it stages serves every
// head of the group (any group size; a group that does not divide 64 just spreads over CTAs). Pairs past
// tokens·group are padding: staged as zero queries, fully masked, never written.
//
// Launch: grid (ceil(tokens·group / BLOCK_M), kv_heads), THREADS = 32·WARPS, BLOCK_M = 16·WARPS rows: attend_prefill_d<D>
//   has 4 warps (64 rows), attend_prefill_d<D>_m128 8 warps (128 rows: each K/V tile staged once for twice the rows,
//   and 1 CTA of 8 warps an SM instead of 2 of 4: 128 rows measured 8% faster). Dynamic shared memory
//   Q[BLOCK_M][D] + K[2][BLOCK_N][D] + V[2][BLOCK_N][D] fp16 = (BLOCK_M + 256)·D·2 bytes (D 128: 80 KiB for 64 rows,
//   96 KiB for 128). (Session 12 also tried three K/V tiles with each tile's S issued before the previous tile's
//   softmax, commit 65d1e31: 5% slower at 128 rows, 1% faster at 64; not kept.)
//   blockIdx.x runs the M tiles backwards: the last queries have the most keys, so the longest CTAs start first.
//   attend_prefill_d<D>[_m128]_batch: the prefill chunks of many sequences (each its own ring, capacity, start and
//   length) in one launch, grid (work items, kv_heads), PrefillBatchParams (attention_prefill_rows.cuh): CTA x computes
//   the row tile work[x] names, of the sequence it names, with the same code and sums as that sequence's own launch.
//   Warp w owns rows 16w..16w+15 of the CTA: its Q fragments (registers), its scores S (16 × BLOCK_N, fp32
//   accumulators), its online-softmax state and its output O (16 × D fp32 accumulators).
//   Per K/V tile of BLOCK_N positions (consecutive from the CTA's first position lo(first row)):
//     1. all threads cp.async the next tile into the other buffer (double buffering), zero-filling positions past
//        the CTA's last position (their slots may hold anything, even NaN bits, and P = 0 must give 0);
//     2. S = Q·Kᵀ with mma m16n8k16 (ldmatrix of K rows = the col-major B operand), masked to [lo(p), p] per row;
//     3. online softmax in fp32 (exp2 with scale·log2 e folded into the exponent's FMA), P rounded to fp16;
//     4. O += P·V with mma (P re-used from the S accumulators as A fragments, V by ldmatrix.trans).
//   A warp skips the MMAs of a tile wholly outside its rows' [lo, p] ranges (it still takes part in the barriers).
// Shared memory rows are D fp16; 16-byte chunk c of row r sits at chunk c ^ (r % 8), so the 8 rows an ldmatrix
// phase reads fall in 8 different bank groups.
//
// Query precision: Q is rounded from fp32 to fp16 once, as given, and the softmax scale is applied in fp32 to the
// fp32 scores (in the exponent's FMA, so it costs nothing). Folding the scale into Q before rounding would be one
// rounding too, but of q·scale, which is never exact; this way a query that is already an fp16 value (as a model
// run in fp16 produces, and as the tests use) loses nothing, and the only rounding left is P's. Queries beyond
// fp16's range (|q| > 65504) would overflow; the model's post-RoPE queries are far below it.
// head_dim 64 and 128 are instantiated (attend_prefill_d64/_d128); other sizes use attend_window.
#include <cstdint>
#include "attention_prefill_rows.cuh"

namespace prefill {
constexpr int BLOCK_N = 64;

__device__ __forceinline__ uint32_t shared_address(const void* p) { return uint32_t(__cvta_generic_to_shared(p)); }

// Offset in fp16 elements of 16-byte chunk `chunk` of row `row` in a [rows][D] shared tile, XOR-swizzled.
template <int D>
__device__ __forceinline__ int swizzled(int row, int chunk) { return row * D + ((chunk ^ (row & 7)) << 3); }

// 16 bytes global → shared without registers; src_bytes 0 writes zeros (and reads nothing).
__device__ __forceinline__ void cp_async_16(void* dst, const void* src, bool fill) {
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(shared_address(dst)), "l"(src), "r"(fill ? 16 : 0)
                 : "memory");
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::: "memory"); }
template <int PENDING>
__device__ __forceinline__ void cp_async_wait() { asm volatile("cp.async.wait_group %0;\n" ::"n"(PENDING) : "memory"); }

// S = Q·Kᵀ of one warp's 16 rows and a BLOCK_N-position key tile: per k16 step, one ldmatrix.x4 yields B fragments of
// two n8 key tiles.
template <int D>
__device__ __forceinline__ void scores(float (&s)[BLOCK_N / 8][4], const uint32_t (&q_frag)[D / 16][4], const __half* k_tile, int lane) {
    constexpr int KEY_TILES = BLOCK_N / 8;
#pragma unroll
    for (int j = 0; j < KEY_TILES; j++) s[j][0] = s[j][1] = s[j][2] = s[j][3] = 0.f;
#pragma unroll
    for (int kk = 0; kk < D / 16; kk++) {
#pragma unroll
        for (int jj = 0; jj < KEY_TILES / 2; jj++) {
            uint32_t b[4];
            const int key = jj * 16 + (lane & 7) + (lane >> 4) * 8, chunk = kk * 2 + ((lane >> 3) & 1);
            ldmatrix_x4(b, shared_address(k_tile + swizzled<D>(key, chunk)));
            mma_16816(s[2 * jj], q_frag[kk], b[0], b[1]);
            mma_16816(s[2 * jj + 1], q_frag[kk], b[2], b[3]);
        }
    }
}

// O += P·V for one warp's 16 rows: P (fp16 A fragments, RowState::softmax) times the BLOCK_N × D value tile; ldmatrix.trans
// of 16 positions × 16 dims yields B fragments of two n8 dim tiles.
template <int D>
__device__ __forceinline__ void add_values(float (&o)[D / 8][4], const uint32_t (&p_frag)[BLOCK_N / 16][4], const __half* v_tile, int lane) {
#pragma unroll
    for (int kk = 0; kk < BLOCK_N / 16; kk++) {
#pragma unroll
        for (int jj = 0; jj < D / 16; jj++) {
            uint32_t b[4];
            const int key = kk * 16 + (lane & 7) + ((lane >> 3) & 1) * 8, chunk = jj * 2 + (lane >> 4);
            ldmatrix_x4_trans(b, shared_address(v_tile + swizzled<D>(key, chunk)));
            mma_16816(o[2 * jj], p_frag[kk], b[0], b[1]);
            mma_16816(o[2 * jj + 1], p_frag[kk], b[2], b[3]);
        }
    }
}

// The CTA of KV head blockIdx.y whose rows are the BLOCK_M pairs from tile_first_pair(BLOCK_M) (a callable, called where
// the one-sequence kernel computed it before the batch entry existed, so that its code stayed the same instruction for
// instruction).
template <int D, int WARPS, typename FirstPair>
__device__ __forceinline__ void attend(const PrefillParams& p, FirstPair tile_first_pair) {
    static_assert(D % 16 == 0 && D <= 256, "head_dim must be a multiple of 16");
    constexpr int BLOCK_M = 16 * WARPS, THREADS = 32 * WARPS;
    constexpr int CHUNKS = D / 8;           // 16-byte chunks of a row
    constexpr int KEY_TILES = BLOCK_N / 8;  // n8 tiles of S
    constexpr int DIM_TILES = D / 8;        // n8 tiles of O
    extern __shared__ __align__(16) __half shared[];
    __half* q_tile = shared;                          // [BLOCK_M][D]
    __half* k_tiles = q_tile + BLOCK_M * D;           // [2][BLOCK_N][D]
    __half* v_tiles = k_tiles + 2 * BLOCK_N * D;      // [2][BLOCK_N][D]

    const int kv_head = blockIdx.y;
    const int group = p.query_heads / p.kv_heads;
    const int pairs = p.tokens * group;
    const int first_pair = tile_first_pair(BLOCK_M);
    const int last_pair = min(first_pair + BLOCK_M, pairs) - 1;
    const int width = p.kv_heads * D;  // fp16 elements of one ring slot
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;

    // Stage Q as fp16 (rounded once, unscaled: see the file comment), zeros for padding rows.
    for (int e = threadIdx.x; e < BLOCK_M * CHUNKS; e += THREADS) {
        const int row = e / CHUNKS, chunk = e % CHUNKS;
        *reinterpret_cast<uint4*>(q_tile + swizzled<D>(row, chunk)) = query_chunk(p, first_pair + row, group, kv_head, D, chunk);
    }

    // Keys this CTA reads: [lo(first token), last token], consecutive positions in tiles of BLOCK_N.
    const long long range_lo = window_start((long long)p.start + first_pair / group, p.window);
    const long long range_hi = (long long)p.start + last_pair / group;
    const int tiles = int((range_hi - range_lo + BLOCK_N) / BLOCK_N);

    auto load_tile = [&](int tile, int buffer) {
        const long long tile_lo = range_lo + (long long)tile * BLOCK_N;
        // Positions are below 2^31 (int start + tokens): a 32-bit modulo once per tile, then wrap by subtraction.
        const unsigned first_slot = unsigned(tile_lo) % unsigned(p.capacity);
        __half* k_dst = k_tiles + buffer * BLOCK_N * D;
        __half* v_dst = v_tiles + buffer * BLOCK_N * D;
        for (int e = threadIdx.x; e < BLOCK_N * CHUNKS; e += THREADS) {
            const int row = e / CHUNKS, chunk = e % CHUNKS;
            const bool stored = tile_lo + row <= range_hi;
            unsigned slot = first_slot + row;
            while (slot >= unsigned(p.capacity)) slot -= p.capacity;  // at most BLOCK_N / capacity times
            const size_t offset = (stored ? size_t(slot) * width : 0) + size_t(kv_head) * D + chunk * 8;
            cp_async_16(k_dst + swizzled<D>(row, chunk), p.key_ring + offset, stored);
            cp_async_16(v_dst + swizzled<D>(row, chunk), p.value_ring + offset, stored);
        }
    };
    load_tile(0, 0);
    cp_async_commit();

    // This thread's two rows: 16·warp + lane / 4 and 8 below.
    int row_pair[2];
    long long row_lo[2], row_hi[2];
    thread_rows(p, first_pair, warp, lane, group, row_pair, row_lo, row_hi);
    // The warp's union of ranges, for skipping tiles it has nothing to do with; a warp of padding rows only skips all.
    const int warp_first_pair = first_pair + warp * 16;
    const bool warp_active = warp_first_pair < pairs;
    const long long warp_lo = window_start((long long)p.start + warp_first_pair / group, p.window);
    const long long warp_hi = (long long)p.start + min(warp_first_pair + 15, pairs - 1) / group;

    __syncthreads();  // Q staged
    uint32_t q_frag[D / 16][4];
#pragma unroll
    for (int kk = 0; kk < D / 16; kk++) {
        const int row = warp * 16 + (lane & 7) + ((lane >> 3) & 1) * 8, chunk = kk * 2 + (lane >> 4);
        ldmatrix_x4(q_frag[kk], shared_address(q_tile + swizzled<D>(row, chunk)));
    }

    const float exp2_scale = p.scale * LOG2E;  // exp(scale·(s - m)) = exp2(s·exp2_scale - m·exp2_scale)
    RowState<KEY_TILES, DIM_TILES> state;
    state.init(row_lo, row_hi);
    for (int tile = 0; tile < tiles; tile++) {
        if (tile + 1 < tiles) load_tile(tile + 1, (tile + 1) & 1);
        cp_async_commit();  // an empty group on the last tile keeps the wait count below uniform
        cp_async_wait<1>();
        __syncthreads();  // this tile's chunks from every thread have landed
        const long long tile_lo = range_lo + (long long)tile * BLOCK_N;
        if (warp_active && tile_lo <= warp_hi && tile_lo + BLOCK_N - 1 >= warp_lo) {
            float s[KEY_TILES][4];
            scores<D>(s, q_frag, k_tiles + (tile & 1) * BLOCK_N * D, lane);
            float rescale[2];
            uint32_t p_frag[BLOCK_N / 16][4];
            state.softmax(s, tile_lo, exp2_scale, lane, rescale, p_frag);
            state.rescale_output(rescale);
            add_values<D>(state.o, p_frag, v_tiles + (tile & 1) * BLOCK_N * D, lane);
        }
        __syncthreads();  // the next iteration's loads overwrite this tile's buffer
    }
    state.store(p, row_pair, group, kv_head, lane);
}
}  // namespace prefill

// Each kernel has a batch twin of the same body (name_batch, PrefillBatchParams): CTA x takes work item x's sequence and
// row tile where the one-sequence kernel's CTA x takes row tile gridDim.x - 1 - x (the longest first).
#define PREFILL_KERNEL(name, D, WARPS)                                                                                          \
    extern "C" __global__ void __launch_bounds__(32 * WARPS) name(const __grid_constant__ PrefillParams p) {                   \
        prefill::attend<D, WARPS>(p, [](int rows) { return int((gridDim.x - 1 - blockIdx.x) * rows); });                       \
    }                                                                                                                          \
    extern "C" __global__ void __launch_bounds__(32 * WARPS) name##_batch(const __grid_constant__ PrefillBatchParams b) {       \
        const int2 item = b.work[blockIdx.x];                                                                                  \
        prefill::attend<D, WARPS>(prefill::sequence_params<D>(b, item.x), [&](int rows) { return item.y * rows; });            \
    }
PREFILL_KERNEL(attend_prefill_d64, 64, 4)
PREFILL_KERNEL(attend_prefill_d128, 128, 4)
PREFILL_KERNEL(attend_prefill_d64_m128, 64, 8)
PREFILL_KERNEL(attend_prefill_d128_m128, 128, 8)
