// Projections of the decoder on CUDA cores, in the CPU decoder's arithmetic: y[r][o] = Σ_k x[r][k] · W[o][k]
// (+ bias[o]), for r < rows, o < out, or with p.accumulate y[r][o] + that. x and y are fp32, row-major; W is the
// checkpoint's [out][in] matrix in its stored type (fp32, bf16 or fp16), widened exactly to fp32; accumulation is
// fp32. Parameters: ProjectionParams (projection.cuh), whose output segments and accumulate this kernel honours
// like the tensor-core ones. This is the exact path (the oracle's numbers, and fp32 checkpoints); matmul_tc.cu is
// the fast one.
//
// Launch: grid (ceil(out / WARPS), ceil(rows / ROW_TILE)), WARPS * 32 threads, no dynamic shared memory.
//   Each warp owns one output feature o (one weight row) and a tile of up to ROW_TILE activation rows: the
//   weight row is read from memory once per tile, which is what decode (few rows, weight-bandwidth bound)
//   needs. Lanes stride over k. When rows are 16-byte aligned (in % 8 == 0 and aligned bases) each lane
//   loads 16 bytes of weights at a time, so a warp reads 512 contiguous bytes per step; otherwise one
//   element at a time. The lanes' partial sums are combined by a warp butterfly and lane 0 stores y
//   (projection_store: written, or added to y).
#include "numeric.cuh"
#include "projection.cuh"

constexpr int WARPS = 8;
constexpr int ROW_TILE = 8;

template <typename Element>
__device__ void matmul(const ProjectionParams& p) {
    const float* __restrict__ x = static_cast<const float*>(p.x);
    const typename Element::Stored* __restrict__ w = static_cast<const typename Element::Stored*>(p.w);
    const int rows = p.rows, in = p.in, out = p.out;
    const int lane = threadIdx.x % 32;
    const int o = blockIdx.x * WARPS + threadIdx.x / 32;
    const int r0 = blockIdx.y * ROW_TILE;
    if (o >= out) return;  // the whole warp leaves together: no shuffle is left waiting
    const int tile = min(ROW_TILE, rows - r0);
    const typename Element::Stored* w_row = w + size_t(o) * in;
    const float* x_tile = x + size_t(r0) * in;

    float acc[ROW_TILE];
#pragma unroll
    for (int r = 0; r < ROW_TILE; r++) acc[r] = 0.f;

    constexpr int V = Element::PER_16_BYTES;
    const bool vectorized = in % 8 == 0 && reinterpret_cast<uintptr_t>(x) % 16 == 0 && reinterpret_cast<uintptr_t>(w) % 16 == 0;
    if (vectorized) {
        for (int k = lane * V; k < in; k += 32 * V) {  // in % V == 0, so [k, k + V) is inside the row
            float wk[V];
            Element::unpack(*reinterpret_cast<const uint4*>(w_row + k), wk);
#pragma unroll
            for (int r = 0; r < ROW_TILE; r++) {
                if (r >= tile) break;
#pragma unroll
                for (int j = 0; j < V; j += 4) {
                    const float4 xv = *reinterpret_cast<const float4*>(x_tile + size_t(r) * in + k + j);
                    acc[r] += wk[j] * xv.x;
                    acc[r] += wk[j + 1] * xv.y;
                    acc[r] += wk[j + 2] * xv.z;
                    acc[r] += wk[j + 3] * xv.w;
                }
            }
        }
    } else {
        for (int k = lane; k < in; k += 32) {
            const float wk = Element::widen(w_row[k]);
#pragma unroll
            for (int r = 0; r < ROW_TILE; r++) {
                if (r >= tile) break;
                acc[r] += wk * x_tile[size_t(r) * in + k];
            }
        }
    }
#pragma unroll
    for (int r = 0; r < ROW_TILE; r++) acc[r] = warp_sum(acc[r]);  // every lane takes part, tile or not
    if (lane != 0) return;
    const float b = p.bias != nullptr ? p.bias[o] : 0.f;
    for (int r = 0; r < tile; r++) projection_store(p, r0 + r, o, acc[r] + b);
}

extern "C" __global__ void __launch_bounds__(WARPS * 32)
matmul_f32(const ProjectionParams p) {
    matmul<F32>(p);
}

extern "C" __global__ void __launch_bounds__(WARPS * 32)
matmul_bf16(const ProjectionParams p) {
    matmul<BF16>(p);
}

extern "C" __global__ void __launch_bounds__(WARPS * 32)
matmul_f16(const ProjectionParams p) {
    matmul<F16>(p);
}
