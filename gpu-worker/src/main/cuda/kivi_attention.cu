// kivi_attention: split-KV attention of query tokens over a KIVI cache's encoded tokens, codes read packed with
// 16-byte loads and dequantized where they are used (x = zero + code · scale, from the codes and parameters
// kivi_encode wrote; layout io.vecinfer.cuda.kivi.KiviLayout, packing kivi_common.cuh). Query token i at position
// p = start + i attends positions [0, c(p)), c(p) = compressed_tokens(p + 1, R): what the CPU cache
// (io.vecinfer.quant.kivi.KiviKvCache) holds as codes when it attends token p. Each CTA writes the normalised output
// and the log-sum-exp of its range; io.vecinfer.cuda.vq.MergeStatesKernel (vq_merge.cu) merges the ranges, then the
// fp16 window. A range with no encoded token writes 0 and lse = -inf. Host twin: KiviAttentionKernel.reference.
//
// Launch: kivi_attend_k{KB}_v{VB}_h{H} (KB, VB container bits of keys and values, H heads per CTA: 2, 4 or 8), grid
// (rows · group_blocks, kv_heads, splits), KIVI_THREADS threads, dynamic shared memory
// tile_tokens · (value_words + 2 · value groups) · 4 bytes. Rows are (sequence, query token); the cache arrays hold
// [sequence][layer] slots (sequence s, layer l at s · layers + l), so one launch serves a batch. A CTA takes one row,
// one KV head, at most H heads of its GQA group (each code is dequantized once for all of them) and split z's range
// [z · split_positions, ...) of the row's c(p) positions (split_positions a multiple of R, so a range holds whole key
// groups). The range is walked by key group (a segment: positions sharing one per-channel zero and scale), and a
// segment in tiles of at most tile_tokens ≤ KIVI_THREADS positions:
//   per segment: qs[g][d] = q[g][d] · scale · key_scale[d] and qz[g] = Σ_d q[g][d] · scale · key_zero[d], so that a
//     score is qz + Σ_d qs[g][d] · code[d] (the key is never rebuilt);
//   1. thread t scores the tile's position t for every head (its key row in 16-byte loads), while all threads stage
//      the tile's value rows (16-byte loads) and value parameters in shared memory;
//   2. warp w does the online softmax of heads w, w + 4 (warp_softmax_tile) and their zero term
//      Σ_t p[g][t] · value_zero[t][vg] per value group;
//   3. thread (unit, part) owns U channels of every head and the part's positions t ≡ part: Σ_t (p · value_scale) ·
//      code, in registers across tiles; at the end the parts meet in shared memory in order.
// Arithmetic fp32 throughout (codes are exact small integers); only the order of sums differs from the reference.
#include <cstdint>
#include "numeric.cuh"
#include "attention_common.cuh"
#include "kivi_common.cuh"

constexpr int KIVI_THREADS = 128;
constexpr int KIVI_WARPS = KIVI_THREADS / 32;
constexpr int KIVI_MAX_HEAD_DIM = 256;   // padded channels of a row never exceed it (16-byte rows, head_dim ≤ 256)
constexpr int KIVI_MAX_VALUE_GROUPS = 32;

struct KiviAttentionParams {
    const float* q;              // [rows][query_heads][head_dim] fp32, post-RoPE
    const uint4* key_codes;      // packed rows, as kivi_encode writes them
    const uint4* value_codes;
    const float* key_params;     // {zero, scale} [slot][key group][head_dim]
    const float* value_params;   // {zero, scale} [slot][position][value groups]
    float* out;                  // [splits][rows · query_heads][head_dim]
    float* lse;                  // [splits][rows · query_heads]
    int start;                   // position of query token 0 of every sequence
    int tokens;                  // query tokens per sequence
    int layer;
    int layers;                  // layers per sequence
    int query_heads;
    int kv_heads;
    int head_dim;                // ≤ KIVI_MAX_HEAD_DIM
    int code_capacity;           // positions per slot, a multiple of R
    int window;                  // R
    int key_group;               // G
    int value_group;             // VG
    int key_words;               // code words per position, multiples of 4
    int value_words;
    int split_positions;         // positions per split, a multiple of R
    int tile_tokens;             // ≤ KIVI_THREADS
    float scale;
};
static_assert(sizeof(KiviAttentionParams) == 120, "KiviAttentionKernel.params mirrors this layout");

template <int KB, int VB, int H>
__device__ __forceinline__ void kivi_attend(const KiviAttentionParams& p) {
    constexpr int K_PER_WORD = 32 / KB, V_PER_WORD = 32 / VB;
    constexpr unsigned K_MASK = (1u << KB) - 1, V_MASK = (1u << VB) - 1;
    // Channels per thread in the value phase: at most 64 accumulators.
    constexpr int U = V_PER_WORD < 64 / H ? V_PER_WORD : 64 / H;
    __shared__ __align__(16) float qs[H][KIVI_MAX_HEAD_DIM];  // also the parts' sums at the end
    __shared__ float qz[H];
    __shared__ float probs[H][KIVI_THREADS];
    __shared__ float zero_acc[H][KIVI_MAX_VALUE_GROUPS];
    __shared__ float running_max[H], running_sum[H], rescale[H];
    extern __shared__ __align__(16) unsigned char dynamic[];

    const int d_count = p.head_dim, group = p.query_heads / p.kv_heads;
    const int group_blocks = (group + H - 1) / H;
    const int row = blockIdx.x / group_blocks, kv_head = blockIdx.y, split = blockIdx.z;
    const int first_head = kv_head * group + blockIdx.x % group_blocks * H;
    const int heads = min(H, group - int(blockIdx.x % group_blocks) * H);
    const int sequence = row / p.tokens, token = row % p.tokens;
    const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
    const int n = int(compressed_tokens((long long)p.start + token + 1, p.window));
    const int begin = min(n, split * p.split_positions), end = min(n, begin + p.split_positions);

    const int key_groups_per_block = (p.window + p.key_group - 1) / p.key_group;
    const int value_groups = (d_count + p.value_group - 1) / p.value_group;
    const long long slot = ((long long)sequence * p.layers + p.layer) * p.kv_heads + kv_head;
    const long long key_groups_per_head = (long long)p.code_capacity / p.window * key_groups_per_block;
    const uint4* key_rows = p.key_codes + slot * p.code_capacity * (p.key_words / 4);
    const uint4* value_rows = p.value_codes + slot * p.code_capacity * (p.value_words / 4);
    const float2* key_params = reinterpret_cast<const float2*>(p.key_params) + slot * key_groups_per_head * d_count;
    const float2* value_params = reinterpret_cast<const float2*>(p.value_params) + slot * p.code_capacity * value_groups;
    const float* q = p.q + ((long long)row * p.query_heads + first_head) * d_count;

    uint4* value_tile = reinterpret_cast<uint4*>(dynamic);                                          // [tile][value_words]
    float2* value_tile_params = reinterpret_cast<float2*>(dynamic + p.tile_tokens * p.value_words * 4); // [tile][groups]

    // The value phase's thread: U channels [channel0, channel0 + U) of word `word`, positions t ≡ part (mod parts).
    const int units = p.value_words * V_PER_WORD / U, parts = KIVI_THREADS / units;
    const int unit = threadIdx.x % units, part = threadIdx.x / units;
    const int channel0 = unit * U, word = channel0 / V_PER_WORD, shift0 = channel0 % V_PER_WORD * VB;
    const bool active = part < parts && channel0 < d_count;
    const bool one_value_group = channel0 / p.value_group == max(channel0, min(channel0 + U, d_count) - 1) / p.value_group;
    float acc[H][U];
#pragma unroll
    for (int g = 0; g < H; g++) {
#pragma unroll
        for (int e = 0; e < U; e++) acc[g][e] = 0.f;
    }
    if (threadIdx.x < H) {
        running_max[threadIdx.x] = -INFINITY;
        running_sum[threadIdx.x] = 0.f;
    }
    for (int e = threadIdx.x; e < H * KIVI_MAX_VALUE_GROUPS; e += KIVI_THREADS) zero_acc[e / KIVI_MAX_VALUE_GROUPS][e % KIVI_MAX_VALUE_GROUPS] = 0.f;

    for (int segment = begin; segment < end;) {
        const int block_start = segment / p.window * p.window, within = segment - block_start;
        const int segment_end = min(end, block_start + min(p.window, (within / p.key_group + 1) * p.key_group));
        const float2* zs = key_params + (long long)(segment / p.window * key_groups_per_block + within / p.key_group) * d_count;
        __syncthreads();  // the previous segment's scores are done with qs
        for (int e = threadIdx.x; e < H * p.key_words * K_PER_WORD; e += KIVI_THREADS) {
            const int g = e / (p.key_words * K_PER_WORD), d = e % (p.key_words * K_PER_WORD);
            qs[g][d] = g < heads && d < d_count ? __fmul_rn(__fmul_rn(q[g * d_count + d], p.scale), zs[d].y) : 0.f;
        }
        for (int g = warp; g < H; g += KIVI_WARPS) {
            float z = 0.f;
            if (g < heads) for (int d = lane; d < d_count; d += 32) z += __fmul_rn(q[g * d_count + d], p.scale) * zs[d].x;
            z = warp_sum(z);
            if (lane == 0) qz[g] = z;
        }
        __syncthreads();

        for (int tile_start = segment; tile_start < segment_end; tile_start += p.tile_tokens) {
            const int len = min(p.tile_tokens, segment_end - tile_start);
            // 1. Scores, one position per thread; the tile's value rows and parameters staged meanwhile.
            for (int e = threadIdx.x; e < len * (p.value_words / 4); e += KIVI_THREADS) {
                value_tile[e] = value_rows[(long long)tile_start * (p.value_words / 4) + e];
            }
            for (int e = threadIdx.x; e < len * value_groups; e += KIVI_THREADS) {
                value_tile_params[e] = value_params[(long long)tile_start * value_groups + e];
            }
            if (threadIdx.x < len) {
                const uint4* key = key_rows + (long long)(tile_start + threadIdx.x) * (p.key_words / 4);
                float dot[H];
#pragma unroll
                for (int g = 0; g < H; g++) dot[g] = qz[g];
                for (int chunk = 0; chunk < p.key_words / 4; chunk++) {
                    const uint4 raw = key[chunk];
                    const unsigned words[4] = {raw.x, raw.y, raw.z, raw.w};
#pragma unroll
                    for (int w = 0; w < 4; w++) {
#pragma unroll
                        for (int e = 0; e < K_PER_WORD; e += 4) {
                            const int d = (chunk * 4 + w) * K_PER_WORD + e;
                            float c[4];
#pragma unroll
                            for (int k = 0; k < 4; k++) c[k] = kivi_code_float((words[w] >> ((e + k) * KB)) & K_MASK);
#pragma unroll
                            for (int g = 0; g < H; g++) {
                                const float4 s = *reinterpret_cast<const float4*>(&qs[g][d]);
                                dot[g] = fmaf(s.x, c[0], fmaf(s.y, c[1], fmaf(s.z, c[2], fmaf(s.w, c[3], dot[g]))));
                            }
                        }
                    }
                }
#pragma unroll
                for (int g = 0; g < H; g++) probs[g][threadIdx.x] = dot[g];
            }
            __syncthreads();

            // 2. Online softmax and the zero term, warp w for heads w, w + KIVI_WARPS.
            for (int g = warp; g < heads; g += KIVI_WARPS) {
                warp_softmax_tile(probs[g], len, lane, running_max[g], running_sum[g], rescale[g]);
                __syncwarp();
                const float factor = rescale[g];
                for (int vg = 0; vg < value_groups; vg++) {
                    float z = 0.f;
                    for (int t = lane; t < len; t += 32) z = fmaf(probs[g][t], value_tile_params[t * value_groups + vg].x, z);
                    z = warp_sum(z);
                    if (lane == 0) zero_acc[g][vg] = fmaf(zero_acc[g][vg], factor, z);
                }
            }
            __syncthreads();

            // 3. Σ_t (p · value_scale) · code over the thread's positions, for its U channels of every head.
#pragma unroll
            for (int g = 0; g < H; g++) {
                const float factor = g < heads ? rescale[g] : 0.f;
#pragma unroll
                for (int e = 0; e < U; e++) acc[g][e] *= factor;
            }
            if (active) {
                for (int t = part; t < len; t += parts) {
                    const unsigned bits = reinterpret_cast<const unsigned*>(value_tile)[t * p.value_words + word] >> shift0;
                    float c[U];
#pragma unroll
                    for (int e = 0; e < U; e++) c[e] = kivi_code_float((bits >> (e * VB)) & V_MASK);
                    if (one_value_group) {
                        const float s = value_tile_params[t * value_groups + channel0 / p.value_group].y;
#pragma unroll
                        for (int g = 0; g < H; g++) {
                            const float w = probs[g][t] * s;
#pragma unroll
                            for (int e = 0; e < U; e++) acc[g][e] = fmaf(w, c[e], acc[g][e]);
                        }
                    } else {  // the unit spans value groups (VG not a multiple of U)
#pragma unroll
                        for (int e = 0; e < U; e++) {
                            const int d = min(channel0 + e, d_count - 1);
                            const float s = value_tile_params[t * value_groups + d / p.value_group].y;
#pragma unroll
                            for (int g = 0; g < H; g++) acc[g][e] = fmaf(probs[g][t] * s, c[e], acc[g][e]);
                        }
                    }
                }
            }
            __syncthreads();  // the tile's shared arrays are rewritten next
        }
        segment = segment_end;
    }

    // The parts' sums meet in qs, part by part (a fixed order).
    __syncthreads();
    for (int e = threadIdx.x; e < H * KIVI_MAX_HEAD_DIM; e += KIVI_THREADS) qs[e / KIVI_MAX_HEAD_DIM][e % KIVI_MAX_HEAD_DIM] = 0.f;
    __syncthreads();
    for (int turn = 0; turn < parts; turn++) {
        if (active && part == turn) {
#pragma unroll
            for (int g = 0; g < H; g++) {
#pragma unroll
                for (int e = 0; e < U; e++) if (channel0 + e < d_count) qs[g][channel0 + e] += acc[g][e];
            }
        }
        __syncthreads();
    }
    const long long states = (long long)gridDim.x / group_blocks * p.query_heads;
    const long long state0 = (long long)row * p.query_heads + first_head;
    for (int e = threadIdx.x; e < heads * d_count; e += KIVI_THREADS) {
        const int g = e / d_count, d = e % d_count;
        const float inv = running_sum[g] == 0.f ? 0.f : 1.f / running_sum[g];
        p.out[((long long)split * states + state0 + g) * d_count + d] = (qs[g][d] + zero_acc[g][d / p.value_group]) * inv;
    }
    if (threadIdx.x < heads) {
        p.lse[split * states + state0 + threadIdx.x] =
            running_sum[threadIdx.x] == 0.f ? -INFINITY : running_max[threadIdx.x] + logf(running_sum[threadIdx.x]);
    }
}

#define KIVI_ATTEND(KB, VB, H)                                                                                         \
    extern "C" __global__ void __launch_bounds__(KIVI_THREADS)                                                         \
        kivi_attend_k##KB##_v##VB##_h##H(const __grid_constant__ KiviAttentionParams p) {                            \
        kivi_attend<KB, VB, H>(p);                                                                                     \
    }
#define KIVI_ATTEND_HEADS(KB, VB) KIVI_ATTEND(KB, VB, 2) KIVI_ATTEND(KB, VB, 4) KIVI_ATTEND(KB, VB, 8)
#define KIVI_ATTEND_VALUES(KB) KIVI_ATTEND_HEADS(KB, 1) KIVI_ATTEND_HEADS(KB, 2) KIVI_ATTEND_HEADS(KB, 4) KIVI_ATTEND_HEADS(KB, 8)
KIVI_ATTEND_VALUES(1)
KIVI_ATTEND_VALUES(2)
KIVI_ATTEND_VALUES(4)
KIVI_ATTEND_VALUES(8)
