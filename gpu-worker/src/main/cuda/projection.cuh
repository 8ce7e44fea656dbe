// The launch parameters shared by the projection kernels (matmul.cu on CUDA cores, matmul_tc.cu on tensor cores):
//   y = x · Wᵀ (+ bias) over `rows` rows, W the checkpoint's [out][in] matrix, fp32 outputs.
// The output columns may be split into up to three consecutive segments, each written to its own row-major
// buffer: a stacked q|k|v or gate|up weight is one product (one launch, one pass over the weights) whose
// parts land where the next kernels expect them. Segment s holds columns [end[s-1], end[s]) (end[-1] = 0)
// as y[s][row][column - end[s-1]]; an unsplit product has end = {out, out, out} and y = {y, null, null}.
// Mirrored field by field by io.vecinfer.cuda.ops.Projection.params.
#pragma once

struct ProjectionParams {
    const void* x;      // [rows][in]: fp32 (matmul.cu, matmul_tc skinny) or the weight's 16-bit type (matmul_tc gemm)
    const void* w;      // [out][in] in its stored type
    const float* bias;  // [out], or null
    float* y[3];        // segment outputs
    int end[3];         // cumulative column ends of the segments; end[2] == out
    int rows, in, out;
};

// Where output (r, o) lives. Selects rather than indexes the arrays: a run-time index into a kernel
// parameter would copy the struct to local memory.
__device__ __forceinline__ float* projection_out(const ProjectionParams& p, int r, int o) {
    if (o < p.end[0]) return p.y[0] + size_t(r) * p.end[0] + o;
    if (o < p.end[1]) return p.y[1] + size_t(r) * (p.end[1] - p.end[0]) + (o - p.end[0]);
    return p.y[2] + size_t(r) * (p.end[2] - p.end[1]) + (o - p.end[1]);
}
