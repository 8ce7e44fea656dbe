// The decoder's element-wise steps, in fp32: the embedding gather (table rows in the checkpoint's stored
// type, widened exactly), the residual add and SwiGLU's SiLU(gate) · up, of separate gate and up (silu_mul) or of
// an interleaved gate|up product (silu_mul_interleaved_*, whose output may be rounded to 16 bits).
//
// Launch of embed_*: grid (ceil(dim / 256), rows), 256 threads: block (c, r) copies 256 columns of row r.
// Launch of add and silu_mul: grid (ceil(n / 256)), 256 threads, one element per thread.
// Launch of silu_mul_interleaved_*: grid (ceil(hidden / 256), rows), 256 threads: block (c, r) computes hidden units
//   256c..256c+255 of row r, one a thread.
#include "numeric.cuh"

template <typename Element>
__device__ void embed(const typename Element::Stored* __restrict__ table, const int* __restrict__ tokens, float* __restrict__ x,
                      int dim) {
    const int c = blockIdx.x * blockDim.x + threadIdx.x;
    if (c >= dim) return;
    const size_t r = blockIdx.y;
    x[r * dim + c] = Element::widen(table[size_t(tokens[r]) * dim + c]);
}

extern "C" __global__ void embed_f32(const float* table, const int* tokens, float* x, int dim) { embed<F32>(table, tokens, x, dim); }
extern "C" __global__ void embed_bf16(const uint16_t* table, const int* tokens, float* x, int dim) { embed<BF16>(table, tokens, x, dim); }
extern "C" __global__ void embed_f16(const uint16_t* table, const int* tokens, float* x, int dim) { embed<F16>(table, tokens, x, dim); }

// x += y. The decoder's residual adds do not use it: its o and down projections add into x in their stores
// (projection.cuh's accumulate, the same rounding).
extern "C" __global__ void add(float* __restrict__ x, const float* __restrict__ y, int n) {
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) x[i] += y[i];
}

// gate = SiLU(gate) · up (numeric.cuh's silu_mul_value, with expf: within a few ulps of the CPU's FloatMath.siluMul).
extern "C" __global__ void silu_mul(float* __restrict__ gate, const float* __restrict__ up, int n) {
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    gate[i] = silu_mul_value(gate[i], up[i]);
}

// SwiGLU of an interleaved gate|up product y ([rows][2·hidden] fp32, the layout io.vecinfer.cuda.ops.GateUp gives the
// weight): hidden units in blocks of 8, block b's gates at columns 16b..16b+w-1 and its ups at 16b+w..16b+2w-1 (w = 8,
// or what is left in a last, partial block). h[r][u] = silu_mul_value(gate, up) stored as Out: fp32, or rounded to
// bf16/fp16 (narrow, as to_bf16 / to_f16) for a down projection that reads 16-bit input as it is. This is the pass for
// the projection paths that cannot apply SwiGLU in their epilogue (all but matmul_wgmma.cu's *_swiglu kernels); it
// reads and writes what silu_mul did, so decode steps keep their cost. A warp's reads cover 256 contiguous bytes.
template <typename Out>
__device__ void silu_mul_interleaved(const float* __restrict__ y, typename Out::Stored* __restrict__ h, int hidden) {
    const int u = blockIdx.x * blockDim.x + threadIdx.x;
    if (u >= hidden) return;
    const size_t r = blockIdx.y;
    const int block = u / 8, j = u % 8, width = min(8, hidden - 8 * block);
    const float* pair = y + r * 2 * hidden + 16 * block + j;
    h[r * hidden + u] = Out::narrow(silu_mul_value(pair[0], pair[width]));
}

extern "C" __global__ void silu_mul_interleaved_f32(const float* y, float* h, int hidden) { silu_mul_interleaved<F32>(y, h, hidden); }
extern "C" __global__ void silu_mul_interleaved_bf16(const float* y, uint16_t* h, int hidden) { silu_mul_interleaved<BF16>(y, h, hidden); }
extern "C" __global__ void silu_mul_interleaved_f16(const float* y, uint16_t* h, int hidden) { silu_mul_interleaved<F16>(y, h, hidden); }
