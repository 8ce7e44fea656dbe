// Flash attention for prefill on Hopper's warpgroup tensor cores (sm_90a only: build-kernels.sh compiles this file for
// compute_90a/sm_90a alone, and io.vecinfer.cuda.attention.PrefillAttention loads it only on compute capability 9.0).
// The semantics, rows and parameters of attention_prefill.cu (PrefillParams, attention_prefill_rows.cuh): query token i
// (position start + i) and head h attend ring positions [lo(p), p] of KV head h / group; M packs (token, head of the
// group) pairs of one KV head; out is the normalised fp32 attention, lse the natural-log sum (may be null).
//
// Launch: attend_prefill_wgmma[_lc|_ka|_pp|_ws|_wp]_d128, grid (ceil(tokens·group / 128), kv_heads), 256 threads (two
// warpgroups; _ws and _wp 384), SHARED_BYTES of dynamic shared memory, one CTA per multiprocessor. head_dim 128 only (other sizes take
// attention_prefill.cu). blockIdx.x runs the row tiles backwards, so the CTAs with the most keys start first.
// attend_prefill_wgmma[...]_d128_batch: the prefill chunks of many sequences in one launch, grid (work items,
// kv_heads), the rest as above, PrefillBatchParams (attention_prefill_rows.cuh): CTA x computes the row tile work[x]
// names, of the sequence it names, with the same code and sums as that sequence's own launch.
// Warpgroup c owns rows 64c..64c+63 of the CTA's 128 and stages them as fp16 Q (rounded once, unscaled, as
// attention_prefill.cu). Both copy the K/V tiles of BLOCK_N = 128 positions (consecutive from the CTA's first position
// lo(first row)) from the ring with 16-byte cp.async into STAGES = 3 stages, zero-filling positions past the CTA's last
// (their slots may hold anything, and P = 0 must give 0). K and V of a stage have their own barriers: `full` (count
// 256: a thread's copies arrive when they land, cp.async.mbarrier.arrive) and `empty` (count 256: a thread is done
// reading it: K after S, V after P·V), which the copy into that slot three tiles later waits on. The Schedule (the
// name's suffix) says what a thread copies during tile t, when, and whether the warpgroups take turns:
//   (none) SHARED_COPIES: K and V of t + 1, first. V(t + 1) waits for the other warpgroup's P·V(t - 2), i.e. its end
//          of tile t - 1, so the two run in step: both issue their products together, then both spend their softmax
//          beside idle tensor cores.
//   _lc    LATE_COPIES: the same, after tile t's wgmmas are issued, so that the wait overlaps them.
//   _ka    KEYS_AHEAD: K of t + 2 and V of t, after the wgmmas: no copy waits for more than the other warpgroup's
//          S(t - 1), and each has one or two tiles' time to land.
//   _pp    PING_PONG: KEYS_AHEAD, and each tile is a turn of warpgroup 0, then of warpgroup 1 (named barriers
//          TURN + c); a warpgroup issues its tile's wgmmas in its turn, so one's softmax runs while the tensor cores
//          work through the other's products (FlashAttention-3's inter-warpgroup overlap).
//   _ws    PRODUCER: 384 threads; a third warpgroup's first warp copies K(t), V(t) for every t in order, as soon as
//          each slot is free (count 32 on `full`), and the two consumer warpgroups only compute. setmaxnreg gives the
//          producer 24 registers a thread and the consumers 240; their barrier waits break rather than trap on a
//          time-out (wgmma.cuh: with a trap ptxas compiles them at 168 and spills).
//   _wp    PRODUCER_PING_PONG: _ws with the turns.
// All compute the same sums in the same order (bit-identical outputs).
// Per tile, in each warpgroup: S = Q·Kᵀ as eight wgmma m64n128k16 (A = Q and B = K from shared memory, K-major); the
// online softmax of attention_prefill_rows.cuh on the accumulators (which hold, per warp, the same elements as
// mma.sync's fragments); P rounded to fp16 stays in registers as the A operand of O += P·V, eight wgmma m64n128k16
// with B = V read MN-major (V's rows are positions, its 128 dims the N of the product). Tile t's S and tile t - 1's
// P·V are issued together, so the softmax of S(t) runs while P·V(t - 1) is on the tensor cores (FlashAttention-3's
// intra-warpgroup pipelining). A warpgroup computes only the tiles that meet its 64 rows' ranges (a contiguous run;
// it still takes part in every tile's copies and barriers).
// Registers: 256 threads have up to 255. A producer warp alone (288 threads) cannot have more than 168: the register
// file is split between the four schedulers and three warps share one (__maxnreg__(224) compiles, the launch fails).
// Shared memory (128-byte swizzle, wgmma.cuh): Q [2 dim blocks][128 rows][64 dims], then STAGES stages of
//   K [2 dim blocks][128 positions][64 dims] and V likewise; a dim block of a tile is 16 KB, 1024-byte aligned. Read
//   K-major, a K row is one position and 64 of its dims (the k of S); read MN-major, a V row is one position (the k
//   of P·V) and 64 of its dims (the N). Then the barriers (Stages).
// A barrier wait that lasts WAIT_TIMEOUT_NS traps (the launch fails) instead of hanging: it can only be a protocol bug.
#include <cstdint>
#include "attention_prefill_rows.cuh"
#include "wgmma.cuh"

namespace prefill_wgmma {
constexpr int D = 128, BLOCK_M = 128, BLOCK_N = 128, CONSUMERS = 256, STAGES = 3;

// When a thread copies its share of which K and V tiles during tile t, and whether the two warpgroups take turns at the
// tensor cores (the kernel's name says which; see the header).
enum class Schedule {
    SHARED_COPIES,  // K and V of tile t + 1, before tile t's wgmmas (attend_prefill_wgmma_d128)
    LATE_COPIES,    // K and V of tile t + 1, after tile t's wgmmas are issued (_lc)
    KEYS_AHEAD,     // K of tile t + 2 and V of tile t, after tile t's wgmmas are issued (_ka)
    PING_PONG,      // KEYS_AHEAD, and the warpgroups issue their wgmmas in turn (_pp)
    PRODUCER,       // a third warpgroup copies every tile in order; the two compute only (_ws)
    PRODUCER_PING_PONG,  // PRODUCER, and the warpgroups issue their wgmmas in turn (_wp)
};
__host__ __device__ constexpr bool has_producer(Schedule s) { return s == Schedule::PRODUCER || s == Schedule::PRODUCER_PING_PONG; }
template <Schedule S> __host__ __device__ constexpr int threads() { return has_producer(S) ? CONSUMERS + 128 : CONSUMERS; }
// Registers a thread of the producer warpgroup and of the consumers keep after setmaxnreg: 128 · 24 + 256 · 240 ≤ 65536,
// and per scheduler (one producer warp, two consumer warps) 32 · (24 + 2 · 240) ≤ 16384.
constexpr int PRODUCER_REGISTERS = 24, CONSUMER_REGISTERS = 240;
// Named barriers (0 is __syncthreads): one per warpgroup's turn, then the consumers' staged Q (producer schedules).
constexpr int TURN = 1, Q_READY = 3;
constexpr int ROW_BYTES = 128;                         // 64 fp16 dims: one swizzle row
constexpr int DIM_BLOCKS = D / 64;                     // 2
constexpr int Q_BLOCK_BYTES = BLOCK_M * ROW_BYTES;     // 16 KB: [128 rows][64 dims]
constexpr int Q_BYTES = DIM_BLOCKS * Q_BLOCK_BYTES;    // 32 KB
constexpr int KV_BLOCK_BYTES = BLOCK_N * ROW_BYTES;    // 16 KB: [128 positions][64 dims]
constexpr int TILE_BYTES = DIM_BLOCKS * KV_BLOCK_BYTES; // 32 KB: K or V of one tile
constexpr int STAGE_BYTES = 2 * TILE_BYTES;            // K, then V
constexpr int SHARED_BYTES = 1024 /* alignment slack */ + Q_BYTES + STAGES * STAGE_BYTES + 4 * STAGES * 8 /* barriers */;
static_assert(SHARED_BYTES <= 227 * 1024, "more than a multiprocessor's shared memory");
constexpr int KEY_TILES = BLOCK_N / 8, DIM_TILES = D / 8;  // n8 tiles of S and of O

// Byte offset of 16-byte chunk `chunk` (of 8) of row `row` in a [rows][64] block with 128-byte swizzle.
__device__ __forceinline__ uint32_t swizzled(int row, int chunk) { return row * ROW_BYTES + ((chunk ^ (row & 7)) << 4); }

__device__ __forceinline__ void cp_async_16(uint32_t target, const void* source, bool fill) {
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;" ::"r"(target), "l"(source), "r"(fill ? 16 : 0) : "memory");
}

// The keys a CTA reads: [lo, hi], tiles of BLOCK_N consecutive positions from lo.
struct KeyRange {
    long long lo, hi;
    int tiles;
};

// The keys of the CTA whose first row is pair first_pair: from its first row's window start to its last row's position.
__device__ __forceinline__ KeyRange key_range(const PrefillParams& p, int first_pair) {
    const int group = p.query_heads / p.kv_heads, pairs = p.tokens * group;
    const int last_pair = min(first_pair + BLOCK_M, pairs) - 1;
    KeyRange keys;
    keys.lo = window_start((long long)p.start + first_pair / group, p.window);
    keys.hi = (long long)p.start + last_pair / group;
    keys.tiles = int((keys.hi - keys.lo + BLOCK_N) / BLOCK_N);
    return keys;
}

// The stages and their barriers: for K and for V of each stage, `full` (its copies have landed) and `empty` (every
// thread is done reading it), 8 bytes each, K's then V's.
struct Stages {
    uint32_t base, full, empty;  // full[2][STAGES], empty[2][STAGES]: [0] K, [1] V
    __device__ __forceinline__ uint32_t full_of(bool values, int tile) const { return full + 8 * ((values ? STAGES : 0) + tile % STAGES); }
    __device__ __forceinline__ uint32_t empty_of(bool values, int tile) const { return empty + 8 * ((values ? STAGES : 0) + tile % STAGES); }
    __device__ __forceinline__ uint32_t keys(int tile) const { return base + (tile % STAGES) * STAGE_BYTES; }
    __device__ __forceinline__ uint32_t values(int tile) const { return keys(tile) + TILE_BYTES; }
};

// Copier `copier`'s share (of COPIERS: the 256 consumer threads, or the producer's one warp) of tile `tile`'s K (or V)
// into its stage, once that stage's K (or V) of three tiles earlier is done (`empty`), arriving on its `full` when they
// land. Copier t copies chunk t % 16 of positions t / 16 + (COPIERS / 16)·i, so each warp reads two whole 256-byte ring
// rows per copy instruction. T: what its wait does on a time-out (a breakpoint in kernels with setmaxnreg, wgmma.cuh).
template <bool VALUES, int COPIERS, Timeout T>
__device__ __forceinline__ void load_part(const PrefillParams& p, KeyRange keys, int kv_head, int tile, const Stages& stages, int copier) {
    constexpr int ROW_STEP = COPIERS / 16;
    const int chunk = copier % 16, first_row = copier / 16;
    const int width = p.kv_heads * D;  // fp16 elements of one ring slot
    // A fresh barrier's phase "-1" counts as complete.
    barrier_wait<T>(stages.empty_of(VALUES, tile), ((tile / STAGES) & 1) ^ 1);
    const __half* ring = VALUES ? p.value_ring : p.key_ring;
    const long long tile_lo = keys.lo + (long long)tile * BLOCK_N;
    // Positions are below 2^31 (int start + tokens): a 32-bit modulo once per tile, then wrap by subtraction.
    const unsigned first_slot = unsigned(tile_lo) % unsigned(p.capacity);
    const uint32_t target = (VALUES ? stages.values(tile) : stages.keys(tile)) + (chunk / 8) * KV_BLOCK_BYTES;
    const size_t head_offset = size_t(kv_head) * D + chunk * 8;
    if (first_slot + BLOCK_N <= unsigned(p.capacity) && tile_lo + BLOCK_N - 1 <= keys.hi) {
        // Every tile but a CTA's last and a ring's wrap: consecutive slots, all stored (no per-row compare or wrap).
        const size_t first = (size_t(first_slot) + first_row) * width + head_offset, step = size_t(ROW_STEP) * width;
        const uint32_t at = swizzled(first_row, chunk % 8);
#pragma unroll
        for (int i = 0; i < BLOCK_N / ROW_STEP; i++) {
            // 256 copiers: + 16 rows = + 2048 bytes, the same swizzle (the form whose code the H200 tested); 32: + 2 rows
            const uint32_t row_at = ROW_STEP % 8 == 0 ? at + i * ROW_STEP * ROW_BYTES : swizzled(first_row + ROW_STEP * i, chunk % 8);
            cp_async_16(target + row_at, ring + first + i * step, true);
        }
    } else {
#pragma unroll 8
        for (int i = 0; i < BLOCK_N / ROW_STEP; i++) {
            const int row = first_row + ROW_STEP * i;
            const bool stored = tile_lo + row <= keys.hi;
            unsigned slot = first_slot + row;
            while (slot >= unsigned(p.capacity)) slot -= p.capacity;  // at most BLOCK_N / capacity times
            cp_async_16(target + swizzled(row, chunk % 8), ring + (stored ? size_t(slot) * width : 0) + head_offset, stored);
        }
    }
    barrier_arrive_after_copies(stages.full_of(VALUES, tile));
}

__device__ __forceinline__ void named_barrier_sync(int id, int count) { asm volatile("bar.sync %0, %1;" ::"r"(id), "r"(count) : "memory"); }
__device__ __forceinline__ void named_barrier_arrive(int id, int count) { asm volatile("bar.arrive %0, %1;" ::"r"(id), "r"(count) : "memory"); }

// Warpgroup c (0 or 1): rows 64c..64c+63 of the CTA, whose first is pair first_pair.
template <Schedule S>
__device__ __forceinline__ void attend_rows(const PrefillParams& p, KeyRange keys, int kv_head, int first_pair, int c, uint32_t q_tile,
                                            const Stages& stages) {
    const int group = p.query_heads / p.kv_heads, pairs = p.tokens * group;
    const int warp = (threadIdx.x / 32) % 4, lane = threadIdx.x % 32;
    constexpr bool PRODUCED = has_producer(S), EARLY_COPIES = S == Schedule::SHARED_COPIES;
    constexpr bool PING_PONG = S == Schedule::PING_PONG || S == Schedule::PRODUCER_PING_PONG;
    constexpr bool AHEAD = S == Schedule::KEYS_AHEAD || S == Schedule::PING_PONG;
    constexpr Timeout TIMEOUT = PRODUCED ? Timeout::BREAKPOINT : Timeout::TRAP;
    // The tiles copied before the loop: K and V of 0 and 1, or ahead only K of 0 and 1 (V(0) is tile 0's copy).
    if constexpr (!PRODUCED) {
        for (int tile = 0; tile < 2 && tile < keys.tiles; tile++) {
            load_part<false, CONSUMERS, Timeout::TRAP>(p, keys, kv_head, tile, stages, threadIdx.x);
            if constexpr (!AHEAD) load_part<true, CONSUMERS, Timeout::TRAP>(p, keys, kv_head, tile, stages, threadIdx.x);
        }
    }
    // Stage Q as fp16, both warpgroups' rows by all 256 threads, zeros for padding rows.
    for (int e = threadIdx.x; e < BLOCK_M * (D / 8); e += CONSUMERS) {
        const int row = e / (D / 8), chunk = e % (D / 8);
        const uint4 packed = prefill::query_chunk(p, first_pair + row, group, kv_head, D, chunk);
        const uint32_t at = q_tile + (chunk / 8) * Q_BLOCK_BYTES + swizzled(row, chunk % 8);
        asm volatile("st.shared.v4.u32 [%0], {%1, %2, %3, %4};" ::"r"(at), "r"(packed.x), "r"(packed.y), "r"(packed.z), "r"(packed.w)
                     : "memory");
    }
    asm volatile("fence.proxy.async.shared::cta;" ::: "memory");  // generic-proxy stores, read by wgmma
    if constexpr (PRODUCED) named_barrier_sync(Q_READY, CONSUMERS);  // the consumers only: the producer is copying
    else __syncthreads();

    const int my_first = first_pair + 64 * c;
    int row_pair[2];
    long long row_lo[2], row_hi[2];
    prefill::thread_rows(p, my_first, warp, lane, group, row_pair, row_lo, row_hi);
    // The warpgroup's union of ranges, for skipping tiles it has nothing to do with; padding rows only skip all.
    const bool active = my_first < pairs;
    const long long my_lo = window_start((long long)p.start + my_first / group, p.window);
    const long long my_hi = (long long)p.start + min(my_first + 63, pairs - 1) / group;

    // The tiles this warpgroup computes, [first_tile, last_tile]: contiguous, as its rows' ranges are; none if inactive.
    const int first_tile = active ? int((my_lo - keys.lo) / BLOCK_N) : 0;
    const int last_tile = active ? int((my_hi - keys.lo) / BLOCK_N) : -1;

    const float exp2_scale = p.scale * prefill::LOG2E;
    prefill::RowState<KEY_TILES, DIM_TILES> state;
    state.init(row_lo, row_hi);
    float(&o)[64] = reinterpret_cast<float(&)[64]>(state.o);
    float scores[KEY_TILES][4];
    float(&sc)[64] = reinterpret_cast<float(&)[64]>(scores);
    // P of two consecutive tiles: the softmax of S(t) writes one while P·V(t - 1) still reads the other.
    uint32_t p_even[KEY_TILES / 2][4], p_odd[KEY_TILES / 2][4];
    const uint32_t q_rows = q_tile + c * 64 * ROW_BYTES;
    // O += P·V of tile `tile` (its V in stage tile % STAGES), issued and committed.
    auto add_values = [&](int tile, const uint32_t (&p_frag)[KEY_TILES / 2][4]) {
        const uint32_t v_tile = stages.values(tile);
#pragma unroll
        for (int kk = 0; kk < BLOCK_N / 16; kk++) {  // 16 positions = two 8-row atoms of 1024 bytes
            wgmma_64x128x16_f16_rs_mn(o, p_frag[kk], mn_major_descriptor(v_tile + kk * 2048, KV_BLOCK_BYTES));
        }
        wgmma_commit();
    };
    // Every thread takes part in every tile's copies and barriers, whether its warpgroup computes the tile or not: in
    // tile t it waits for K(t) and V(t - 1) to land, and releases them once read (K after S(t), V after P·V(t - 1)), in
    // tile order, so that each barrier's phases follow one another.
    // The copies of tile t: K and V of t + 1 (into the stage of t - 2), or ahead K of t + 2 (the stage of t - 1) and V
    // of t (the stage of t - 3). V(t + 1)'s copy waits for the other warpgroup's P·V(t - 2), the end of its tile t - 1:
    // copied early (before tile t's wgmmas), a warpgroup cannot start tile t before the other has ended tile t - 1;
    // copied late, it waits with its products already on the tensor cores; ahead, no copy waits for more than the
    // other warpgroup's S(t - 1), and each has one or two tiles' time to land.
    auto copies = [&](int tile) {
        if constexpr (PRODUCED) {
            return;  // the producer's
        } else if constexpr (AHEAD) {
            if (tile + 2 < keys.tiles) load_part<false, CONSUMERS, Timeout::TRAP>(p, keys, kv_head, tile + 2, stages, threadIdx.x);
            load_part<true, CONSUMERS, Timeout::TRAP>(p, keys, kv_head, tile, stages, threadIdx.x);
        } else if (tile >= 1 && tile + 1 < keys.tiles) {
            load_part<false, CONSUMERS, Timeout::TRAP>(p, keys, kv_head, tile + 1, stages, threadIdx.x);
            load_part<true, CONSUMERS, Timeout::TRAP>(p, keys, kv_head, tile + 1, stages, threadIdx.x);
        }
    };
    // cp.async writes the stages through the generic proxy, wgmma reads them through the async proxy.
    auto ready = [&](bool values, int tile) {
        barrier_wait<TIMEOUT>(stages.full_of(values, tile), (tile / STAGES) & 1);
        asm volatile("fence.proxy.async.shared::cta;" ::: "memory");
    };
    // K(t) before the turn; V(t - 1) only before its P·V, after S(t) is issued, so that a late V overlaps S(t).
    auto begin_tile = [&](int tile) {
        if constexpr (EARLY_COPIES) copies(tile);
        ready(false, tile);
    };
    auto values_ready = [&](int tile) {
        if (tile >= 0) ready(true, tile);
    };
    auto keys_done = [&](int tile) { barrier_arrive(stages.empty_of(false, tile)); };
    auto values_done = [&](int tile) {
        if (tile >= 0) barrier_arrive(stages.empty_of(true, tile));
    };
    // S = Q·Kᵀ of tile `tile`, issued and committed (after the fence that orders every register write before it).
    auto issue_scores = [&](int tile) {
        const uint32_t k_tile = stages.keys(tile);
#pragma unroll
        for (int i = 0; i < 64; i++) sc[i] = 0.f;
        fence_registers(sc);
        fence_registers(o);
        fence_registers(p_even);
        fence_registers(p_odd);
        wgmma_fence();
#pragma unroll
        for (int kk = 0; kk < D / 16; kk++) {  // +32 bytes per 16 dims inside a 64-dim block
            const uint64_t a = swizzled_descriptor(q_rows + (kk / 4) * Q_BLOCK_BYTES) + 2 * (kk % 4);
            const uint64_t b = swizzled_descriptor(k_tile + (kk / 4) * KV_BLOCK_BYTES) + 2 * (kk % 4);
            wgmma_step<false, 128>(sc, a, b);
        }
        wgmma_commit();
    };
    auto softmax = [&](int tile, uint32_t (&p_next)[KEY_TILES / 2][4], float (&rescale)[2]) {
        fence_registers(sc);
        state.softmax(scores, keys.lo + (long long)tile * BLOCK_N, exp2_scale, lane, rescale, p_next);
    };
    // PING_PONG (FlashAttention-3's inter-warpgroup overlap): every tile is a turn of each warpgroup, in the order
    // 0, 1, 0, 1, ...; a warpgroup issues its tile's wgmmas inside its turn, so that the tensor cores take them in that
    // order and one warpgroup's softmax runs under the other's products. A turn waits for the other warpgroup's last
    // one to end (the named barrier TURN + c), and ends by letting the other's next begin (TURN + 1 - c). Both
    // warpgroups take a turn in every tile, computing or not, so neither waits for a turn that never comes.
    auto turn_begin = [&] {
        if constexpr (PING_PONG) named_barrier_sync(TURN + c, CONSUMERS);
    };
    // The end of tile `tile`'s turn, and after it the copies of all but SHARED_COPIES.
    auto turn_end = [&](int tile) {
        if constexpr (PING_PONG) named_barrier_arrive(TURN + 1 - c, CONSUMERS);
        if constexpr (!EARLY_COPIES) copies(tile);
    };
    // Software pipeline (FlashAttention-3's intra-warpgroup overlap): tile t's S = Q·Kᵀ and tile t - 1's P·V are issued
    // together; the softmax of S(t) runs while P·V(t - 1) is on the tensor cores, then o is rescaled for S(t). The sums
    // are those of the plain order (each product adds into o after the rescale its tile's softmax asked for), only
    // issued earlier. ptxas serializes the wgmmas of a pipeline stage in which other instructions write accumulators
    // (its warning C7515), so the softmax only reads S and writes P into the other of two buffers, and the steady
    // state has no branch between the issues and the waits: its first and last tiles are peeled off.
    auto pipelined = [&](int tile, uint32_t (&p_previous)[KEY_TILES / 2][4], uint32_t (&p_next)[KEY_TILES / 2][4]) {
        begin_tile(tile);
        turn_begin();
        issue_scores(tile);
        values_ready(tile - 1);
        add_values(tile - 1, p_previous);
        turn_end(tile);
        wgmma_wait<1>();  // groups complete in order: S(t) is done, P·V(t - 1) may still run
        keys_done(tile);
        float rescale[2];
        softmax(tile, p_next, rescale);
        wgmma_wait<0>();
        values_done(tile - 1);
        fence_registers(o);
        state.rescale_output(rescale);
    };
    // A tile this warpgroup does not compute: its barriers, copies and turn only.
    auto pass_tile = [&](int tile) {
        begin_tile(tile);
        turn_begin();
        turn_end(tile);
        values_ready(tile - 1);
        keys_done(tile);
        values_done(tile - 1);
    };
    // The last P·V alone (no S beside it), waited for: in the turn of the tile after the last if there is one (whose
    // K is only passed), else after the loop.
    auto finish_values = [&](int& tile, uint32_t (&p_frag)[KEY_TILES / 2][4]) {
        const bool more = tile < keys.tiles;
        if (more) {
            begin_tile(tile);
            turn_begin();
        }
        values_ready(last_tile);
        fence_registers(o);
        fence_registers(p_frag);
        wgmma_fence();
        add_values(last_tile, p_frag);
        if (more) {
            turn_end(tile);
            keys_done(tile++);
        }
        wgmma_wait<0>();
        values_done(last_tile);
        fence_registers(o);
    };
    if constexpr (PING_PONG) {
        if (c == 1) named_barrier_arrive(TURN, CONSUMERS);  // warpgroup 0 takes the first turn
    }
    int tile = 0;
    for (; tile < first_tile; tile++) pass_tile(tile);  // before the warpgroup's range (a window's): nothing to compute
    if (active) {
        begin_tile(tile);
        turn_begin();
        issue_scores(tile);
        turn_end(tile);
        wgmma_wait<0>();
        keys_done(tile);
        values_ready(tile - 1);  // V(first - 1), if any, is not this warpgroup's: waited for and released
        values_done(tile - 1);
        float rescale[2];
        softmax(tile, p_even, rescale);
        state.rescale_output(rescale);
        // Two tiles an iteration, so that the two P buffers swap roles by name (registers cannot be indexed at run time).
        for (tile++; tile + 1 <= last_tile; tile += 2) {
            pipelined(tile, p_even, p_odd);
            pipelined(tile + 1, p_odd, p_even);
        }
        const bool odd = tile <= last_tile;  // one tile left: P(last) ends in p_odd
        if (odd) pipelined(tile++, p_even, p_odd);
        if (odd) finish_values(tile, p_odd);
        else finish_values(tile, p_even);
    }
    for (; tile < keys.tiles; tile++) pass_tile(tile);  // past the warpgroup's range
    if constexpr (PING_PONG) {
        if (c == 0) named_barrier_sync(TURN, CONSUMERS);  // warpgroup 1's last turn_end: every arrival is waited for
    }
    asm volatile("cp.async.wait_all;" ::: "memory");  // nothing in flight: every copy was waited for through `full`
    state.store(p, row_pair, group, kv_head, lane);
}

// The CTA of KV head blockIdx.y whose rows are the BLOCK_M pairs from tile_first_pair() (a callable, called where the
// one-sequence kernel computed it before the batch entry existed, so that its code stayed the same instruction for
// instruction).
template <Schedule S, typename FirstPair>
__device__ __forceinline__ void attend(const PrefillParams& p, FirstPair tile_first_pair) {
    constexpr bool PRODUCED = has_producer(S);
    constexpr int COPIERS = PRODUCED ? 32 : CONSUMERS;
    extern __shared__ __align__(1024) uint8_t shared[];
    const uint32_t base = uint32_t(__cvta_generic_to_shared(shared));
    const uint32_t q_tile = (base + 1023) & ~1023u;  // the swizzle needs 1024-byte-aligned tiles
    Stages stages;
    stages.base = q_tile + Q_BYTES;
    stages.full = stages.base + STAGES * STAGE_BYTES;
    stages.empty = stages.full + 2 * 8 * STAGES;
    if (threadIdx.x == 0) {
        for (int b = 0; b < 2 * STAGES; b++) {
            barrier_init(stages.full + 8 * b, COPIERS);
            barrier_init(stages.empty + 8 * b, CONSUMERS);
        }
        asm volatile("fence.mbarrier_init.release.cluster;" ::: "memory");
    }
    __syncthreads();

    const int first_pair = tile_first_pair();
    // The warpgroup index through a shuffle, so that ptxas knows it uniform across the warp: wgmmas under branches on a
    // plain threadIdx-derived value are taken for divergent, and ptxas then serializes every wgmma (its warning C7520).
    const int warpgroup = __shfl_sync(0xffffffffu, int(threadIdx.x / 128), 0);
    if constexpr (PRODUCED) {
        if (warpgroup == 2) {  // the producer: its first warp copies K and V of every tile in order, the others leave
            asm volatile("setmaxnreg.dec.sync.aligned.u32 %0;" ::"n"(PRODUCER_REGISTERS));
            if (threadIdx.x / 32 != 8) return;
            const KeyRange keys = key_range(p, first_pair);
            for (int tile = 0; tile < keys.tiles; tile++) {
                load_part<false, 32, Timeout::BREAKPOINT>(p, keys, blockIdx.y, tile, stages, threadIdx.x % 32);
                load_part<true, 32, Timeout::BREAKPOINT>(p, keys, blockIdx.y, tile, stages, threadIdx.x % 32);
            }
            asm volatile("cp.async.wait_all;" ::: "memory");
            return;
        }
        asm volatile("setmaxnreg.inc.sync.aligned.u32 %0;" ::"n"(CONSUMER_REGISTERS));
    }
    attend_rows<S>(p, key_range(p, first_pair), blockIdx.y, first_pair, warpgroup, q_tile, stages);
}
}  // namespace prefill_wgmma

// One entry pair per schedule: a sequence's prefill (the row tiles backwards, the longest first), and the batch twin
// (PrefillBatchParams, attention_prefill_rows.cuh: CTA x computes work item x's sequence and row tile).
#define PREFILL_WGMMA_KERNELS(name, S)                                                                                            \
    extern "C" __global__ void __launch_bounds__(prefill_wgmma::threads<S>(), 1) name(const __grid_constant__ PrefillParams p) { \
        prefill_wgmma::attend<S>(p, [] { return int((gridDim.x - 1 - blockIdx.x) * prefill_wgmma::BLOCK_M); });                  \
    }                                                                                                                             \
    extern "C" __global__ void __launch_bounds__(prefill_wgmma::threads<S>(), 1)                                                  \
        name##_batch(const __grid_constant__ PrefillBatchParams b) {                                                              \
        const int2 item = b.work[blockIdx.x];                                                                                     \
        prefill_wgmma::attend<S>(prefill::sequence_params<prefill_wgmma::D>(b, item.x), [&] { return item.y * prefill_wgmma::BLOCK_M; }); \
    }
PREFILL_WGMMA_KERNELS(attend_prefill_wgmma_d128, prefill_wgmma::Schedule::SHARED_COPIES)
PREFILL_WGMMA_KERNELS(attend_prefill_wgmma_lc_d128, prefill_wgmma::Schedule::LATE_COPIES)
PREFILL_WGMMA_KERNELS(attend_prefill_wgmma_ka_d128, prefill_wgmma::Schedule::KEYS_AHEAD)
PREFILL_WGMMA_KERNELS(attend_prefill_wgmma_pp_d128, prefill_wgmma::Schedule::PING_PONG)
PREFILL_WGMMA_KERNELS(attend_prefill_wgmma_ws_d128, prefill_wgmma::Schedule::PRODUCER)
PREFILL_WGMMA_KERNELS(attend_prefill_wgmma_wp_d128, prefill_wgmma::Schedule::PRODUCER_PING_PONG)
