// The decode projections' kernel (matmul_tc.cu's skinny) and variants of it timed side by side on the Llama-3.1-8B
// shapes, each inside a CUDA graph of CALLS launches (as a replayed decode step runs them), weights rotated over
// copies that exceed L2 so HBM serves them. A variant is (kernel, k splits); a split launch includes its
// skinny_reduce (or, for last_cta_reduce, finishes the sums itself). Variants: stage counts, activations staged or read
// from global memory, the loads alone (no multiply), the split-K sums in the last CTA, and stream_read (every weight byte once, the read ceiling). Every computing variant's output is checked
// against the production kernel's unsplit output, NaN-poisoned first (the same sums up to the order of the splits'
// additions; bit-identical for an equal split). Prints JSON rows to stdout.
//
//   nvcc -O3 -std=c++17 -arch=sm_90 -I gpu-worker/src/main/cuda -o /tmp/skinny_bench gpu-worker/scripts/skinny_bench.cu
//   /tmp/skinny_bench [rows,rows,...]          (default 1,8,32)
//
// A benchmark harness for the device machine: it uses the CUDA runtime API, which the Java backend does not.
#include "matmul_tc.cu"
#include "graph_timing.cuh"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

struct Shape { const char* name; int out, in; };
static const Shape SHAPES[] = {{"qkv", 6144, 4096}, {"o", 4096, 4096}, {"gate_up", 28672, 4096}, {"down", 4096, 14336}, {"lm_head", 128256, 4096}};
constexpr int CALLS = 20, WARMUP = 3, TIMED = 9;
constexpr size_t ROTATION_BYTES = size_t(480) << 20;  // 8 × L2

typedef void (*Kernel)(const ProjectionParams, float*, int);

// Variants of the production kernel: matmul_tc.cu's skinny_rows template instantiated here.
template <int B, int S, bool LOADS_ONLY, bool STAGE_X>
__global__ void __launch_bounds__(SKINNY_WARPS * 32) rows_kernel(const ProjectionParams p, float* partials, int chunks_per_split) {
    skinny_rows<Bf16Operand, B, S, LOADS_ONLY, STAGE_X>(p, partials, chunks_per_split);
}
// The production kernel with its split-K sums finished by the last CTA of each 32-row column block instead of a second
// launch (skinny_reduce): after writing its partials, a CTA takes a ticket (one acq_rel atomic, as the decode attention's
// merge does); the last of the gridDim.y CTAs of a block adds the splits in split order, then the bias, and resets the
// ticket. The same sums in the same order as skinny_reduce: bit-identical, one launch a product instead of two.
__device__ int g_column_tickets[1 << 13];  // one per column block (lm_head: 4008), 0 between launches
template <int B>
__global__ void __launch_bounds__(SKINNY_WARPS * 32) last_cta_reduce(const ProjectionParams p, float* partials, int chunks_per_split) {
    skinny_rows<Bf16Operand, B, skinny_stages(B), false, true>(p, partials, chunks_per_split);
    if (gridDim.y == 1) return;  // one split: the epilogue stored the outputs
    __syncthreads();             // every thread's partials written before the ticket
    int arrived = -1;
    int* ticket = g_column_tickets + blockIdx.x;
    if (threadIdx.x == 0) asm volatile("atom.acq_rel.gpu.global.add.s32 %0, [%1], 1;" : "=r"(arrived) : "l"(ticket) : "memory");
    if (!__syncthreads_or(arrived == int(gridDim.y) - 1)) return;
    if (threadIdx.x == 0) *ticket = 0;
    const int row0 = blockIdx.x * 16 * SKINNY_TILES, outputs = p.rows * p.out;
    for (int e = threadIdx.x; e < 16 * SKINNY_TILES * p.rows; e += blockDim.x) {
        const int r = e / (16 * SKINNY_TILES), o = row0 + e % (16 * SKINNY_TILES);
        if (o >= p.out) continue;
        float sum = 0.f;
        for (int split = 0; split < int(gridDim.y); split++) sum += __ldcg(partials + size_t(split) * outputs + size_t(r) * p.out + o);
        projection_store(p, r, o, sum + (p.bias != nullptr ? p.bias[o] : 0.f));
    }
}
// The read ceiling: every byte of W once, 16-byte loads, consecutive lanes on consecutive bytes, grid-stride.
__global__ void __launch_bounds__(256) stream_read(const ProjectionParams p, float* sink, int) {
    const uint4* w = static_cast<const uint4*>(p.w);
    const size_t n = size_t(p.out) * p.in / 8, stride = size_t(gridDim.x) * blockDim.x;
    uint32_t acc = 0;
    size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
    for (; i + 3 * stride < n; i += 4 * stride) {
        uint4 v[4];
#pragma unroll
        for (int u = 0; u < 4; u++) v[u] = __ldcs(w + i + u * stride);
#pragma unroll
        for (int u = 0; u < 4; u++) acc ^= v[u].x ^ v[u].y ^ v[u].z ^ v[u].w;
    }
    for (; i < n; i += stride) { const uint4 v = __ldcs(w + i); acc ^= v.x ^ v.y ^ v.z ^ v.w; }
    if (acc == 0x12345678u) sink[0] = 1.f;  // never in practice; keeps the loads
}

struct Family {
    const char* name;
    Kernel b1, b2, b4;
    size_t s1, s2, s4;  // dynamic shared memory for 1, 2, 4 B tiles
    bool checks;        // computes the product (loads-only variants do not)
    bool reduces_itself = false;  // finishes its split-K sums (no skinny_reduce launch after it)
    Kernel pick(int tiles) const { return tiles == 1 ? b1 : tiles == 2 ? b2 : b4; }
    size_t shared_bytes(int tiles) const { return tiles == 1 ? s1 : tiles == 2 ? s2 : s4; }
};
#define ROWS(NAME, S, L, X) {NAME, rows_kernel<1, S, L, X>, rows_kernel<2, S, L, X>, rows_kernel<4, S, L, X>, \
    size_t(S) * rows_stage_bytes(1, X), size_t(S) * rows_stage_bytes(2, X), size_t(S) * rows_stage_bytes(4, X), !L}
static const Family FAMILIES[] = {
    {"skinny", skinny_bf16_b1, skinny_bf16_b2, skinny_bf16_b4, size_t(skinny_shared_bytes(1)), size_t(skinny_shared_bytes(2)),
     size_t(skinny_shared_bytes(4)), true},  // production
    {"skinny, last-CTA reduce", last_cta_reduce<1>, last_cta_reduce<2>, last_cta_reduce<4>, size_t(skinny_shared_bytes(1)),
     size_t(skinny_shared_bytes(2)), size_t(skinny_shared_bytes(4)), true, true},
    ROWS("x from global, 3 stages", 3, false, false), ROWS("x from global, 4 stages", 4, false, false),
    ROWS("loads only, 4 stages", 4, true, false),
    ROWS("x staged, 2 stages", 2, false, true), ROWS("x staged, 3 stages", 3, false, true), ROWS("x staged, 4 stages", 4, false, true),
    {"stream_read", stream_read, stream_read, stream_read, 0, 0, 0, false},
};

// The production split rule, as Matmul.skinnyChunksPerSplit (SkinnySplitRuleTest pins its 8B choices).
static int rule_chunks_per_split(int rows, int in, int out, int sms) {
    const int tiles = rows <= 8 ? 1 : rows <= 16 ? 2 : 4;
    const int chunks = (in + 31) / 32, stages = (chunks + 7) / 8, blocks = (out + 31) / 32;
    const long resident = long(std::min(8, 228 * 1024 / (skinny_shared_bytes(tiles) + 1024))) * sms;
    const long wanted = std::lround(double(resident) / blocks), fit = (1L << 20) / (long(std::max(rows, 1)) * out);
    const int splits = int(std::min(std::min(wanted, long(stages / 2)), fit));
    return splits <= 1 ? chunks : (stages + splits - 1) / splits * 8;
}

int main(int argc, char** argv) {
    std::vector<int> row_counts = {1, 8, 32};
    if (argc > 1) {
        row_counts.clear();
        for (char* t = strtok(argv[1], ","); t; t = strtok(nullptr, ",")) row_counts.push_back(atoi(t));
    }
    cudaDeviceProp prop;
    CHECK(cudaGetDeviceProperties(&prop, 0));
    const int sms = prop.multiProcessorCount;
    for (const Family& f : FAMILIES)
        for (int t : {1, 2, 4})
            if (f.shared_bytes(t)) CHECK(cudaFuncSetAttribute(f.pick(t), cudaFuncAttributeMaxDynamicSharedMemorySize, int(f.shared_bytes(t))));
    cudaStream_t stream;
    CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));

    printf("{\"benchmark\": \"skinny_bench: decode projection kernels in CUDA graphs of %d calls\", \"device\": \"%s\", \"sms\": %d, \"rows\": [\n",
           CALLS, prop.name, sms);
    bool first_row = true;
    for (const Shape& shape : SHAPES) {
        const size_t weight_bytes = size_t(shape.out) * shape.in * 2;
        const int copies = int(std::max<size_t>(1, std::min<size_t>(8, (ROTATION_BYTES + weight_bytes - 1) / weight_bytes)));
        std::vector<uint16_t*> weights(copies);
        {
            std::vector<uint16_t> host(size_t(shape.out) * shape.in);
            uint32_t state = 12345u + shape.out;
            for (auto& v : host) {  // bf16 in about [-0.03, 0.03]: random sign and mantissa, exponent near 2^-6
                state = state * 1664525u + 1013904223u;
                v = uint16_t(((state >> 16) & 0x807f) | 0x3c00);
            }
            for (auto& w : weights) {
                CHECK(cudaMalloc(&w, weight_bytes));
                CHECK(cudaMemcpy(w, host.data(), weight_bytes, cudaMemcpyHostToDevice));
            }
        }
        for (int rows : row_counts) {
            const int tiles = rows <= 8 ? 1 : rows <= 16 ? 2 : 4;
            float *x, *y, *reference, *partials;
            std::vector<float> hx(size_t(rows) * shape.in);
            for (size_t i = 0; i < hx.size(); i++) hx[i] = float((i * 2654435761u) % 2001) / 1000.f - 1.f;
            CHECK(cudaMalloc(&x, hx.size() * 4));
            CHECK(cudaMemcpy(x, hx.data(), hx.size() * 4, cudaMemcpyHostToDevice));
            CHECK(cudaMalloc(&y, size_t(rows) * shape.out * 4));
            CHECK(cudaMalloc(&reference, size_t(rows) * shape.out * 4));
            CHECK(cudaMalloc(&partials, size_t(16) * rows * shape.out * 4));
            const int chunks = (shape.in + 31) / 32;
            const int rule = rule_chunks_per_split(rows, shape.in, shape.out, sms);
            struct Variant { std::string name; const Family* family; int chunks_per_split; };
            std::vector<Variant> variants;
            for (const Family& f : FAMILIES) {
                const std::string name = f.name;
                if (name == "stream_read") { variants.push_back({name, &f, chunks}); continue; }
                if (name.rfind("skinny", 0) == 0) variants.push_back({name + " split=rule", &f, rule});
                for (int splits : {1, 2, 4}) {
                    if (!f.checks && splits == 4) continue;
                    int per = ((chunks + splits - 1) / splits + 7) / 8 * 8;
                    if (splits > 1 && per >= chunks) continue;
                    variants.push_back({name + " split=" + std::to_string(splits), &f, per});
                }
            }
            auto launch = [&](const Variant& v, const uint16_t* w, float* out) {
                ProjectionParams p{};
                p.x = x;
                p.w = w;
                p.bias = nullptr;
                p.y[0] = out;
                p.end[0] = p.end[1] = p.end[2] = shape.out;
                p.rows = rows;
                p.in = shape.in;
                p.out = shape.out;
                if (v.family->pick(tiles) == stream_read) {
                    stream_read<<<sms * 8, 256, 0, stream>>>(p, partials, 0);
                    return;
                }
                const int splits = (chunks + v.chunks_per_split - 1) / v.chunks_per_split;
                dim3 grid((shape.out + 31) / 32, splits);
                v.family->pick(tiles)<<<grid, 256, v.family->shared_bytes(tiles), stream>>>(p, partials, v.chunks_per_split);
                if (splits > 1 && v.family->checks && !v.family->reduces_itself) skinny_reduce<<<(rows * shape.out + 255) / 256, 256, 0, stream>>>(p, partials, splits);
            };
            // The reference: skinny, unsplit, on copy 0.
            launch(variants[1], weights[0], reference);  // skinny split=1
            CHECK(cudaStreamSynchronize(stream));
            std::vector<float> href(size_t(rows) * shape.out), hy(href.size());
            CHECK(cudaMemcpy(href.data(), reference, href.size() * 4, cudaMemcpyDeviceToHost));
            double ref_max = 0;
            for (float v : href) ref_max = std::max(ref_max, double(fabsf(v)));
            for (const Variant& v : variants) {
                CHECK(cudaMemset(y, 0xff, href.size() * 4));  // NaN poison
                launch(v, weights[0], y);
                CHECK(cudaStreamSynchronize(stream));
                CHECK(cudaGetLastError());
                CHECK(cudaMemcpy(hy.data(), y, hy.size() * 4, cudaMemcpyDeviceToHost));
                double max_diff = 0;
                bool finite = true;
                for (size_t i = 0; i < hy.size(); i++) {
                    if (!std::isfinite(hy[i])) finite = false;
                    max_diff = std::max(max_diff, double(fabsf(hy[i] - href[i])));
                }
                if (!v.family->checks) max_diff = -1, finite = true;  // loads only: no product to check
                const std::vector<float> times = time_graph_replays(stream, WARMUP, TIMED, [&](cudaStream_t) {
                    for (int i = 0; i < CALLS; i++) launch(v, weights[i % copies], y);
                });
                const double us = times[times.size() / 2] * 1000.0 / CALLS;
                const int splits = (chunks + v.chunks_per_split - 1) / v.chunks_per_split;
                printf("%s {\"shape\": \"%s\", \"rows\": %d, \"variant\": \"%s\", \"splits\": %d, \"ctas\": %d, \"us_per_call\": %.2f, "
                       "\"weight_tb_per_s\": %.3f, \"max_abs_diff\": %.3g, \"max_abs_ref\": %.3g, \"finite\": %s}",
                       first_row ? "" : ",\n", shape.name, rows, v.name.c_str(), splits, (shape.out + 31) / 32 * splits, us,
                       weight_bytes / us / 1e6, max_diff, ref_max, finite ? "true" : "false");
                first_row = false;
                fflush(stdout);
            }
            CHECK(cudaFree(x));
            CHECK(cudaFree(y));
            CHECK(cudaFree(reference));
            CHECK(cudaFree(partials));
        }
        for (auto w : weights) CHECK(cudaFree(w));
    }
    printf("\n]}\n");
    return 0;
}
