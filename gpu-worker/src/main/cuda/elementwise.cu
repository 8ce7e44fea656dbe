// The decoder's element-wise steps, all in fp32: the embedding gather (table rows in the checkpoint's stored
// type, widened exactly), the residual add and SwiGLU's SiLU(gate) · up.
//
// Launch of embed_*: grid (ceil(dim / 256), rows), 256 threads: block (c, r) copies 256 columns of row r.
// Launch of add and silu_mul: grid (ceil(n / 256)), 256 threads, one element per thread.
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

// gate = SiLU(gate) · up. exp is taken in double and rounded to float, as the CPU's (float) Math.exp(-g),
// so the activation matches FloatMath.siluMul up to the last bit of exp (both are within 1 ulp in double).
extern "C" __global__ void silu_mul(float* __restrict__ gate, const float* __restrict__ up, int n) {
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    const float g = gate[i];
    gate[i] = g / (1.f + float(exp(double(-g)))) * up[i];
}
