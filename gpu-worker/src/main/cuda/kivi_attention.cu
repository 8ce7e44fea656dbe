// kivi_attention: attention of new query tokens over a KIVI cache's compressed tokens, the dequantization fused into
// the score and value loops (x = zero + code · scale, read from the codes and parameters kivi_encode wrote; layout
// io.vecinfer.cuda.kivi.KiviLayout). Query token i at position p = start + i attends positions [0, c(p)),
// c(p) = compressed_tokens(p + 1, R): what the CPU cache (io.vecinfer.quant.kivi.KiviKvCache) holds as codes when it
// attends token p. It writes the normalised output and the log-sum-exp, for the log-sum-exp merge with the fp16
// window (io.vecinfer.cuda.vq.MergeStatesKernel); a query with no compressed token writes 0 and lse = -inf.
// Host twin: io.vecinfer.cuda.kivi.KiviAttentionKernel.reference.
//
// Launch: grid (tokens, kv_heads, ceil(group / KIVI_MAX_GROUP)), KIVI_THREADS threads, static shared memory only.
// One CTA per (query token, KV head, block of at most KIVI_MAX_GROUP heads of its GQA group), so each code is
// dequantized once for the whole group. Positions are visited in tiles of KIVI_TILE:
//   1. thread t dequantizes the key of position tile_start + t channel by channel and scores it for every head;
//   2. warp g updates head g's online softmax (max m, sum l) and turns the tile's scores into exp(s - m);
//   3. threads own (head, d) output elements and add Σ_t p[g][t] · v[t][d], v dequantized, after rescaling.
// Codes are uint8 (one per element: bits ≤ 8); packing them to their width is a footprint question the CPU counts.
#include "numeric.cuh"
#include "attention_common.cuh"

constexpr int KIVI_THREADS = 256;
constexpr int KIVI_TILE = KIVI_THREADS;
constexpr int KIVI_MAX_GROUP = 8;
constexpr int KIVI_MAX_HEAD_DIM = 256;

struct KiviAttentionParams {
    const float* q;                   // [tokens][query_heads][head_dim] fp32, post-RoPE
    const unsigned char* key_codes;   // as kivi_encode writes them
    const unsigned char* value_codes;
    const float* key_params;
    const float* value_params;
    float* out;                       // [tokens][query_heads][head_dim]
    float* lse;                       // [tokens][query_heads]
    int start;                        // position of query token 0
    int layer;
    int query_heads;
    int kv_heads;
    int head_dim;                     // ≤ KIVI_MAX_HEAD_DIM
    int code_capacity;                // positions per (layer, kv_head), a multiple of R
    int window;                       // R
    int key_group;                    // G
    int value_group;                  // VG
    float scale;
};
static_assert(sizeof(KiviAttentionParams) == 96, "KiviAttentionKernel.params mirrors this layout");

extern "C" __global__ void __launch_bounds__(KIVI_THREADS) kivi_attend(const __grid_constant__ KiviAttentionParams p) {
    __shared__ float queries[KIVI_MAX_GROUP][KIVI_MAX_HEAD_DIM];
    __shared__ float acc[KIVI_MAX_GROUP][KIVI_MAX_HEAD_DIM];
    __shared__ float probs[KIVI_MAX_GROUP][KIVI_TILE];
    __shared__ float running_max[KIVI_MAX_GROUP], running_sum[KIVI_MAX_GROUP], rescale[KIVI_MAX_GROUP];

    const int i = blockIdx.x, kv_head = blockIdx.y, d_count = p.head_dim;
    const int group = p.query_heads / p.kv_heads;
    const int first_head = kv_head * group + blockIdx.z * KIVI_MAX_GROUP;
    const int heads = min(KIVI_MAX_GROUP, group - int(blockIdx.z) * KIVI_MAX_GROUP);
    const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
    const int n = int(compressed_tokens((long long)p.start + i + 1, p.window));

    const int key_groups_per_block = (p.window + p.key_group - 1) / p.key_group;
    const int value_groups = (d_count + p.value_group - 1) / p.value_group;
    const long long slot = (long long)p.layer * p.kv_heads + kv_head;
    const long long key_groups_per_head = (long long)p.code_capacity / p.window * key_groups_per_block;
    const unsigned char* key_codes = p.key_codes + slot * p.code_capacity * d_count;
    const unsigned char* value_codes = p.value_codes + slot * p.code_capacity * d_count;
    const float2* key_params = reinterpret_cast<const float2*>(p.key_params) + slot * key_groups_per_head * d_count;
    const float2* value_params = reinterpret_cast<const float2*>(p.value_params) + slot * p.code_capacity * value_groups;

    for (int e = threadIdx.x; e < heads * d_count; e += KIVI_THREADS) {
        const int g = e / d_count, d = e % d_count;
        queries[g][d] = p.q[((long long)i * p.query_heads + first_head + g) * d_count + d];
        acc[g][d] = 0.f;
    }
    if (threadIdx.x < KIVI_MAX_GROUP) {
        running_max[threadIdx.x] = -INFINITY;
        running_sum[threadIdx.x] = 0.f;
    }
    __syncthreads();

    for (int tile_start = 0; tile_start < n; tile_start += KIVI_TILE) {
        const int len = min(KIVI_TILE, n - tile_start);

        // 1. Scores, one position per thread, every head of the block; the key dequantized channel by channel.
        if (threadIdx.x < len) {
            const int j = tile_start + threadIdx.x;
            const int key_group = j / p.window * key_groups_per_block + j % p.window / p.key_group;
            const unsigned char* code = key_codes + (long long)j * d_count;
            const float2* params = key_params + (long long)key_group * d_count;
            float dot[KIVI_MAX_GROUP];
#pragma unroll
            for (int g = 0; g < KIVI_MAX_GROUP; g++) dot[g] = 0.f;
            for (int d = 0; d < d_count; d++) {
                const float2 zs = params[d];
                const float k = __fadd_rn(zs.x, __fmul_rn(float(code[d]), zs.y));
#pragma unroll
                for (int g = 0; g < KIVI_MAX_GROUP; g++) {
                    if (g < heads) dot[g] += queries[g][d] * k;
                }
            }
#pragma unroll
            for (int g = 0; g < KIVI_MAX_GROUP; g++) {
                if (g < heads) probs[g][threadIdx.x] = dot[g] * p.scale;
            }
        }
        __syncthreads();

        // 2. Online softmax bookkeeping, warp g for head g.
        if (warp < heads) warp_softmax_tile(probs[warp], len, lane, running_max[warp], running_sum[warp], rescale[warp]);
        __syncthreads();

        // 3. Weighted values, dequantized: each thread owns output elements (g, d); a warp reads consecutive d.
        for (int e = threadIdx.x; e < heads * d_count; e += KIVI_THREADS) {
            const int g = e / d_count, d = e % d_count, value_group = d / p.value_group;
            float a = acc[g][d] * rescale[g];
            for (int t = 0; t < len; t++) {
                const long long j = tile_start + t;
                const float2 zs = value_params[j * value_groups + value_group];
                a += probs[g][t] * __fadd_rn(zs.x, __fmul_rn(float(value_codes[j * d_count + d]), zs.y));
            }
            acc[g][d] = a;
        }
        __syncthreads();  // probs and rescale are rewritten by the next tile
    }

    for (int e = threadIdx.x; e < heads * d_count; e += KIVI_THREADS) {
        const int g = e / d_count, d = e % d_count;
        const float inv = running_sum[g] == 0.f ? 0.f : 1.f / running_sum[g];
        p.out[((long long)i * p.query_heads + first_head + g) * d_count + d] = acc[g][d] * inv;
    }
    if (threadIdx.x < heads) {
        p.lse[(long long)i * p.query_heads + first_head + threadIdx.x] =
            n == 0 ? -INFINITY : running_max[threadIdx.x] + logf(running_sum[threadIdx.x]);
    }
}
