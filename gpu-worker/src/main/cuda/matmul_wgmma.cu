// Projections on Hopper's warpgroup tensor cores (sm_90a only: build-kernels.sh compiles this file for
// compute_90a/sm_90a alone, and io.vecinfer.cuda.ops.Matmul loads it only on compute capability 9.0).
// y = x · Wᵀ (+ bias), x already in W's 16-bit type (matmul_tc.cu's to_bf16 / to_f16 convert it), fp32 sums,
// fp32 outputs split into ProjectionParams' segments (projection.cuh), written or, with accumulate, added to y
// after the whole sum: the contract of matmul_tc.cu's gemm.
//
// Launch: wgmma_gemm_<type> (BN = 256), wgmma_gemm_<type>_n192 (BN = 192) or wgmma_gemm_<type>_n128 (BN = 128), and
// the same with TMA loads, wgmma_tma_gemm_<type>[_n192|_n128], grid (ctas, splits), 384 threads (three warpgroups),
// TileShape<BN>::SHARED_BYTES of dynamic shared memory, one CTA per multiprocessor. Parameters: (ProjectionParams p,
// [TMA: CUtensorMap x_map ([rows][in] of x's 16-bit type, box BM × BK), CUtensorMap w_map ([out][in], box BN × BK)],
// float* partials, int k_tiles_per_split). ctas: every output tile, ceil(rows / BM) · ceil(out / BN), one CTA each; or
// fewer (a persistent grid, e.g. one CTA per multiprocessor), CTA b then taking tiles b, b + ctas, ... in turn, its
// producer filling the stages for its next tile while its consumers store the last one. The narrower tiles are for
// products whose wide tiles would leave multiprocessors idle (Matmul chooses).
// Split k (splits = gridDim.y > 1, for products whose tiles still leave most multiprocessors idle: a few hundred rows of
// the 8B's o and down): CTA (tile, y) takes k tiles [y · k_tiles_per_split, +k_tiles_per_split) and writes its fp32
// sums (no bias, never accumulated) to partials[y][rows][out]; matmul_tc.cu's skinny_reduce then adds the splits in
// split order and the bias once, and stores that into the segments (with accumulate: added to y). No atomics, so the
// sums' order is fixed by the shape (a launch repeats bit for bit).
// Needs in % BK == 0 (no partial k tile), every segment end % 8 == 0 and 8-byte-aligned outputs (float2 stores
// of column pairs); rows and out are free (rows and columns past the ends load zeros and are not stored).
// SwiGLU: wgmma_gemm_<type>[_n128]_swiglu and wgmma_tma_gemm_<type>[_n128]_swiglu, the same launch with one k split
// (gridDim.y == 1: they trap otherwise), take a gate|up weight interleaved in blocks of 8 rows (projection.cuh) and,
// in place of the fp32 segments, store h = SiLU(gate) · up of each hidden unit in W's 16-bit type to p.swiglu
// ([rows][out / 2], 4-byte aligned): 1/4 of the bytes the fp32 gate and up would take, and no element-wise pass
// after. Needs out % 16 == 0 (whole blocks). The bias is not read (gate and up have none).
//
// A CTA computes a BM × BN tile of outputs (128 × 256, 128 × 192 or 128 × 128), k in steps of BK = 64 through STAGES
// shared-memory stages (4 of 48 KB, 5 of 40 KB or 6 of 32 KB). Warp specialization:
//   warpgroup 0, the producer, in one of two ways (the kernel's name says which):
//     wgmma_gemm_*: its 128 threads copy a stage's x tile (BM rows) and W tile (BN rows) with 16-byte cp.async
//       into the layout wgmma reads, then cp.async.mbarrier.arrive.noinc on the stage's `full` barrier (count 128:
//       it completes when every thread's copies have landed);
//     wgmma_tma_gemm_*: one thread issues two TMA copies a stage (cp.async.bulk.tensor: a BM × 64 box of x and a
//       BN × 64 box of W, described by the x_map and w_map parameters, which io.vecinfer.cuda.TensorMaps encodes on
//       the host with 128-byte swizzle, the layout below), after arming the stage's `full` barrier (count 1) with
//       the stage's byte count; the copies complete it. Rows past the tensors' ends arrive as zeros (the maps'
//       bounds), as the cp.async path's zero-filled copies. The other 127 threads leave at once: no address
//       arithmetic or copy issue competes with the consumers.
//   warpgroups 1 and 2, the consumers: each owns 64 of the tile's rows and all BN columns (BN / 2 fp32
//     accumulators per thread). Per stage: wait on `full`, four wgmma.mma_async m64nBNk16 (A and B from
//     shared memory through descriptors), then wait for the previous stage's wgmmas and arrive on its `empty`
//     barrier (count 256), which the producer waits on before refilling that stage.
// Registers (both widths): 168 per thread at entry (__launch_bounds__(384, 1)); setmaxnreg gives the producer 56 and the
// consumers 224 (128·56 + 256·224 = 384·168, so the consumers' increase never waits). ptxas (nvcc 13) allocates the
// whole kernel at the entry's 168: no spills, but for the cp.async wide SwiGLU kernels (32 bytes, their epilogue's expf
// beside the cp.async addresses; the TMA kernels, the default, have none).
// Shared layout (128-byte swizzle, K-major, what the descriptors say): a tile row is BK = 64 halves = 128 bytes;
// 16-byte chunk j of row r sits at r·128 + ((j ^ (r % 8)) · 16), so 8 rows form a 1024-byte atom (the
// descriptor's stride) and every tile starts 1024-byte aligned (the swizzle is on address bits). The k steps of
// 16 halves inside the 128-byte row advance the descriptor's start address by 32 bytes.
// Every wgmma, barrier wait and arrive is executed by every thread of its warpgroup on every k tile: rows past
// the end are zeros, never skipped work. A barrier wait that lasts WAIT_TIMEOUT_NS traps (the launch fails with
// an error) instead of hanging the device: it can only mean a protocol bug.
// Tiles are ordered in groups of GROUP_M row tiles, row tile fastest, so that the CTAs running at once share
// W tiles and x tiles in L2 instead of each streaming its own.
#include "numeric.cuh"
#include "projection.cuh"
#include "wgmma.cuh"
#include <cstdint>
#include <type_traits>

constexpr int BM = 128, BK = 64, GROUP_M = 16;
constexpr int THREADS = 384;
constexpr int ROW_BYTES = BK * 2;     // 128: one swizzle row
constexpr int A_BYTES = BM * ROW_BYTES;  // 16 KB

// What the tile width BN sets: as many stages as fit beside each other in shared memory.
template <int BN_>
struct TileShape {
    static constexpr int BN = BN_, B_BYTES = BN * ROW_BYTES, STAGE_BYTES = A_BYTES + B_BYTES;
    static constexpr int STAGES = BN == 256 ? 4 : BN == 192 ? 5 : 6;
    static constexpr int SHARED_BYTES = STAGES * STAGE_BYTES + 1024 /* alignment slack */ + 2 * STAGES * 8 /* barriers */;
    static_assert(BN == 128 || BN == 192 || BN == 256, "wgmma shapes instantiated: n128, n192, n256");
    static_assert(SHARED_BYTES <= 227 * 1024, "more than a multiprocessor's shared memory");
};

// ---- copies into the swizzled layout ----

__device__ __forceinline__ void copy_16(uint32_t target, const void* source, bool valid) {
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;" ::"r"(target), "l"(source), "r"(valid ? 16 : 0) : "memory");
}

// ---- the kernel ----

struct Tile {
    int m0, n0;
};

// Tile `id` in groups of GROUP_M row tiles: inside a group the row tile changes fastest.
template <int BN>
__device__ __forceinline__ Tile tile_of(int id, int m_tiles, int n_tiles) {
    const int per_group = GROUP_M * n_tiles, group = id / per_group, first_m = group * GROUP_M;
    const int group_rows = min(m_tiles - first_m, GROUP_M), within = id % per_group;
    return {(first_m + within % group_rows) * BM, (within / group_rows) * BN};
}

// Warpgroup 0: fills the stages. Thread t copies chunk t % 8 of rows t / 8 + 16 i; the row's swizzle (r % 8) is
// then the same for all its rows, and each warp reads 4 whole 128-byte row segments per copy.
// Its k tiles are [kt0, kt1); i counts the CTA's k tiles from `first` (those of its earlier output tiles), which
// sets the stage and the barriers' parity.
template <typename Shape>
__device__ __forceinline__ void produce(const ProjectionParams& p, Tile tile, int kt0, int kt1, int first, uint32_t stages, uint32_t full,
                                        uint32_t empty) {
    constexpr int BN = Shape::BN, STAGES = Shape::STAGES, STAGE_BYTES = Shape::STAGE_BYTES;
    const int t = threadIdx.x, row = t / 8, j = t % 8;
    const uint32_t chunk_offset = row * ROW_BYTES + ((j ^ (row % 8)) << 4);
    const uint16_t* x = static_cast<const uint16_t*>(p.x) + size_t(tile.m0 + row) * p.in + j * 8;
    const uint16_t* w = static_cast<const uint16_t*>(p.w) + size_t(tile.n0 + row) * p.in + j * 8;
    const size_t step = size_t(16) * p.in;  // 16 rows
    for (int i = first, kt = kt0; kt < kt1; i++, kt++) {
        const int s = i % STAGES;
        barrier_wait(empty + 8 * s, ((i / STAGES) & 1) ^ 1);
        const uint32_t a_stage = stages + s * STAGE_BYTES + chunk_offset, b_stage = a_stage + A_BYTES;
        const int k = kt * BK;
#pragma unroll
        for (int q = 0; q < BM / 16; q++) {
            const bool valid = tile.m0 + row + 16 * q < p.rows;
            copy_16(a_stage + q * 16 * ROW_BYTES, valid ? x + q * step + k : static_cast<const uint16_t*>(p.x), valid);
        }
#pragma unroll
        for (int q = 0; q < BN / 16; q++) {
            const bool valid = tile.n0 + row + 16 * q < p.out;
            copy_16(b_stage + q * 16 * ROW_BYTES, valid ? w + q * step + k : static_cast<const uint16_t*>(p.w), valid);
        }
        barrier_arrive_after_copies(full + 8 * s);
    }
}

// The TMA producer, one thread: per k tile, wait for the stage to be free, arm `full` with the stage's bytes, copy
// both boxes. The k tiles, stages and parities as in produce.
template <typename Shape>
__device__ __forceinline__ void produce_tma(const CUtensorMap* x_map, const CUtensorMap* w_map, Tile tile, int kt0, int kt1, int first,
                                            uint32_t stages, uint32_t full, uint32_t empty) {
    constexpr int STAGES = Shape::STAGES, STAGE_BYTES = Shape::STAGE_BYTES;
    for (int i = first, kt = kt0; kt < kt1; i++, kt++) {
        const int s = i % STAGES;
        barrier_wait(empty + 8 * s, ((i / STAGES) & 1) ^ 1);
        const uint32_t a_stage = stages + s * STAGE_BYTES, b_stage = a_stage + A_BYTES;
        barrier_arrive_expecting(full + 8 * s, STAGE_BYTES);
        tma_load_2d(a_stage, x_map, kt * BK, tile.m0, full + 8 * s);
        tma_load_2d(b_stage, w_map, kt * BK, tile.n0, full + 8 * s);
    }
}

// A consumer's accumulators d (layout in consume) plus the bias into the segments (one split: projection_store_pair,
// which honours accumulate), or its split's partial sums (no bias).
template <int BN>
__device__ __forceinline__ void store_sums(const ProjectionParams& p, const float (&d)[BN / 2], Tile tile, int row, int lane, float* partials) {
#pragma unroll
    for (int n = 0; n < BN / 8; n++) {
        const int o = tile.n0 + 8 * n + 2 * (lane % 4);
        if (o >= p.out) continue;  // out % 8 == 0: the pair is inside or past the end
        const bool split = gridDim.y > 1;
        const float b0 = p.bias != nullptr && !split ? p.bias[o] : 0.f, b1 = p.bias != nullptr && !split ? p.bias[o + 1] : 0.f;
#pragma unroll
        for (int half = 0; half < 2; half++) {
            const int r = row + 8 * half;
            if (r >= p.rows) continue;
            const float2 v = make_float2(d[4 * n + 2 * half] + b0, d[4 * n + 2 * half + 1] + b1);
            // Segment ends and out % 8 == 0: both columns of the pair lie in one segment (or partial row), 8-byte aligned.
            if (split) *reinterpret_cast<float2*>(partials + (size_t(blockIdx.y) * p.rows + r) * p.out + o) = v;
            else projection_store_pair(p, r, o, v);
        }
    }
}

// The SwiGLU store (projection.cuh) of a consumer's accumulators d (layout in consume). The interleave puts the gate of
// 8 hidden units in column group 2m of the tile and their up in group 2m + 1, so d[8m + e] and d[8m + 4 + e] are the
// gate and up of the same unit at the same row: each thread has both halves of its pairs of units in its own registers.
// silu_mul_value and narrow are the functions elementwise.cu's silu_mul_interleaved and matmul_tc.cu's to_bf16 /
// to_f16 apply, so h is bit for bit that composition of the same product.
template <bool BF16, int BN>
__device__ __forceinline__ void store_swiglu(const ProjectionParams& p, const float (&d)[BN / 2], Tile tile, int row, int lane) {
    using Out = std::conditional_t<BF16, ::BF16, ::F16>;
    const int hidden = p.out / 2;
#pragma unroll
    for (int m = 0; m < BN / 16; m++) {
        if (tile.n0 + 16 * m >= p.out) continue;  // out % 16 == 0: a gate group and its up group are inside or past the end together
        const int u = tile.n0 / 2 + 8 * m + 2 * (lane % 4);  // the pair's first unit (tile.n0 % 16 == 0)
#pragma unroll
        for (int half = 0; half < 2; half++) {
            const int r = row + 8 * half;
            if (r >= p.rows) continue;
            const int e = 2 * half;
            // + 0.f: the value an fp32 store holds (store_sums adds the absent bias as 0, which turns a -0 sum into +0).
            const float g0 = d[8 * m + e] + 0.f, g1 = d[8 * m + e + 1] + 0.f, u0 = d[8 * m + 4 + e] + 0.f, u1 = d[8 * m + 4 + e + 1] + 0.f;
            const float h0 = silu_mul_value(g0, u0), h1 = silu_mul_value(g1, u1);
            // hidden and u even: the pair is one 4-byte store.
            *reinterpret_cast<uint32_t*>(p.swiglu + size_t(r) * hidden + u) = uint32_t(Out::narrow(h0)) | (uint32_t(Out::narrow(h1)) << 16);
        }
    }
}

// Warpgroups 1 and 2: consumer c multiplies rows 64c..64c+63 of the tile over k tiles [kt0, kt1), then stores them
// (store_sums, or with SWIGLU store_swiglu). `first` as in produce. The tile's last stage goes back to the producer once
// its wgmmas are done, before the stores: in a persistent grid the producer is then already filling the stages of the
// CTA's next tile.
template <bool BF16, bool TMA, typename Shape, bool SWIGLU>
__device__ __forceinline__ void consume(const ProjectionParams& p, Tile tile, int c, int kt0, int kt1, int first, float* partials,
                                        uint32_t stages, uint32_t full, uint32_t empty) {
    constexpr int BN = Shape::BN, STAGES = Shape::STAGES, STAGE_BYTES = Shape::STAGE_BYTES;
    float d[BN / 2];
#pragma unroll
    for (int i = 0; i < BN / 2; i++) d[i] = 0.f;
    for (int i = first; i < first + kt1 - kt0; i++) {
        const int s = i % STAGES;
        barrier_wait(full + 8 * s, (i / STAGES) & 1);
        // cp.async writes the stage through the generic proxy, wgmma reads it through the async proxy (TMA writes
        // through the async proxy already).
        if constexpr (!TMA) asm volatile("fence.proxy.async.shared::cta;" ::: "memory");
        const uint32_t a_tile = stages + s * STAGE_BYTES + c * 64 * ROW_BYTES, b_tile = stages + s * STAGE_BYTES + A_BYTES;
        const uint64_t a = swizzled_descriptor(a_tile), b = swizzled_descriptor(b_tile);
        asm volatile("wgmma.fence.sync.aligned;" ::: "memory");
#pragma unroll
        for (int kk = 0; kk < BK / 16; kk++) wgmma_step<BF16, BN>(d, a + 2 * kk, b + 2 * kk);  // +32 bytes per 16 k
        asm volatile("wgmma.commit_group.sync.aligned;" ::: "memory");
        // One group stays in flight (consecutive wgmmas into the same accumulators are ordered by the hardware):
        // once only this tile's is pending, the previous tile's stage has been read and goes back to the producer.
        asm volatile("wgmma.wait_group.sync.aligned 1;" ::: "memory");
        if (i > first) barrier_arrive(empty + 8 * ((i - 1) % STAGES));
    }
    asm volatile("wgmma.wait_group.sync.aligned 0;" ::: "memory");
    barrier_arrive(empty + 8 * ((first + kt1 - kt0 - 1) % STAGES));

    // d[4n + e]: row 16·warp + lane / 4 + 8·(e / 2), columns 8n + 2·(lane % 4) + {0, 1} (e even: the pair's first).
    const int warp = (threadIdx.x / 32) % 4, lane = threadIdx.x % 32;
    const int row = tile.m0 + c * 64 + warp * 16 + lane / 4;
    if constexpr (SWIGLU) store_swiglu<BF16, BN>(p, d, tile, row, lane);
    else store_sums<BN>(p, d, tile, row, lane, partials);
}

template <bool BF16, bool TMA, int BN, bool SWIGLU>
__device__ void wgmma_gemm(const ProjectionParams& p, const CUtensorMap* x_map, const CUtensorMap* w_map, float* partials,
                           int k_tiles_per_split) {
    using Shape = TileShape<BN>;
    constexpr int STAGES = Shape::STAGES;
    if constexpr (SWIGLU) {
        if (gridDim.y != 1) asm volatile("trap;");  // h needs the whole sum: the host never splits k here
    }
    extern __shared__ __align__(1024) uint8_t shared[];
    const uint32_t base = uint32_t(__cvta_generic_to_shared(shared));
    const uint32_t stages = (base + 1023) & ~1023u;  // the swizzle needs 1024-byte-aligned tiles
    const uint32_t full = stages + STAGES * Shape::STAGE_BYTES, empty = full + 8 * STAGES;
    if (threadIdx.x == 0) {
        for (int s = 0; s < STAGES; s++) {
            barrier_init(full + 8 * s, TMA ? 1 : 128);
            barrier_init(empty + 8 * s, 256);
        }
        asm volatile("fence.mbarrier_init.release.cluster;" ::: "memory");
    }
    __syncthreads();

    const int m_tiles = (p.rows + BM - 1) / BM, n_tiles = (p.out + BN - 1) / BN, tiles = m_tiles * n_tiles;
    const int kt0 = blockIdx.y * k_tiles_per_split, kt1 = min(p.in / BK, kt0 + k_tiles_per_split); // the host leaves no split empty
    const int warpgroup = threadIdx.x / 128;
    // A CTA takes output tiles blockIdx.x, + gridDim.x, ...: one with a grid of every tile, several in a persistent grid.
    // setmaxnreg moves registers from the producer, which needs few, to the consumers' BN / 2 accumulators.
    if (warpgroup == 0) {
        asm volatile("setmaxnreg.dec.sync.aligned.u32 56;");
        if (TMA && threadIdx.x != 0) return;
        if constexpr (TMA) {
            asm volatile("prefetch.tensormap [%0];" ::"l"(reinterpret_cast<uint64_t>(x_map)) : "memory");
            asm volatile("prefetch.tensormap [%0];" ::"l"(reinterpret_cast<uint64_t>(w_map)) : "memory");
        }
        for (int id = blockIdx.x, first = 0; id < tiles; id += gridDim.x, first += kt1 - kt0) {
            const Tile tile = tile_of<BN>(id, m_tiles, n_tiles);
            if constexpr (TMA) produce_tma<Shape>(x_map, w_map, tile, kt0, kt1, first, stages, full, empty);
            else produce<Shape>(p, tile, kt0, kt1, first, stages, full, empty);
        }
        if constexpr (!TMA) asm volatile("cp.async.wait_all;" ::: "memory");  // no thread leaves with copies in flight
    } else {
        asm volatile("setmaxnreg.inc.sync.aligned.u32 224;");
        for (int id = blockIdx.x, first = 0; id < tiles; id += gridDim.x, first += kt1 - kt0) {
            consume<BF16, TMA, Shape, SWIGLU>(p, tile_of<BN>(id, m_tiles, n_tiles), warpgroup - 1, kt0, kt1, first, partials, stages, full, empty);
        }
    }
}

#define WGMMA_KERNEL(name, BF16, BN, SWIGLU) \
    extern "C" __global__ void __launch_bounds__(THREADS, 1) name(const __grid_constant__ ProjectionParams p, float* partials, \
                                                                  int k_tiles_per_split) {                                       \
        wgmma_gemm<BF16, false, BN, SWIGLU>(p, nullptr, nullptr, partials, k_tiles_per_split);                                   \
    }
WGMMA_KERNEL(wgmma_gemm_bf16, true, 256, false)
WGMMA_KERNEL(wgmma_gemm_f16, false, 256, false)
WGMMA_KERNEL(wgmma_gemm_bf16_n128, true, 128, false)
WGMMA_KERNEL(wgmma_gemm_f16_n128, false, 128, false)
WGMMA_KERNEL(wgmma_gemm_bf16_swiglu, true, 256, true)
WGMMA_KERNEL(wgmma_gemm_f16_swiglu, false, 256, true)
WGMMA_KERNEL(wgmma_gemm_bf16_n128_swiglu, true, 128, true)
WGMMA_KERNEL(wgmma_gemm_f16_n128_swiglu, false, 128, true)
WGMMA_KERNEL(wgmma_gemm_bf16_n192, true, 192, false)
WGMMA_KERNEL(wgmma_gemm_f16_n192, false, 192, false)
WGMMA_KERNEL(wgmma_gemm_bf16_n192_swiglu, true, 192, true)
WGMMA_KERNEL(wgmma_gemm_f16_n192_swiglu, false, 192, true)

#define WGMMA_TMA_KERNEL(name, BF16, BN, SWIGLU)                                                                                      \
    extern "C" __global__ void __launch_bounds__(THREADS, 1)                                                                          \
        name(const __grid_constant__ ProjectionParams p, const __grid_constant__ CUtensorMap x_map,                                  \
             const __grid_constant__ CUtensorMap w_map, float* partials, int k_tiles_per_split) {                                   \
        wgmma_gemm<BF16, true, BN, SWIGLU>(p, &x_map, &w_map, partials, k_tiles_per_split);                                          \
    }
WGMMA_TMA_KERNEL(wgmma_tma_gemm_bf16, true, 256, false)
WGMMA_TMA_KERNEL(wgmma_tma_gemm_f16, false, 256, false)
WGMMA_TMA_KERNEL(wgmma_tma_gemm_bf16_n128, true, 128, false)
WGMMA_TMA_KERNEL(wgmma_tma_gemm_f16_n128, false, 128, false)
WGMMA_TMA_KERNEL(wgmma_tma_gemm_bf16_swiglu, true, 256, true)
WGMMA_TMA_KERNEL(wgmma_tma_gemm_f16_swiglu, false, 256, true)
WGMMA_TMA_KERNEL(wgmma_tma_gemm_bf16_n128_swiglu, true, 128, true)
WGMMA_TMA_KERNEL(wgmma_tma_gemm_f16_n128_swiglu, false, 128, true)
WGMMA_TMA_KERNEL(wgmma_tma_gemm_bf16_n192, true, 192, false)
WGMMA_TMA_KERNEL(wgmma_tma_gemm_f16_n192, false, 192, false)
WGMMA_TMA_KERNEL(wgmma_tma_gemm_bf16_n192_swiglu, true, 192, true)
WGMMA_TMA_KERNEL(wgmma_tma_gemm_f16_n192_swiglu, false, 192, true)
