// Hopper (sm_90a) building blocks shared by the warpgroup kernels (matmul_wgmma.cu, attention_prefill_wgmma.cu):
// mbarriers with a trapping wait, TMA box copies, shared-memory matrix descriptors and the wgmma instructions, with
// A from shared memory (both operands K-major) or from registers (B K-major or MN-major).
// Shared layout of every descriptor here (128-byte swizzle): a tile row is 64 halves = 128 bytes; 16-byte chunk j of
// row r sits at r·128 + ((j ^ (r % 8)) · 16), so 8 rows form a 1024-byte atom and every tile starts 1024-byte aligned
// (the swizzle is on address bits). Read K-major, a row is one M or N index and its 64 k values; read MN-major (B of
// O = P·V, V stored [keys][dims]), a row is one k index and 64 consecutive N values.
#pragma once
#include <cuda.h>  // CUtensorMap, the type only: no driver or runtime call is made from device code
#include <cstdint>

constexpr unsigned long long WAIT_TIMEOUT_NS = 2000000000ull;

// ---- mbarriers ----

__device__ __forceinline__ void barrier_init(uint32_t bar, int count) {
    asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;" ::"r"(bar), "r"(count));
}

__device__ __forceinline__ void barrier_arrive(uint32_t bar) {
    asm volatile("{\n .reg .b64 state;\n mbarrier.arrive.shared::cta.b64 state, [%0];\n}" ::"r"(bar) : "memory");
}

// Arrives once this thread's earlier cp.async copies have landed; .noinc: the arrival counts against the
// barrier's expected count (128 producer threads), as a plain arrive would.
__device__ __forceinline__ void barrier_arrive_after_copies(uint32_t bar) {
    asm volatile("cp.async.mbarrier.arrive.noinc.shared::cta.b64 [%0];" ::"r"(bar) : "memory");
}

__device__ __forceinline__ bool barrier_try_wait(uint32_t bar, uint32_t parity) {
    uint32_t done;
    asm volatile("{\n .reg .pred p;\n mbarrier.try_wait.parity.shared::cta.b64 p, [%1], %2;\n selp.u32 %0, 1, 0, p;\n}"
                 : "=r"(done)
                 : "r"(bar), "r"(parity)
                 : "memory");
    return done != 0;
}

__device__ __forceinline__ unsigned long long global_nanoseconds() {
    unsigned long long t;
    asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
    return t;
}

// What a barrier wait does when it times out: trap, or break (a breakpoint exception, which also fails the launch). A
// trap anywhere in a kernel with setmaxnreg makes ptxas compile the code after setmaxnreg.inc at the entry's register
// share whatever it asks for (the prefill attention's producer schedules spilled ~600 bytes with it and none with a
// breakpoint; a wait without any time-out spilled too: it is the loop's shape ptxas handles well).
enum class Timeout { TRAP, BREAKPOINT };

// Waits for the completion of the barrier's phase of this parity (a fresh barrier counts its phase "-1", of
// parity 1, as complete: the producer's first pass over the stages does not wait). Fails after the time-out.
template <Timeout T = Timeout::TRAP>
__device__ __forceinline__ void barrier_wait(uint32_t bar, uint32_t parity) {
    if (barrier_try_wait(bar, parity)) return;
    const unsigned long long start = global_nanoseconds();
    while (!barrier_try_wait(bar, parity)) {
        if (global_nanoseconds() - start > WAIT_TIMEOUT_NS) {
            if constexpr (T == Timeout::TRAP) asm volatile("trap;");
            else __brkpt();
        }
    }
}

// ---- TMA ----

// Arms the barrier's current phase: this thread's arrival, plus `bytes` that copies must deliver before it completes.
__device__ __forceinline__ void barrier_arrive_expecting(uint32_t bar, uint32_t bytes) {
    asm volatile("{\n .reg .b64 state;\n mbarrier.arrive.expect_tx.shared::cta.b64 state, [%0], %1;\n}" ::"r"(bar), "r"(bytes) : "memory");
}

// The box of `map` at (inner, outer) = (k, first row) into shared memory at `target`; its bytes count against `bar`.
__device__ __forceinline__ void tma_load_2d(uint32_t target, const CUtensorMap* map, int inner, int outer, uint32_t bar) {
    asm volatile("cp.async.bulk.tensor.2d.shared::cluster.global.tile.mbarrier::complete_tx::bytes [%0], [%1, {%2, %3}], [%4];"
                 ::"r"(target), "l"(reinterpret_cast<uint64_t>(map)), "r"(inner), "r"(outer), "r"(bar)
                 : "memory");
}

// ---- wgmma ----

// A shared-memory matrix descriptor: K-major, 128-byte swizzle, 1024 bytes between 8-row atoms. The leading
// byte offset is unused in this mode (set to 1 by convention); the base offset is 0 as atoms are 1024-aligned.
__device__ __forceinline__ uint64_t swizzled_descriptor(uint32_t address) {
    return uint64_t((address & 0x3FFFF) >> 4) | (uint64_t(1) << 16) | (uint64_t(1024 >> 4) << 32) | (uint64_t(1) << 62);
}

#define WGMMA_D8(i) "+f"(d[i]), "+f"(d[i + 1]), "+f"(d[i + 2]), "+f"(d[i + 3]), "+f"(d[i + 4]), "+f"(d[i + 5]), "+f"(d[i + 6]), "+f"(d[i + 7])
// d[0..127] += A (64 × 16, descriptor a) · B (256 × 16, descriptor b)ᵀ, operands of TYPE ("bf16" or "f16").
#define WGMMA_64x256x16(TYPE)                                                                                             \
    asm volatile("{\n .reg .pred p;\n setp.ne.b32 p, 1, 0;\n"                                                              \
                 "wgmma.mma_async.sync.aligned.m64n256k16.f32." TYPE "." TYPE " {"                                        \
                 "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, "                                   \
                 "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, "                         \
                 "%32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, "                         \
                 "%48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63, "                         \
                 "%64, %65, %66, %67, %68, %69, %70, %71, %72, %73, %74, %75, %76, %77, %78, %79, "                         \
                 "%80, %81, %82, %83, %84, %85, %86, %87, %88, %89, %90, %91, %92, %93, %94, %95, "                         \
                 "%96, %97, %98, %99, %100, %101, %102, %103, %104, %105, %106, %107, %108, %109, %110, %111, "             \
                 "%112, %113, %114, %115, %116, %117, %118, %119, %120, %121, %122, %123, %124, %125, %126, %127"           \
                 "}, %128, %129, p, 1, 1, 0, 0;\n}"                                                                        \
                 : WGMMA_D8(0), WGMMA_D8(8), WGMMA_D8(16), WGMMA_D8(24), WGMMA_D8(32), WGMMA_D8(40), WGMMA_D8(48),         \
                   WGMMA_D8(56), WGMMA_D8(64), WGMMA_D8(72), WGMMA_D8(80), WGMMA_D8(88), WGMMA_D8(96), WGMMA_D8(104),      \
                   WGMMA_D8(112), WGMMA_D8(120)                                                                            \
                 : "l"(a), "l"(b))

// d[0..95] += A (64 × 16) · B (192 × 16)ᵀ.
#define WGMMA_64x192x16(TYPE)                                                                                             \
    asm volatile("{\n .reg .pred p;\n setp.ne.b32 p, 1, 0;\n"                                                              \
                 "wgmma.mma_async.sync.aligned.m64n192k16.f32." TYPE "." TYPE " {"                                        \
                 "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, "                              \
                 "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, "                    \
                 "%32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, "                    \
                 "%48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63, "                    \
                 "%64, %65, %66, %67, %68, %69, %70, %71, %72, %73, %74, %75, %76, %77, %78, %79, "                    \
                 "%80, %81, %82, %83, %84, %85, %86, %87, %88, %89, %90, %91, %92, %93, %94, %95"                      \
                 "}, %96, %97, p, 1, 1, 0, 0;\n}"                                                                          \
                 : WGMMA_D8(0), WGMMA_D8(8), WGMMA_D8(16), WGMMA_D8(24), WGMMA_D8(32), WGMMA_D8(40), WGMMA_D8(48),         \
                   WGMMA_D8(56), WGMMA_D8(64), WGMMA_D8(72), WGMMA_D8(80), WGMMA_D8(88)                                    \
                 : "l"(a), "l"(b))

// d[0..63] += A (64 × 16) · B (128 × 16)ᵀ.
#define WGMMA_64x128x16(TYPE)                                                                                             \
    asm volatile("{\n .reg .pred p;\n setp.ne.b32 p, 1, 0;\n"                                                              \
                 "wgmma.mma_async.sync.aligned.m64n128k16.f32." TYPE "." TYPE " {"                                        \
                 "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, "                                   \
                 "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, "                         \
                 "%32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, "                         \
                 "%48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63"                           \
                 "}, %64, %65, p, 1, 1, 0, 0;\n}"                                                                          \
                 : WGMMA_D8(0), WGMMA_D8(8), WGMMA_D8(16), WGMMA_D8(24), WGMMA_D8(32), WGMMA_D8(40), WGMMA_D8(48),         \
                   WGMMA_D8(56)                                                                                            \
                 : "l"(a), "l"(b))

// One m64nBNk16 step: d (BN / 2 accumulators per thread) += A (64 × 16) · B (BN × 16)ᵀ.
template <bool BF16, int BN>
__device__ __forceinline__ void wgmma_step(float (&d)[BN / 2], uint64_t a, uint64_t b) {
    if constexpr (BN == 256) {
        if constexpr (BF16) WGMMA_64x256x16("bf16");
        else WGMMA_64x256x16("f16");
    } else if constexpr (BN == 192) {
        if constexpr (BF16) WGMMA_64x192x16("bf16");
        else WGMMA_64x192x16("f16");
    } else {
        if constexpr (BF16) WGMMA_64x128x16("bf16");
        else WGMMA_64x128x16("f16");
    }
}

// A shared-memory descriptor of an MN-major operand with 128-byte swizzle (wgmma's B with imm-trans-b = 1): rows of the
// layout above are k indices, each holding 64 consecutive N values; `n_block_bytes` apart lie the next 64 N values
// (the leading byte offset), 1024 bytes apart the next 8 k rows (the stride byte offset).
__device__ __forceinline__ uint64_t mn_major_descriptor(uint32_t address, uint32_t n_block_bytes) {
    return uint64_t((address & 0x3FFFF) >> 4) | (uint64_t((n_block_bytes >> 4) & 0x3FFF) << 16) | (uint64_t(1024 >> 4) << 32) |
           (uint64_t(1) << 62);
}

// d[0..63] += A (64 × 16 fp16, from registers: per warp the A fragment of mma.sync m16n8k16) · B (16 × 128 fp16,
// MN-major, descriptor b).
__device__ __forceinline__ void wgmma_64x128x16_f16_rs_mn(float (&d)[64], const uint32_t (&a)[4], uint64_t b) {
    asm volatile("{\n .reg .pred p;\n setp.ne.b32 p, 1, 0;\n"
                 "wgmma.mma_async.sync.aligned.m64n128k16.f32.f16.f16 {"
                 "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, "
                 "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, "
                 "%32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, "
                 "%48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63"
                 "}, {%64, %65, %66, %67}, %68, p, 1, 1, 1;\n}"
                 : WGMMA_D8(0), WGMMA_D8(8), WGMMA_D8(16), WGMMA_D8(24), WGMMA_D8(32), WGMMA_D8(40), WGMMA_D8(48), WGMMA_D8(56)
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(b));
}

// The warpgroup's wgmma ordering: fence before the first wgmma that reads registers written since (accumulators, A),
// commit the issued ones as a group, wait until at most N groups are pending.
__device__ __forceinline__ void wgmma_fence() { asm volatile("wgmma.fence.sync.aligned;" ::: "memory"); }
__device__ __forceinline__ void wgmma_commit() { asm volatile("wgmma.commit_group.sync.aligned;" ::: "memory"); }
template <int N>
__device__ __forceinline__ void wgmma_wait() { asm volatile("wgmma.wait_group.sync.aligned %0;" ::"n"(N) : "memory"); }

// Keeps the compiler from moving reads or writes of these registers across this point (CUTLASS's
// warpgroup_fence_operand). After a wgmma_wait: the accumulators of the wgmmas it waited for may be read only from here
// on (the asm of a wgmma hands them back at issue). Before a wgmma_fence: whatever else writes a wgmma's accumulators or
// A registers (zeroing, rescaling, packing) is done before it, where the compiler could otherwise sink it past the fence
// into the pipeline, and ptxas would then serialize the wgmmas (its warning C7515).
template <int N>
__device__ __forceinline__ void fence_registers(float (&r)[N]) {
#pragma unroll
    for (int i = 0; i < N; i++) asm volatile("" : "+f"(r[i])::"memory");
}
template <int N, int M>
__device__ __forceinline__ void fence_registers(uint32_t (&r)[N][M]) {
#pragma unroll
    for (int i = 0; i < N; i++) {
#pragma unroll
        for (int j = 0; j < M; j++) asm volatile("" : "+r"(r[i][j])::"memory");
    }
}
