// Projections on tensor cores: y = x · Wᵀ (+ bias) with x rounded to W's 16-bit type (bf16 or fp16) and fp32
// accumulation. A product of two 16-bit values is exact in fp32, so the only differences from the exact path
// (matmul.cu) are that rounding of x and the order of the fp32 sums. Parameters: ProjectionParams
// (projection.cuh), output segments and accumulate (y = y + product, one add after the whole sum) included: every
// final store below goes through projection_store. Two kernels, chosen by the row count
// (io.vecinfer.cuda.ops.Matmul decides, and explains why):
//
// skinny_<type>_b<B> (at most 8·B rows: decode and small batches), bound by reading W once.
//   The product is computed transposed, yᵀ = W · xᵀ ("swap AB"): W's rows fill the 16-row A side of
//   mma.m16n8k16 and the few activation rows its 8-column B side, B tiles of 8 rows each.
//   grid (ceil(out / 32), splits), SKINNY_WARPS = 8 warps, skinny_shared_bytes(B) of dynamic shared memory.
//   A CTA owns SKINNY_TILES = 2 tiles of 16 weight rows (32 rows) and the k chunks (CHUNK = 32 k) of its split,
//   [blockIdx.y · chunks_per_split, + chunks_per_split). They pass through a ring of skinny_stages(B) stages of
//   8 chunks (256 k), filled by cp.async:
//   - the weights: 32 rows × 512 bytes, warp w copying rows 4w..4w+3, every copy instruction 512 contiguous bytes of
//     one row. This is what reads W at the memory's rate: loads shaped like the MMA fragment (64 bytes of each of 16
//     rows per instruction) streamed 10-15% slower, with more bytes in flight or fewer (skinny-staged-notes.md);
//   - the activations' 8·B rows × 256 k, fp32, so that the multiply reads no global memory.
//   Warp w multiplies chunk w of each stage: lane (g = lane / 4, c = lane % 4) reads 16 bytes of weight rows g and
//   g + 8 of each tile at k = 8c..8c+7, and the same 8 k of activation row g of each B tile (rounded to the 16-bit
//   type in registers), which then feeds both weight tiles. An MMA sums its 16 k in any order, so those 32 loaded k
//   feed two MMAs per tile, the fragment layout's logical k mapped to loaded k by the same rule on both sides (see
//   skinny_chunk). Shared memory is swizzled so that both the copies and these reads are conflict-free. One barrier
//   per stage; the warps' partial sums meet in shared memory at the end.
//   With one split the CTA adds the bias and stores the output segments itself; with more, it writes its fp32 sums
//   (no bias, never accumulated) to partials[split][rows][out] and skinny_reduce adds the splits in split order, then
//   the bias once, and stores the segments (with accumulate: that sum added to y, after it is complete). No atomics:
//   the sums' order is fixed by the shape, so a replayed step is bit-identical to an eager one. Splits are for products with too few 32-row blocks to fill the device (Matmul.skinnyChunksPerSplit).
//
// skinny_reduce: grid (ceil(rows · out / 256)), 256 threads; one thread per output, splits summed in order. It also
//   finishes matmul_wgmma.cu's split-K products, whose partials have the same layout.
//
// gemm_<type> (more rows: prefill), bound by the MMA rate.
//   x must already hold the 16-bit type (to_<type> below converts the fp32 activations).
//   grid (ceil(out / BN), ceil(rows / BM)), GEMM_THREADS threads, gemm_shared_bytes() of dynamic shared memory.
//   A CTA computes a BM × BN tile of outputs, k in steps of BK through a STAGES-deep cp.async pipeline: stage s
//   holds BM rows of x then BN rows of W, each BK halves (64 bytes, four 16-byte chunks, chunk j stored at
//   j ^ ((row / 2) % 4) so that the 8 rows one ldmatrix phase reads fall in 8 distinct bank groups).
//   8 warps as 2 (rows) × 4 (columns), each owning 64 × 32 outputs: 4 × 4 MMA tiles, fragments by ldmatrix.x4.
//   Rows and columns past the ends load zeros (cp.async with source size 0) and are not stored.
//   Needs in % 8 == 0 (16-byte rows); the wrapper uses matmul.cu otherwise.
#include "numeric.cuh"
#include "projection.cuh"
#include "async_copy.cuh"
#include "mma_fragments.cuh"
#include <cuda_bf16.h>

// ---- The two 16-bit operand types: how fp32 rounds to each, and the MMA that multiplies them ----

// One m16n8k16 MMA, fp32 accumulators in and out, operands of TYPE ("bf16" or "f16").
#define MMA_16816(TYPE)                                                                                            \
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32." TYPE "." TYPE ".f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, " \
                 "{%0,%1,%2,%3};"                                                                                  \
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])                                                  \
                 : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1))

template <bool BF16>
struct Operand {
    // numeric.cuh's rounding (::, as the template parameter hides the structs' names here).
    static __device__ __forceinline__ uint16_t round(float v) {
        if constexpr (BF16) return ::BF16::narrow(v);
        else return ::F16::narrow(v);
    }
    // Two values in one register, the first in the low half: the order of elements in memory and in fragments.
    static __device__ __forceinline__ uint32_t pack(float first, float second) {
        return uint32_t(round(first)) | (uint32_t(round(second)) << 16);
    }
    static __device__ __forceinline__ void mma(float (&d)[4], uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3, uint32_t b0,
                                               uint32_t b1) {
        if constexpr (BF16) MMA_16816("bf16");
        else MMA_16816("f16");
    }
};
using Bf16Operand = Operand<true>;
using F16Operand = Operand<false>;

// ---- fp32 activations to the 16-bit type, for gemm: y[i] = round(x[i]), i < n; grid ceil(n / 1024), 256 threads ----

template <typename Op>
__device__ void to_half(const float* __restrict__ x, uint16_t* __restrict__ y, long long n) {
    const long long i = ((long long)blockIdx.x * blockDim.x + threadIdx.x) * 4;
    const bool aligned = reinterpret_cast<uintptr_t>(x) % 16 == 0 && reinterpret_cast<uintptr_t>(y) % 8 == 0;
    if (aligned && i + 3 < n) {
        const float4 v = *reinterpret_cast<const float4*>(x + i);
        *reinterpret_cast<uint2*>(y + i) = make_uint2(Op::pack(v.x, v.y), Op::pack(v.z, v.w));
    } else {
        for (long long j = i; j < min(i + 4, n); j++) y[j] = Op::round(x[j]);
    }
}

extern "C" __global__ void to_bf16(const float* x, uint16_t* y, long long n) { to_half<Bf16Operand>(x, y, n); }
extern "C" __global__ void to_f16(const float* x, uint16_t* y, long long n) { to_half<F16Operand>(x, y, n); }

// ---- skinny: few rows, W streamed once ----

constexpr int SKINNY_WARPS = 8;
constexpr int CHUNK = 32;        // k per warp per chunk: 4 lanes × 8 halves
constexpr int SKINNY_TILES = 2;  // 16-row weight tiles per CTA, all fed by each activation fragment a lane loads

// One loaded chunk into the accumulators of every B tile. w_lo / w_hi: 8 halves of weight rows g and g + 8 at
// loaded k 8c..8c+7. The MMA's fragments hold logical k {2c, 2c+1, 2c+8, 2c+9} in lane c's registers (A: reg 0
// and 2 of row g, reg 1 and 3 of row g + 8; B: reg 0 and 1), so loaded k 8c + {0,1 | 2,3} play logical
// {2c,2c+1 | 2c+8,2c+9} in the first MMA and 8c + {4,5 | 6,7} in the second: one rule for both operands.
// Every lane of the warp must run it (mma.sync is warp-wide): a lane past the row's end (inside == false) takes
// part with zeros.
// load_x(r, lo, hi) fetches activation row r's 8 fp32 values at this lane's k (from global memory or a staged copy);
// it is called only for rows and k inside the product.
template <typename Op, int B, typename LoadX>
__device__ __forceinline__ void skinny_chunk(float (&acc)[SKINNY_TILES][B][4], const uint4 (&w_lo)[SKINNY_TILES],
                                             const uint4 (&w_hi)[SKINNY_TILES], LoadX load_x, int rows, bool inside, int g) {
#pragma unroll
    for (int b = 0; b < B; b++) {
        const int r = 8 * b + g;
        uint32_t x01 = 0, x23 = 0, x45 = 0, x67 = 0;
        if (inside && r < rows) {
            float4 lo, hi;
            load_x(r, lo, hi);
            x01 = Op::pack(lo.x, lo.y);
            x23 = Op::pack(lo.z, lo.w);
            x45 = Op::pack(hi.x, hi.y);
            x67 = Op::pack(hi.z, hi.w);
        }
#pragma unroll
        for (int m = 0; m < SKINNY_TILES; m++) {  // one activation fragment, every weight tile
            Op::mma(acc[m][b], w_lo[m].x, w_hi[m].x, w_lo[m].y, w_hi[m].y, x01, x23);
            Op::mma(acc[m][b], w_lo[m].z, w_hi[m].z, w_lo[m].w, w_hi[m].w, x45, x67);
        }
    }
}

// load_x for skinny_chunk: activation row r at k, straight from global memory (through L1).
struct GlobalX {
    const float* __restrict__ x;
    int in, k;
    __device__ __forceinline__ void operator()(int r, float4& lo, float4& hi) const {
        lo = __ldg(reinterpret_cast<const float4*>(x + size_t(r) * in + k));
        hi = __ldg(reinterpret_cast<const float4*>(x + size_t(r) * in + k + 4));
    }
};

// The warps' sums meet: acc[m][b][j] is output (weight row row0 + 16m + g + 8·(j / 2), activation row 8b + 2c + j % 2),
// summed over this warp's k; `partial` ([SKINNY_WARPS][SKINNY_TILES·B·4][32] floats of shared memory) takes them all,
// then one thread per output adds the warps in order and stores the output (one split: plus the bias, through
// projection_store) or writes its split's sum to partials[split][rows][out].
template <int B>
__device__ __forceinline__ void skinny_epilogue(const float (&acc)[SKINNY_TILES][B][4], float* partial, const ProjectionParams& p,
                                                float* __restrict__ partials, int row0) {
    const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
    constexpr int SLOTS = SKINNY_TILES * B * 4;
#pragma unroll
    for (int m = 0; m < SKINNY_TILES; m++)
#pragma unroll
        for (int b = 0; b < B; b++)
#pragma unroll
            for (int j = 0; j < 4; j++) partial[(warp * SLOTS + (m * B + b) * 4 + j) * 32 + lane] = acc[m][b][j];
    __syncthreads();
    for (int e = threadIdx.x; e < SLOTS * 32; e += blockDim.x) {
        const int slot = e / 32, l = e % 32, m = slot / (B * 4), b = slot / 4 % B, j = slot % 4;
        float sum = 0.f;
#pragma unroll
        for (int v = 0; v < SKINNY_WARPS; v++) sum += partial[(v * SLOTS + slot) * 32 + l];
        const int o = row0 + 16 * m + l / 4 + 8 * (j / 2), r = 8 * b + 2 * (l % 4) + j % 2;
        if (o >= p.out || r >= p.rows) continue;
        if (gridDim.y == 1) projection_store(p, r, o, sum + (p.bias != nullptr ? p.bias[o] : 0.f));
        else partials[(size_t(blockIdx.y) * p.rows + r) * p.out + o] = sum;
    }
}

// A benchmark variant's stand-in for skinny_chunk that keeps the loaded weights live and multiplies nothing: the
// loads' own time (skinny_bench.cu times it beside the real kernel).
template <int B>
__device__ __forceinline__ void loads_only_sink(float (&acc)[SKINNY_TILES][B][4], const uint4 (&w_lo)[SKINNY_TILES],
                                                const uint4 (&w_hi)[SKINNY_TILES]) {
#pragma unroll
    for (int m = 0; m < SKINNY_TILES; m++)
        acc[m][0][0] += __uint_as_float((w_lo[m].x ^ w_lo[m].y ^ w_lo[m].z ^ w_lo[m].w ^ w_hi[m].x ^ w_hi[m].y ^ w_hi[m].z ^ w_hi[m].w) & 0x3f);
}

// The skinny kernel's body (the file comment describes it). STAGES, STAGE_X (activations copied into each stage, or
// read from global memory by the multiply) and LOADS_ONLY (no multiply: the loads' own time) are there for
// skinny_bench.cu, which times variants of them side by side; the production kernels are instantiated below.
// A stage: 32 weight rows × 32 units of 16 bytes, unit j of row r at j ^ 4(r & 1) (the 8 lanes of one 16-byte
// shared-load phase, rows g = 0, 1 × 4 units, then hit 8 distinct bank groups); with STAGE_X then 8·B activation rows ×
// 64 units (fp32), unit u of row r at u ^ (r & 1) for the same reason. After the loop the ring holds the warps' sums.
constexpr int ROWS_STAGE_K = SKINNY_WARPS * CHUNK, ROWS_STAGE_BYTES = 16 * SKINNY_TILES * ROWS_STAGE_K * 2;
__host__ __device__ constexpr int rows_stage_bytes(int b, bool stage_x) { return ROWS_STAGE_BYTES + (stage_x ? 8 * b * ROWS_STAGE_K * 4 : 0); }

// load_x for skinny_chunk from a stage's activation copy (STAGE_X), this lane's k at `unit` (its first of two units).
struct StagedX {
    uint32_t x_stage;
    int unit;
    __device__ __forceinline__ void operator()(int r, float4& lo, float4& hi) const {
        const uint32_t row = x_stage + r * ROWS_STAGE_K * 4, flip = r & 1;
        asm volatile("ld.shared.v4.f32 {%0,%1,%2,%3}, [%4];" : "=f"(lo.x), "=f"(lo.y), "=f"(lo.z), "=f"(lo.w) : "r"(row + ((unit ^ flip) << 4)));
        asm volatile("ld.shared.v4.f32 {%0,%1,%2,%3}, [%4];" : "=f"(hi.x), "=f"(hi.y), "=f"(hi.z), "=f"(hi.w) : "r"(row + (((unit + 1) ^ flip) << 4)));
    }
};

template <typename Op, int B, int STAGES, bool LOADS_ONLY = false, bool STAGE_X = false>
__device__ void skinny_rows(const ProjectionParams& p, float* __restrict__ partials, int chunks_per_split) {
    extern __shared__ __align__(16) unsigned char rows_ring[];  // [STAGES][rows_stage_bytes(B, STAGE_X)]
    const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
    const int g = lane / 4, c = lane % 4;
    const int in = p.in;
    const int row0 = blockIdx.x * 16 * SKINNY_TILES;
    const uint16_t* __restrict__ w = static_cast<const uint16_t*>(p.w);
    const float* __restrict__ x = static_cast<const float*>(p.x);
    const uint32_t ring = shared_address(rows_ring);
    const int chunks = (in + CHUNK - 1) / CHUNK;
    const int first = blockIdx.y * chunks_per_split, last = min(chunks, first + chunks_per_split);
    const int stages = (last - first + SKINNY_WARPS - 1) / SKINNY_WARPS;

    constexpr int STAGE_BYTES = rows_stage_bytes(B, STAGE_X);
    // Copies: rows 4·warp + q (q < 4), unit `lane` (k = stage's k0 + 8·lane), chunk first + 8t + lane / 4.
    auto issue = [&](int t) {
        if (t < stages) {
            const int chunk = first + SKINNY_WARPS * t + lane / 4, k = chunk * CHUNK + 8 * c;
            const uint32_t stage = ring + (t % STAGES) * STAGE_BYTES;
#pragma unroll
            for (int q = 0; q < 4; q++) {
                const int r = 4 * warp + q, row = row0 + r;
                const bool valid = row < p.out && chunk < last && k < in;
                copy_16_async(stage + (r * 32 + (lane ^ ((r & 1) << 2))) * 16, w + (valid ? size_t(row) * in + k : 0), valid);
            }
            if constexpr (STAGE_X) {  // 8·B rows × 64 units; rows past p.rows, k past the split or the row: not copied
                const int k0 = (first + SKINNY_WARPS * t) * CHUNK, k_end = min(in, last * CHUNK);
#pragma unroll
                for (int e = threadIdx.x; e < 8 * B * 64; e += SKINNY_WARPS * 32) {
                    const int r = e / 64, u = e % 64, k = k0 + 4 * u;
                    if (r < p.rows && k < k_end)
                        copy_16_async(stage + ROWS_STAGE_BYTES + (r * 64 + (u ^ (r & 1))) * 16, x + size_t(r) * in + k, true);
                }
            }
        }
        asm volatile("cp.async.commit_group;");
    };

    float acc[SKINNY_TILES][B][4];
#pragma unroll
    for (int m = 0; m < SKINNY_TILES; m++)
#pragma unroll
        for (int b = 0; b < B; b++) acc[m][b][0] = acc[m][b][1] = acc[m][b][2] = acc[m][b][3] = 0.f;

#pragma unroll
    for (int t = 0; t < STAGES - 1; t++) issue(t);
    for (int t = 0; t < stages; t++) {
        asm volatile("cp.async.wait_group %0;" ::"n"(STAGES - 2));  // this thread's copies of stage t have landed
        __syncthreads();  // everyone's have, and every warp is done with stage t - 1: refill it
        issue(t + STAGES - 1);
        const int chunk = first + SKINNY_WARPS * t + warp;
        if (chunk >= last) continue;  // the same for the whole warp
        const uint32_t stage = ring + (t % STAGES) * STAGE_BYTES;
        const int unit = 4 * warp + c;
        uint4 w_lo[SKINNY_TILES], w_hi[SKINNY_TILES];
#pragma unroll
        for (int m = 0; m < SKINNY_TILES; m++) {
            const int lo = 16 * m + g, hi = lo + 8;
            w_lo[m] = load_shared_16(stage + (lo * 32 + (unit ^ ((lo & 1) << 2))) * 16);
            w_hi[m] = load_shared_16(stage + (hi * 32 + (unit ^ ((hi & 1) << 2))) * 16);
        }
        const int k = chunk * CHUNK + 8 * c;
        if constexpr (LOADS_ONLY) loads_only_sink(acc, w_lo, w_hi);
        else if constexpr (STAGE_X) skinny_chunk<Op, B>(acc, w_lo, w_hi, StagedX{stage + ROWS_STAGE_BYTES, 8 * warp + 2 * c}, p.rows, k < in, g);
        else skinny_chunk<Op, B>(acc, w_lo, w_hi, GlobalX{x, in, k}, p.rows, k < in, g);
    }
    asm volatile("cp.async.wait_group 0;");
    __syncthreads();
    skinny_epilogue<B>(acc, reinterpret_cast<float*>(rows_ring), p, partials, row0);
}

// The production instantiations: activations staged; 2 stages at 1 B tile (48 KB: 4 CTAs an SM on Hopper's 228 KB),
// 3 at 2 (96 KB: 2 an SM), 2 at 4 (96 KB). At one to eight rows 2 stages and 4 CTAs an SM beat 3 stages and 3 CTAs
// on the 8B's products, by 9% on gate|up, except q|k|v by 1 µs and lm_head by 1%; skinny_bench.cu measured both
// (skinny-staged-notes.md). io.vecinfer.cuda.ops.Matmul mirrors skinny_shared_bytes.
__host__ __device__ constexpr int skinny_stages(int b) { return b == 2 ? 3 : 2; }
__host__ __device__ constexpr int skinny_shared_bytes(int b) { return skinny_stages(b) * rows_stage_bytes(b, true); }

// The splits' sums of each output in split order, plus the bias once, stored into the output segments (with
// accumulate: added to y there, only now that the sum is whole).
extern "C" __global__ void __launch_bounds__(256) skinny_reduce(const ProjectionParams p, const float* __restrict__ partials, int splits) {
    const long long e = (long long)blockIdx.x * blockDim.x + threadIdx.x, outputs = (long long)p.rows * p.out;
    if (e >= outputs) return;
    const int r = int(e / p.out), o = int(e % p.out);
    float sum = 0.f;
    for (int s = 0; s < splits; s++) sum += partials[s * outputs + e];
    projection_store(p, r, o, sum + (p.bias != nullptr ? p.bias[o] : 0.f));
}

#define SKINNY_KERNEL(type, Op, B)                                                                                     \
    extern "C" __global__ void __launch_bounds__(SKINNY_WARPS * 32)                                                    \
        skinny_##type##_b##B(const ProjectionParams p, float* partials, int chunks_per_split) {                        \
        skinny_rows<Op, B, skinny_stages(B), false, true>(p, partials, chunks_per_split);                              \
    }
SKINNY_KERNEL(bf16, Bf16Operand, 1)
SKINNY_KERNEL(bf16, Bf16Operand, 2)
SKINNY_KERNEL(bf16, Bf16Operand, 4)
SKINNY_KERNEL(f16, F16Operand, 1)
SKINNY_KERNEL(f16, F16Operand, 2)
SKINNY_KERNEL(f16, F16Operand, 4)

// ---- gemm: many rows, MMA-bound ----

constexpr int BM = 128, BN = 128, BK = 32, STAGES = 4, GEMM_THREADS = 256;
constexpr int STAGE_HALVES = (BM + BN) * BK;

// The 16-byte chunk (row, j) of a stage, swizzled: see the file comment.
__device__ __forceinline__ int stage_offset(int row, int j) { return row * BK + ((j ^ ((row >> 1) & 3)) << 3); }

template <typename Op>
__device__ void gemm(const ProjectionParams& p) {
    extern __shared__ __align__(128) uint16_t stages[];  // [STAGES][BM + BN][BK]
    const uint16_t* __restrict__ a = static_cast<const uint16_t*>(p.x);
    const uint16_t* __restrict__ w = static_cast<const uint16_t*>(p.w);
    const int rows = p.rows, in = p.in, out = p.out;
    const int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;
    const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
    const int warp_m = (warp / 4) * 64, warp_n = (warp % 4) * 32;
    const int k_tiles = (in + BK - 1) / BK;

    // Each thread copies 4 of a stage's (BM + BN) · 4 chunks.
    auto load = [&](int stage, int kt) {
        uint16_t* s = stages + stage * STAGE_HALVES;
#pragma unroll
        for (int i = 0; i < (BM + BN) * 4 / GEMM_THREADS; i++) {
            const int index = threadIdx.x + i * GEMM_THREADS, row = index / 4, j = index % 4;
            const int k = kt * BK + j * 8;
            const bool is_x = row < BM;
            const int source_row = is_x ? m0 + row : n0 + row - BM;
            const bool valid = k < in && source_row < (is_x ? rows : out);
            const uint16_t* source = (is_x ? a : w) + (valid ? size_t(source_row) * in + k : 0);
            copy_16_async(shared_address(s + stage_offset(row, j)), source, valid);
        }
    };

    float acc[4][4][4];
#pragma unroll
    for (int i = 0; i < 4; i++)
#pragma unroll
        for (int j = 0; j < 4; j++) acc[i][j][0] = acc[i][j][1] = acc[i][j][2] = acc[i][j][3] = 0.f;

#pragma unroll
    for (int s = 0; s < STAGES - 1; s++) {
        if (s < k_tiles) load(s, s);
        asm volatile("cp.async.commit_group;");
    }
    for (int kt = 0; kt < k_tiles; kt++) {
        // Tile kt has landed once at most STAGES - 2 later groups are pending; the barrier also tells every warp
        // that the stage consumed in step kt - 1 is free for tile kt + STAGES - 1.
        asm volatile("cp.async.wait_group %0;" ::"n"(STAGES - 2));
        __syncthreads();
        if (kt + STAGES - 1 < k_tiles) load((kt + STAGES - 1) % STAGES, kt + STAGES - 1);
        asm volatile("cp.async.commit_group;");

        const uint16_t* s = stages + (kt % STAGES) * STAGE_HALVES;
#pragma unroll
        for (int kk = 0; kk < BK / 16; kk++) {
            uint32_t af[4][4], bf[4][2];
#pragma unroll
            for (int mt = 0; mt < 4; mt++) {  // lanes 0-15: rows 0-15 at k 0-7; lanes 16-31: the same rows at k 8-15
                const int row = warp_m + mt * 16 + lane % 16;
                ldmatrix_x4(af[mt], shared_address(s + stage_offset(row, kk * 2 + lane / 16)));
            }
#pragma unroll
            for (int np = 0; np < 2; np++) {  // matrices: (n 0-7, k 0-7), (n 0-7, k 8-15), (n 8-15, k 0-7), (n 8-15, k 8-15)
                const int n = warp_n + np * 16 + (lane % 8) + (lane / 16) * 8;
                uint32_t r[4];
                ldmatrix_x4(r, shared_address(s + stage_offset(BM + n, kk * 2 + (lane / 8) % 2)));
                bf[2 * np][0] = r[0];
                bf[2 * np][1] = r[1];
                bf[2 * np + 1][0] = r[2];
                bf[2 * np + 1][1] = r[3];
            }
#pragma unroll
            for (int mt = 0; mt < 4; mt++)
#pragma unroll
                for (int nt = 0; nt < 4; nt++) Op::mma(acc[mt][nt], af[mt][0], af[mt][1], af[mt][2], af[mt][3], bf[nt][0], bf[nt][1]);
        }
    }
    asm volatile("cp.async.wait_group 0;");

    // acc[mt][nt][j]: row warp_m + 16 mt + lane / 4 + 8 (j / 2), column warp_n + 8 nt + 2 (lane % 4) + j % 2.
    const int g = lane / 4, c = lane % 4;
#pragma unroll
    for (int mt = 0; mt < 4; mt++)
#pragma unroll
        for (int nt = 0; nt < 4; nt++)
#pragma unroll
            for (int j = 0; j < 4; j++) {
                const int r = m0 + warp_m + mt * 16 + g + 8 * (j / 2), o = n0 + warp_n + nt * 8 + 2 * c + j % 2;
                if (r < rows && o < out) projection_store(p, r, o, acc[mt][nt][j] + (p.bias != nullptr ? p.bias[o] : 0.f));
            }
}

extern "C" __global__ void __launch_bounds__(GEMM_THREADS) gemm_bf16(const ProjectionParams p) { gemm<Bf16Operand>(p); }
extern "C" __global__ void __launch_bounds__(GEMM_THREADS) gemm_f16(const ProjectionParams p) { gemm<F16Operand>(p); }
