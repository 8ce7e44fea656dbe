// RMSNorm of independent vectors of n floats: out = weight ⊙ x / sqrt(mean(x²) + eps), as Hugging Face and
// io.vecinfer.tensor.FloatMath.rmsNorm compute it in fp32. One kernel serves both uses: the hidden rows
// (vectors = rows, n = hidden size) and Qwen3's per-head q/k norm (vectors = rows × heads, n = head_dim).
//
// Launch: grid (vectors), threads a multiple of 32 (up to 1024; the wrapper picks n rounded up to 32,
// at most 256), no dynamic shared memory. One CTA per vector: threads stride over it for the sum of squares,
// a block reduction combines them, then each thread scales the elements it read. out may equal x (in place):
// every element is read and written by the same thread, and the reduction synchronises in between.
#include "numeric.cuh"

extern "C" __global__ void rmsnorm(const float* x, const float* __restrict__ weight, float* out, int n, float eps) {
    const float* v = x + size_t(blockIdx.x) * n;
    float* o = out + size_t(blockIdx.x) * n;
    float ss = 0.f;
    for (int i = threadIdx.x; i < n; i += blockDim.x) ss += v[i] * v[i];
    ss = block_sum(ss);
    // The CPU computes 1 / sqrt in double and rounds once to float; so does this (one double op per CTA).
    const float inv = float(1.0 / sqrt(double(ss / float(n) + eps)));
    for (int i = threadIdx.x; i < n; i += blockDim.x) o[i] = weight[i] * (v[i] * inv);
}
