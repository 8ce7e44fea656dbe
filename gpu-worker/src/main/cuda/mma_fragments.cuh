// Warp-level tensor-core fragments (mma.sync m16n8k16, fp16 inputs, fp32 sums), as the tensor-core kernels use them
// (attention_decode, attention_prefill, vq_mma_attention; matmul_tc's gemm for ldmatrix): ldmatrix of 8x8 fp16
// matrices from shared memory, movmatrix to transpose one in registers, fp16 packing, and the mma itself.
// Fragment layouts (PTX ISA, "Matrix fragments for mma.m16n8k16"), with g = lane / 4 and t = lane % 4:
//   A (16x16, row): reg 0 (row g, cols 2t, 2t+1), 1 (row g+8, same cols), 2 (row g, cols 2t+8, +9), 3 (row g+8, +8);
//   B (16x8, col):  reg 0 (rows 2t, 2t+1, col g), 1 (rows 2t+8, 2t+9, col g);
//   C (16x8, fp32): c0, c1 (row g, cols 2t, 2t+1), c2, c3 (row g+8, cols 2t, 2t+1).
// A 32-bit register holds two fp16 values, the lower column (or row, for B) in its low half.
#pragma once
#include <cstdint>
#include <cuda_fp16.h>

// Four 8x8 matrices: lanes 8j..8j+7 give the 16-byte row addresses of matrix j, register j receives it.
__device__ __forceinline__ void ldmatrix_x4(uint32_t (&r)[4], uint32_t address) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];" : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(address));
}

// As ldmatrix_x4, each matrix transposed: register j holds matrix j's (col g, rows 2t, 2t+1).
__device__ __forceinline__ void ldmatrix_x4_trans(uint32_t (&r)[4], uint32_t address) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                 : "r"(address));
}

// One 8x8 fp16 matrix held as (row g, cols 2t, 2t+1) becomes its transpose, held the same way.
__device__ __forceinline__ uint32_t movmatrix_trans(uint32_t x) {
    uint32_t y;
    asm volatile("movmatrix.sync.aligned.m8n8.trans.b16 %0, %1;" : "=r"(y) : "r"(x));
    return y;
}

// c += a·b: 16x16 fp16 A (row), 16x8 fp16 B (col), 16x8 fp32 C. Not volatile: a pure function of its operands, so
// the compiler may interleave it with the loads around it.
__device__ __forceinline__ void mma_16816(float (&c)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
    asm("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
                 : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

// Two floats as one fp16x2 register, the first in the low half (the lower column of an mma fragment).
__device__ __forceinline__ uint32_t pack_half2(float lo, float hi) {
    const __half2 h = __floats2half2_rn(lo, hi);
    return *reinterpret_cast<const uint32_t*>(&h);
}

// Two fp32 values as the fp16 pair nearest them (first in the low half), and the pair of what that rounding left:
// hi + lo carries a value to about 2^-22 of it (fp16 has 11 bits), so two mma (one with hi, one with lo) give
// products of fp32 accuracy from fp16 tensor cores.
struct HalfSplit {
    uint32_t hi, lo;
};
__device__ __forceinline__ HalfSplit split_half2(float a, float b) {
    const __half2 hi = __floats2half2_rn(a, b);
    const float2 back = __half22float2(hi);
    const __half2 lo = __floats2half2_rn(a - back.x, b - back.y);
    return {*reinterpret_cast<const uint32_t*>(&hi), *reinterpret_cast<const uint32_t*>(&lo)};
}
