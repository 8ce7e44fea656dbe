// The launch parameters shared by the projection kernels (matmul.cu on CUDA cores, matmul_tc.cu on tensor cores,
// matmul_wgmma.cu on Hopper's warpgroup tensor cores):
//   y = x · Wᵀ (+ bias) over `rows` rows, W the checkpoint's [out][in] matrix, fp32 outputs.
// The output columns may be split into up to three consecutive segments, each written to its own row-major
// buffer: a stacked q|k|v or gate|up weight is one product (one launch, one pass over the weights) whose
// parts land where the next kernels expect them. Segment s holds columns [end[s-1], end[s]) (end[-1] = 0)
// as y[s][row][column - end[s-1]]; an unsplit product has end = {out, out, out} and y = {y, null, null}.
// With `accumulate` the product is added into what the segments already hold, y = y + (x · Wᵀ (+ bias)): the
// decoder's o and down projections add into the residual stream this way, which saves writing the product to
// scratch and an add kernel reading it back. The sum (bias included) is computed exactly as without it, and y
// joins in one fp32 add at the end (projection_store), never as the accumulator's start: the result is bit for
// bit the product written, then added (as elementwise.cu's add does). Split-K partials (scratch) are always
// written; only the final store accumulates. As in every launch, the outputs must not overlap x.
// SwiGLU (matmul_wgmma.cu's *_swiglu kernels only): W is a gate|up weight interleaved in blocks of 8 rows
// (io.vecinfer.cuda.ops.GateUp: rows 16i..16i+7 gate units 8i..8i+7, rows 16i+8..16i+15 up units 8i..8i+7), and
// instead of the segments the kernel stores h[r][u] = SiLU(gate) · up of each hidden unit u < out / 2, rounded to W's
// 16-bit type, into `swiglu` ([rows][out / 2]); y is then unused. Every other kernel leaves swiglu alone (null).
// Mirrored field by field by io.vecinfer.cuda.ops.Matmul.params.
#pragma once
#include <cstdint>

struct ProjectionParams {
    const void* x;      // [rows][in]: fp32 (matmul.cu, matmul_tc skinny) or the weight's 16-bit type (gemm, wgmma)
    const void* w;      // [out][in] in its stored type
    const float* bias;  // [out], or null
    float* y[3];        // segment outputs
    uint16_t* swiglu;   // the SwiGLU kernels' [rows][out / 2] output in W's 16-bit type; null elsewhere
    int end[3];         // cumulative column ends of the segments; end[2] == out
    int rows, in, out;
    int accumulate;     // 0: y = product; 1: y = y + product
};
static_assert(sizeof(ProjectionParams) == 88, "ProjectionParams changed: update io.vecinfer.cuda.ops.Matmul.params");

// Where output (r, o) lives. Selects rather than indexes the arrays: a run-time index into a kernel
// parameter would copy the struct to local memory.
__device__ __forceinline__ float* projection_out(const ProjectionParams& p, int r, int o) {
    if (o < p.end[0]) return p.y[0] + size_t(r) * p.end[0] + o;
    if (o < p.end[1]) return p.y[1] + size_t(r) * (p.end[1] - p.end[0]) + (o - p.end[0]);
    return p.y[2] + size_t(r) * (p.end[2] - p.end[1]) + (o - p.end[1]);
}

// The final store of output (r, o), whose value v is the product's whole sum (bias included): written, or with
// `accumulate` added to the output's current value in one fp32 add (y + v: the residual add's own rounding).
__device__ __forceinline__ void projection_store(const ProjectionParams& p, int r, int o, float v) {
    float* at = projection_out(p, r, o);
    *at = p.accumulate ? *at + v : v;
}

// projection_store of the column pair (o, o + 1) as one 8-byte access: both columns in one segment, 8-byte aligned.
__device__ __forceinline__ void projection_store_pair(const ProjectionParams& p, int r, int o, float2 v) {
    float2* at = reinterpret_cast<float2*>(projection_out(p, r, o));
    if (p.accumulate) {
        const float2 y = *at;
        v = make_float2(y.x + v.x, y.y + v.y);
    }
    *at = v;
}
