// Device helpers shared by the decoder's kernel families: exact widening of stored weight types to fp32 and
// rounding back (narrow), SwiGLU's activation, and warp/block reductions in fp32.
#pragma once
#include <cstdint>
#include <cuda_bf16.h>
#include <cuda_fp16.h>

// A weight element type as stored in the checkpoint, widened exactly to fp32 (every bf16 and fp16 value is a
// float), so the GPU multiplies by the same numbers the CPU decoder reads from the mapping.
struct F32 {
    using Stored = float;
    static __device__ __forceinline__ float widen(float v) { return v; }
    static __device__ __forceinline__ float narrow(float v) { return v; }
    // The 4 floats of a 16-byte load.
    static constexpr int PER_16_BYTES = 4;
    static __device__ __forceinline__ void unpack(uint4 raw, float* out) {
        out[0] = __uint_as_float(raw.x); out[1] = __uint_as_float(raw.y);
        out[2] = __uint_as_float(raw.z); out[3] = __uint_as_float(raw.w);
    }
};

struct BF16 {
    using Stored = uint16_t;
    // bf16 is the top half of a float: a shift is the exact conversion.
    static __device__ __forceinline__ float widen(uint16_t bits) { return __uint_as_float(uint32_t(bits) << 16); }
    // Round to nearest even: what every fp32 activation that meets bf16 weights goes through (matmul_tc.cu's to_bf16,
    // the 16-bit outputs of rmsnorm, silu_mul_interleaved and the SwiGLU epilogue), one function so that all agree.
    static __device__ __forceinline__ uint16_t narrow(float v) { return __bfloat16_as_ushort(__float2bfloat16_rn(v)); }
    static constexpr int PER_16_BYTES = 8;
    static __device__ __forceinline__ void unpack(uint4 raw, float* out) {
        const uint32_t words[4] = {raw.x, raw.y, raw.z, raw.w};
#pragma unroll
        for (int i = 0; i < 4; i++) {  // little-endian: the lower half of each word is the earlier element
            out[2 * i] = __uint_as_float(words[i] << 16);
            out[2 * i + 1] = __uint_as_float(words[i] & 0xffff0000u);
        }
    }
};

struct F16 {
    using Stored = uint16_t;
    static __device__ __forceinline__ float widen(uint16_t bits) { return __half2float(__ushort_as_half(bits)); }
    static __device__ __forceinline__ uint16_t narrow(float v) { return __half_as_ushort(__float2half_rn(v)); }
    static constexpr int PER_16_BYTES = 8;
    static __device__ __forceinline__ void unpack(uint4 raw, float* out) {
        const uint32_t words[4] = {raw.x, raw.y, raw.z, raw.w};
#pragma unroll
        for (int i = 0; i < 4; i++) {
            out[2 * i] = widen(uint16_t(words[i] & 0xffffu));
            out[2 * i + 1] = widen(uint16_t(words[i] >> 16));
        }
    }
};

// SwiGLU's activation of one hidden unit, SiLU(g) · u = g / (1 + e^-g) · u, in fp32 with CUDA's expf (within 2 ulps;
// the CPU's FloatMath.siluMul rounds a double exp, so the two differ by a few ulps: OpsKernelTest derives the bound).
// It was exp in double, to match the CPU to the last bit of exp, until the SwiGLU epilogue of matmul_wgmma.cu measured
// what its ~28 FP64 instructions a unit cost there: 0.2 ms of a 1.54 ms gate|up product at 4096 rows (MatmulBenchmark,
// session 13), 6 ms of a 4096-token prefill. Every kernel that applies it (elementwise.cu, that epilogue) calls this one
// function: with the same fp32 gate and up they give the same bits (no fast-math: the division is IEEE's, and there is
// no product-plus-sum to contract into an FMA).
__device__ __forceinline__ float silu_mul_value(float g, float u) { return g / (1.f + expf(-g)) * u; }

__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
    for (int offset = 16; offset > 0; offset /= 2) v += __shfl_xor_sync(0xffffffffu, v, offset);
    return v;
}

__device__ __forceinline__ float warp_max(float v) {
#pragma unroll
    for (int offset = 16; offset > 0; offset /= 2) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, offset));
    return v;
}

// A reduction over the whole CTA (blockDim.x a multiple of 32, at most 1024) through the warp reduction
// WarpReduce, lanes past the last warp reading `identity`; the result reaches every thread. Every thread of the
// CTA must call it; it synchronises, so reads issued before it are complete after it.
template <float (*WarpReduce)(float)>
__device__ __forceinline__ float block_reduce(float v, float identity) {
    __shared__ float partial[32];
    const int lane = threadIdx.x % 32, warp = threadIdx.x / 32, warps = blockDim.x / 32;
    v = WarpReduce(v);
    __syncthreads();  // partial[] may still be read by a previous call
    if (lane == 0) partial[warp] = v;
    __syncthreads();
    return WarpReduce(lane < warps ? partial[lane] : identity);
}

__device__ __forceinline__ float block_sum(float v) { return block_reduce<warp_sum>(v, 0.f); }

__device__ __forceinline__ float block_max(float v) { return block_reduce<warp_max>(v, -INFINITY); }
