// cp.async into shared memory and 16-byte shared loads and stores, as the streaming kernels use them (matmul_tc.cu's skinny and
// gemm, attention_decode.cu's split ring). Shared addresses are 32-bit (the .shared window).
#pragma once
#include <cstdint>

__device__ __forceinline__ uint32_t shared_address(const void* p) { return uint32_t(__cvta_generic_to_shared(p)); }

// 16 bytes from global `source` to shared `target`, or 16 zeros when !valid (source size 0: nothing is read, but
// `source` must still be a mapped address). Completes at a later cp.async.wait_group of this thread.
__device__ __forceinline__ void copy_16_async(uint32_t target, const void* source, bool valid) {
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;" ::"r"(target), "l"(source), "r"(valid ? 16 : 0));
}

__device__ __forceinline__ void store_shared_16(uint32_t address, const uint4& v) {
    asm volatile("st.shared.v4.u32 [%0], {%1,%2,%3,%4};" ::"r"(address), "r"(v.x), "r"(v.y), "r"(v.z), "r"(v.w));
}

__device__ __forceinline__ uint4 load_shared_16(uint32_t address) {
    uint4 v;
    asm volatile("ld.shared.v4.u32 {%0,%1,%2,%3}, [%4];" : "=r"(v.x), "=r"(v.y), "=r"(v.z), "=r"(v.w) : "r"(address));
    return v;
}
