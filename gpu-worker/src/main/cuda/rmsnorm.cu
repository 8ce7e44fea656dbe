// RMSNorm of independent vectors of n floats: out = weight ⊙ x / sqrt(mean(x²) + eps), as Hugging Face and
// io.vecinfer.tensor.FloatMath.rmsNorm compute it in fp32. One kernel serves both uses: the hidden rows
// (vectors = rows, n = hidden size) and Qwen3's per-head q/k norm (vectors = rows × heads, n = head_dim).
//
// Launch: grid (vectors), threads a multiple of 32 (up to 1024; the wrapper gives each thread about 4 elements:
// 1024 threads for a 4096 hidden row), no dynamic shared memory. One CTA per vector: thread t holds elements
// t, t + T, ... (up to RMSNORM_KEPT of them) and their weights in registers, all loaded before the first is used, so the row is read
// once and its loads are in flight together (the old 256-thread loop issued 16 dependent rounds and read the row
// twice: 6.5 µs a call in a decode step, 65 calls a step); elements past RMSNORM_KEPT · T (n > 8192 at 1024
// threads) are read again after the reduction. A block reduction combines the sums of squares, then each thread
// scales the elements it read. out may equal x (in place, fp32 only): every element is read and written by the same
// thread, and the reduction synchronises in between.
// rmsnorm writes fp32; rmsnorm_bf16 and rmsnorm_f16 (same launch) round each of those fp32 values to nearest even in
// the 16-bit type (narrow, as matmul_tc.cu's to_bf16 / to_f16), for a projection that reads 16-bit input as it is:
// the to_bf16 pass over the rows before it goes, and half the bytes are written.
#include "numeric.cuh"

constexpr int RMSNORM_KEPT = 8;

template <typename Out>
__device__ void rmsnorm_rows(const float* x, const float* __restrict__ weight, typename Out::Stored* out, int n, float eps) {
    const float* v = x + size_t(blockIdx.x) * n;
    typename Out::Stored* o = out + size_t(blockIdx.x) * n;
    const int t = threadIdx.x, T = blockDim.x;
    float kept[RMSNORM_KEPT], scale[RMSNORM_KEPT];
#pragma unroll
    for (int j = 0; j < RMSNORM_KEPT; j++) kept[j] = t + j * T < n ? v[t + j * T] : 0.f;
    // The weights too, before the reduction: their loads overlap it instead of following it (a decode step's norms
    // are latency-bound, one CTA a row).
#pragma unroll
    for (int j = 0; j < RMSNORM_KEPT; j++) scale[j] = t + j * T < n ? weight[t + j * T] : 0.f;
    float ss = 0.f;
#pragma unroll
    for (int j = 0; j < RMSNORM_KEPT; j++) ss += kept[j] * kept[j];
    for (int i = t + RMSNORM_KEPT * T; i < n; i += T) ss += v[i] * v[i];
    ss = block_sum(ss);
    // The CPU computes 1 / sqrt in double and rounds once to float; so does this (one double op per CTA).
    const float inv = float(1.0 / sqrt(double(ss / float(n) + eps)));
#pragma unroll
    for (int j = 0; j < RMSNORM_KEPT; j++) {
        if (t + j * T < n) o[t + j * T] = Out::narrow(scale[j] * (kept[j] * inv));
    }
    for (int i = t + RMSNORM_KEPT * T; i < n; i += T) o[i] = Out::narrow(weight[i] * (v[i] * inv));
}

extern "C" __global__ void rmsnorm(const float* x, const float* __restrict__ weight, float* out, int n, float eps) {
    rmsnorm_rows<F32>(x, weight, out, n, eps);
}
extern "C" __global__ void rmsnorm_bf16(const float* x, const float* __restrict__ weight, uint16_t* out, int n, float eps) {
    rmsnorm_rows<BF16>(x, weight, out, n, eps);
}
extern "C" __global__ void rmsnorm_f16(const float* x, const float* __restrict__ weight, uint16_t* out, int n, float eps) {
    rmsnorm_rows<F16>(x, weight, out, n, eps);
}
