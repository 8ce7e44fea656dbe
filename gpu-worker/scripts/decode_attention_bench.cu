// The batch decode attention of attention_decode.cu (attend_decode_batch_d128: store, split and combine in one
// kernel) on Llama-3.1-8B heads (32 query heads, 8 KV heads, head_dim 128) at 4096 positions,
// timed as a replayed decode step runs it: a CUDA graph of 32 layers' launches, each layer its own rings (together
// far past L2, so HBM serves them). Variants, each timed beside the production launch in the same run:
//   - an empty kernel a layer (the graph's node floor);
//   - the split kernel with a phase left out (decode::SKIP_COMPUTE: loads and waits only; SKIP_MERGE: no merge);
//   - other ring depths (STAGES tiles a warp) and other split counts (one or two waves of resident CTAs);
//   - stream_read: every key and value byte of the layer once, 16-byte loads (the read ceiling).
// Every variant that computes attention is checked against a CPU reference of layer 0 (outputs NaN-poisoned first).
// Prints one JSON document to stdout.
//
//   nvcc -O3 -std=c++17 -arch=sm_90 -I gpu-worker/src/main/cuda -o /tmp/decode_attention_bench gpu-worker/scripts/decode_attention_bench.cu
//   /tmp/decode_attention_bench [batch,batch,...]        (default 1,8,32)
//   /tmp/decode_attention_bench --ncu BATCH               (the production launches of 4 layers, eagerly, for ncu)
//
// A benchmark harness for the device machine: it uses the CUDA runtime API, which the Java backend does not.
#include "attention_decode.cu"
#include "graph_timing.cuh"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

constexpr int LAYERS = 32, QUERY_HEADS = 32, KV_HEADS = 8, D = 128, POSITION = 4096, CAPACITY = 4608;
constexpr int WIDTH = KV_HEADS * D, WARMUP = 3, TIMED = 9, MAX_SPLITS = 1056;
constexpr int MIN_SPLIT = 256;  // DecodeAttention.MIN_SPLIT_POSITIONS
constexpr float SCALE = 0.08838834764831845f;  // 1/sqrt(128)

// The split kernel with STAGES tiles a warp and a phase left out (SKIP); production: SPLIT_STAGES, SKIP_NONE.
template <int STAGES, int SKIP>
__global__ void __launch_bounds__(decode::THREADS, STAGES <= 2 ? 3 : 2) split_variant(const __grid_constant__ BatchDecodeParams p) {
    attend_batch_split<D, STAGES, SKIP>(p);
}
__global__ void empty_kernel(const __grid_constant__ BatchDecodeParams) {}

// The read ceiling: the layer's attended key and value bytes, sequence by sequence (each ring's first POSITION + 1
// slots are contiguous), 16-byte streaming loads, grid-stride.
__global__ void __launch_bounds__(256) stream_read(const __grid_constant__ BatchDecodeParams p) {
    const size_t per_ring = size_t(POSITION + 1) * WIDTH / 8;  // uint4 per ring
    const size_t n = per_ring * 2 * p.batch, stride = size_t(gridDim.x) * blockDim.x;
    uint32_t acc = 0;
    for (size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
        const size_t ring = i / per_ring, at = i % per_ring;
        const __half* base = (ring & 1) ? p.value_rings[ring / 2] : p.key_rings[ring / 2];
        const uint4 v = __ldcs(reinterpret_cast<const uint4*>(base) + at);
        acc ^= v.x ^ v.y ^ v.z ^ v.w;
    }
    if (acc == 0x12345678u) p.out[0] = 1.f;  // never in practice; keeps the loads
}

__global__ void fill_halves(__half* x, size_t n, uint32_t seed) {
    for (size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += size_t(gridDim.x) * blockDim.x) {
        uint32_t h = uint32_t(i) * 2654435761u ^ seed;
        h ^= h >> 15;
        h *= 2246822519u;
        h ^= h >> 13;
        x[i] = __float2half_rn(float(h % 20001) / 10000.f - 1.f);
    }
}

struct Variant {
    std::string name;
    int splits, min_positions;
    std::function<void(const BatchDecodeParams&, cudaStream_t)> launch;  // one layer
    bool computes;                                                        // writes the attention to out
    int occupancy;                                                        // resident split CTAs per SM (0: n/a)
};

// The batch kernel with STAGES tiles a warp and a phase left out (SKIP); it is checked like the production launch
// when it computes (SKIP_NONE).
template <int STAGES, int SKIP>
Variant split_variant_of(const std::string& name, int splits, int min_positions) {
    constexpr int bytes = decode::mma_ring_bytes(D, STAGES);
    CHECK(cudaFuncSetAttribute(split_variant<STAGES, SKIP>, cudaFuncAttributeMaxDynamicSharedMemorySize, bytes));
    int occupancy = 0;
    CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&occupancy, split_variant<STAGES, SKIP>, decode::THREADS, bytes));
    return {name, splits, min_positions,
            [](const BatchDecodeParams& p, cudaStream_t s) {
                split_variant<STAGES, SKIP><<<dim3(p.splits, KV_HEADS, p.batch), decode::THREADS, bytes, s>>>(p);
            },
            SKIP == decode::SKIP_NONE, occupancy};
}

// The production launch of one layer (BatchDecodeAttention.storeAndAttend).
Variant production(const std::string& name, int splits, int min_positions) {
    constexpr int bytes = decode::mma_ring_bytes(D, decode::SPLIT_STAGES);
    CHECK(cudaFuncSetAttribute(attend_decode_batch_d128, cudaFuncAttributeMaxDynamicSharedMemorySize, bytes));
    int occupancy = 0;
    CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&occupancy, attend_decode_batch_d128, decode::THREADS, bytes));
    return {name, splits, min_positions,
            [](const BatchDecodeParams& p, cudaStream_t s) {
                attend_decode_batch_d128<<<dim3(p.splits, KV_HEADS, p.batch), decode::THREADS, bytes, s>>>(p);
            },
            true, occupancy};
}

// Layer 0's attention on the CPU: for each sequence and query head, softmax(q·k·scale) · v over positions [0, POSITION],
// the keys and values as stored (fp16), the new token's rounded to fp16 as the kernel stores it.
std::vector<float> reference(int batch, const std::vector<std::vector<__half>>& keys, const std::vector<std::vector<__half>>& values,
                             const std::vector<float>& q, const std::vector<float>& k, const std::vector<float>& v) {
    std::vector<float> out(size_t(batch) * QUERY_HEADS * D);
    std::vector<float> scores(POSITION + 1);
    for (int s = 0; s < batch; s++) {
        for (int h = 0; h < QUERY_HEADS; h++) {
            const int kv = h / (QUERY_HEADS / KV_HEADS);
            auto key = [&](int pos, int d) {
                return pos == POSITION ? __half2float(__float2half_rn(k[(size_t(s) * KV_HEADS + kv) * D + d]))
                                       : __half2float(keys[s][(size_t(pos) * KV_HEADS + kv) * D + d]);
            };
            auto value = [&](int pos, int d) {
                return pos == POSITION ? __half2float(__float2half_rn(v[(size_t(s) * KV_HEADS + kv) * D + d]))
                                       : __half2float(values[s][(size_t(pos) * KV_HEADS + kv) * D + d]);
            };
            const float* qs = &q[(size_t(s) * QUERY_HEADS + h) * D];
            double m = -1e300;
            for (int pos = 0; pos <= POSITION; pos++) {
                double dot = 0;
                for (int d = 0; d < D; d++) dot += double(qs[d]) * key(pos, d);
                scores[pos] = float(dot * SCALE);
                m = std::max(m, double(scores[pos]));
            }
            double sum = 0;
            std::vector<double> acc(D, 0.0);
            for (int pos = 0; pos <= POSITION; pos++) {
                const double w = std::exp(scores[pos] - m);
                sum += w;
                for (int d = 0; d < D; d++) acc[d] += w * value(pos, d);
            }
            for (int d = 0; d < D; d++) out[(size_t(s) * QUERY_HEADS + h) * D + d] = float(acc[d] / sum);
        }
    }
    return out;
}

int main(int argc, char** argv) {
    std::vector<int> batches = {1, 8, 32};
    int ncu_batch = 0;
    if (argc > 2 && !strcmp(argv[1], "--ncu")) {
        ncu_batch = atoi(argv[2]);
        batches = {ncu_batch};
    } else if (argc > 1) {
        batches.clear();
        for (char* t = strtok(argv[1], ","); t; t = strtok(nullptr, ",")) batches.push_back(atoi(t));
    }
    int sms;
    CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0));
    cudaDeviceProp prop;
    CHECK(cudaGetDeviceProperties(&prop, 0));
    cudaStream_t stream;
    CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
    if (!ncu_batch) {
        printf("{\"harness\": \"decode_attention_bench.cu\", \"device\": \"%s\", \"multiprocessors\": %d, \"layers\": %d, \"position\": %d, "
               "\"query_heads\": %d, \"kv_heads\": %d, \"head_dim\": %d, \"graph_replays_timed\": %d, \"rows\": [\n",
               prop.name, sms, LAYERS, POSITION, QUERY_HEADS, KV_HEADS, D, TIMED);
    }
    bool first_row = true;
    for (int batch : batches) {
        const size_t ring_halves = size_t(CAPACITY) * WIDTH;
        // Every layer's rings, one allocation: [layer][sequence][key, value][CAPACITY][WIDTH].
        __half* rings;
        CHECK(cudaMalloc(&rings, size_t(LAYERS) * batch * 2 * ring_halves * 2));
        fill_halves<<<sms * 8, 256, 0, stream>>>(rings, size_t(LAYERS) * batch * 2 * ring_halves, 0x9e3779b9u);
        auto ring = [&](int layer, int s, int kv) { return rings + ((size_t(layer) * batch + s) * 2 + kv) * ring_halves; };
        std::vector<float> hq(size_t(batch) * QUERY_HEADS * D), hk(size_t(batch) * WIDTH), hv(hk.size());
        srand(1234 + batch);
        for (auto* a : {&hq, &hk, &hv})
            for (float& x : *a) x = float(rand()) / RAND_MAX * 2.f - 1.f;
        float *q, *k, *v, *out, *partials;
        int *capacities, *positions, *tickets;
        __half** tables;
        CHECK(cudaMalloc(&q, hq.size() * 4));
        CHECK(cudaMalloc(&k, hk.size() * 4));
        CHECK(cudaMalloc(&v, hv.size() * 4));
        CHECK(cudaMalloc(&out, hq.size() * 4));
        const size_t partial_rows = size_t(batch) * QUERY_HEADS * MAX_SPLITS;
        CHECK(cudaMalloc(&partials, partial_rows * (D + 2) * 4));
        CHECK(cudaMemcpy(q, hq.data(), hq.size() * 4, cudaMemcpyHostToDevice));
        CHECK(cudaMemcpy(k, hk.data(), hk.size() * 4, cudaMemcpyHostToDevice));
        CHECK(cudaMemcpy(v, hv.data(), hv.size() * 4, cudaMemcpyHostToDevice));
        std::vector<int> hcap(batch, CAPACITY), hpos(batch, POSITION);
        CHECK(cudaMalloc(&capacities, batch * 4));
        CHECK(cudaMalloc(&positions, batch * 4));
        CHECK(cudaMalloc(&tickets, batch * KV_HEADS * 4));
        CHECK(cudaMemset(tickets, 0, batch * KV_HEADS * 4));
        CHECK(cudaMemcpy(capacities, hcap.data(), batch * 4, cudaMemcpyHostToDevice));
        CHECK(cudaMemcpy(positions, hpos.data(), batch * 4, cudaMemcpyHostToDevice));
        std::vector<__half*> htables(size_t(LAYERS) * 2 * batch);
        for (int l = 0; l < LAYERS; l++)
            for (int s = 0; s < batch; s++) {
                htables[(size_t(l) * 2 + 0) * batch + s] = ring(l, s, 0);
                htables[(size_t(l) * 2 + 1) * batch + s] = ring(l, s, 1);
            }
        CHECK(cudaMalloc(&tables, htables.size() * sizeof(__half*)));
        CHECK(cudaMemcpy(tables, htables.data(), htables.size() * sizeof(__half*), cudaMemcpyHostToDevice));
        auto params = [&](int layer, int splits, int min_positions) {
            BatchDecodeParams p{};
            p.q = q;
            p.k = k;
            p.v = v;
            p.key_rings = tables + (size_t(layer) * 2 + 0) * batch;
            p.value_rings = tables + (size_t(layer) * 2 + 1) * batch;
            p.capacities = capacities;
            p.positions = positions;
            p.partial_acc = partials;
            p.partial_max = partials + partial_rows * D;
            p.partial_sum = partials + partial_rows * (D + 1);
            p.out = out;
            p.lse = nullptr;
            p.tickets = tickets;
            p.batch = batch;
            p.query_heads = QUERY_HEADS;
            p.kv_heads = KV_HEADS;
            p.head_dim = D;
            p.splits = splits;
            p.min_split_positions = min_positions;
            p.window = 0;
            p.scale = SCALE;
            return p;
        };
        // BatchDecodeAttention.plan: one wave of 2 resident CTAs an SM, or two if one leaves a sequence a single range;
        // one row block of 8 (GQA 4:1 fills half of it).
        const int wave = 2 * sms;
        int plan = wave / (KV_HEADS * batch);
        if (plan < 2) plan = 2 * wave / (KV_HEADS * batch);
        plan = std::max(1, plan);
        if (ncu_batch) {
            Variant prod = production("production", plan, MIN_SPLIT);
            for (int l = 0; l < 4; l++) prod.launch(params(l, plan, MIN_SPLIT), stream);
            CHECK(cudaStreamSynchronize(stream));
            CHECK(cudaGetLastError());
            fprintf(stderr, "ncu launches done: batch %d, splits %d\n", batch, plan);
            return 0;
        }
        std::vector<Variant> variants;
        variants.push_back(production("production", plan, MIN_SPLIT));
        variants.push_back({"empty_x1", plan, MIN_SPLIT, [](const BatchDecodeParams& p, cudaStream_t s) { empty_kernel<<<1, 32, 0, s>>>(p); }, false, 0});
        variants.push_back({"stream_read", plan, MIN_SPLIT,
                            [sms](const BatchDecodeParams& p, cudaStream_t s) { stream_read<<<sms * 8, 256, 0, s>>>(p); }, false, 0});
        variants.push_back(split_variant_of<decode::SPLIT_STAGES, decode::SKIP_COMPUTE>("loads_only", plan, MIN_SPLIT));
        variants.push_back(split_variant_of<decode::SPLIT_STAGES, decode::SKIP_MERGE>("no_merge_no_combine", plan, MIN_SPLIT));
        variants.push_back(split_variant_of<decode::SPLIT_STAGES, decode::SKIP_COMPUTE | decode::SKIP_MERGE>("loads_only_no_merge_no_combine", plan, MIN_SPLIT));
        // Other ring depths at their own one-wave plans: 2 stages (3 CTAs an SM), 4 (1 CTA an SM).
        variants.push_back(split_variant_of<2, decode::SKIP_NONE>("stages=2", std::max(1, 3 * sms / (KV_HEADS * batch)), MIN_SPLIT));
        variants.push_back(split_variant_of<4, decode::SKIP_NONE>("stages=4", std::max(1, sms / (KV_HEADS * batch)), MIN_SPLIT));
        std::vector<std::pair<int, int>> cuts;  // (splits, min positions) besides the plan's
        if (batch == 1) cuts = {{8, 64}, {12, 64}, {16, 64}, {24, 64}, {33, 64}, {66, 64}};
        else if (batch == 8) cuts = {{2, 64}, {3, 64}, {8, 64}};
        else cuts = {{1, 64}, {3, 64}, {4, 64}};
        for (auto [splits, min_positions] : cuts) {
            variants.push_back(production("production splits=" + std::to_string(splits) + " min=" + std::to_string(min_positions), splits,
                                          min_positions));
        }
        // Layer 0 on the CPU, as stored: the rings' first POSITION slots (the new token's slot is written by the store).
        std::vector<std::vector<__half>> hkeys(batch), hvalues(batch);
        for (int s = 0; s < batch; s++) {
            hkeys[s].resize(size_t(POSITION) * WIDTH);
            hvalues[s].resize(size_t(POSITION) * WIDTH);
            CHECK(cudaMemcpy(hkeys[s].data(), ring(0, s, 0), hkeys[s].size() * 2, cudaMemcpyDeviceToHost));
            CHECK(cudaMemcpy(hvalues[s].data(), ring(0, s, 1), hvalues[s].size() * 2, cudaMemcpyDeviceToHost));
        }
        const std::vector<float> ref = reference(batch, hkeys, hvalues, hq, hk, hv);
        const double bytes = double(batch) * (POSITION + 1) * WIDTH * 2 * 2;  // keys and values, fp16
        for (const Variant& var : variants) {
            double max_diff = -1;
            bool finite = true;
            CHECK(cudaMemset(tickets, 0, batch * KV_HEADS * 4));  // a variant that skips the combine leaves them unused
            if (var.computes) {
                CHECK(cudaMemset(out, 0xff, hq.size() * 4));  // NaN poison
                var.launch(params(0, var.splits, var.min_positions), stream);
                CHECK(cudaStreamSynchronize(stream));
                CHECK(cudaGetLastError());
                std::vector<float> got(hq.size());
                CHECK(cudaMemcpy(got.data(), out, got.size() * 4, cudaMemcpyDeviceToHost));
                max_diff = 0;
                for (size_t i = 0; i < got.size(); i++) {
                    if (!std::isfinite(got[i])) finite = false;
                    max_diff = std::max(max_diff, double(fabsf(got[i] - ref[i])));
                }
            }
            const std::vector<float> times = time_graph_replays(stream, WARMUP, TIMED, [&](cudaStream_t s) {
                for (int l = 0; l < LAYERS; l++) var.launch(params(l, var.splits, var.min_positions), s);
            });
            const double us = times[times.size() / 2] * 1000.0 / LAYERS;
            // sequence_splits of attention_decode.cu at window 0
            const int span = POSITION + 1, per = std::max(var.min_positions, (span + var.splits - 1) / var.splits);
            const int used = (span + per - 1) / per;
            printf("%s {\"batch\": %d, \"variant\": \"%s\", \"splits\": %d, \"min_split_positions\": %d, \"used_splits\": %d, "
                   "\"split_ctas\": %d, \"resident_split_ctas_per_sm\": %d, \"us_per_layer\": %.2f, \"min_us\": %.2f, \"max_us\": %.2f, "
                   "\"kv_tb_per_s\": %.3f, \"max_abs_diff\": %.3g, \"finite\": %s}",
                   first_row ? "" : ",\n", batch, var.name.c_str(), var.splits, var.min_positions, used, used * KV_HEADS * batch,
                   var.occupancy, us, times.front() * 1000.0 / LAYERS, times.back() * 1000.0 / LAYERS, bytes / us / 1e6, max_diff,
                   finite ? "true" : "false");
            first_row = false;
            fflush(stdout);
        }
        for (void* p : std::initializer_list<void*>{rings, q, k, v, out, partials, capacities, positions, tickets, tables}) CHECK(cudaFree(p));
    }
    printf("\n]}\n");
    return 0;
}
