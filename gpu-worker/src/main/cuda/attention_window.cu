// Attention over an fp16 ring of recent keys and values: the fp16 dense cache (window 0: every token so far)
// and, later, the residual window of a VQ cache (window R), whose compressed part is merged by log-sum-exp.
//
// Ring layout, per layer: ring[slot][kv_head][d] in fp16, slot = position % capacity. Positions are absolute
// token indices of the sequence. A caller stores a chunk's keys/values first, then attends with the chunk's
// queries; each query bounds its own range, so the result is causal and equals token-by-token append/attend
// as long as the ring holds every position that any query of the chunk still reads.
//
// store_kv: grid (ceil(width / 256), tokens), 256 threads; width = kv_heads × head_dim. One thread per element.
// store_kv_batch: the same for the rows of many sequences in one launch (a prefill pass of a batch), each row into its
//   own sequence's ring: grid (ceil(width / 256), rows), 256 threads, StoreBatchParams (below), whose tables are those of
//   the batch prefill attention (io.vecinfer.cuda.attention.BatchPrefillAttention).
// attend_window: grid (tokens, kv_heads, ceil(group / MAX_GROUP)), THREADS threads, static shared memory only.
//   One CTA per (query token, KV head, block of at most MAX_GROUP query heads of its GQA group), so each key and
//   value is read once for the whole group. Keys are visited in tiles of TILE positions:
//     1. thread t scores position tile_start + t against every head of the block (fp32 dot over head_dim);
//     2. warp g updates head g's online softmax (max m, sum l) and turns the tile's scores into exp(s - m);
//     3. threads own (head, d) output elements and add Σ_t p[g][t] · v[t][d] after rescaling by exp(m_old - m).
//   Output: out[i][h][d] = normalised attention (fp32), lse[i][h] = m + log l (natural log; lse may be null).
#include "numeric.cuh"
#include "attention_common.cuh"

constexpr int THREADS = 256;
constexpr int TILE = THREADS;      // one position per thread when scoring
constexpr int MAX_GROUP = 8;       // heads per CTA: one warp each in step 2 (THREADS / 32 warps)
constexpr int MAX_HEAD_DIM = 256;  // head_dim must be a multiple of 8 (16-byte key loads) and at most this

// Element e of row `row` of k and v, rounded to fp16, into slot `slot` of the rings.
__device__ __forceinline__ void store_element(const float* __restrict__ k, const float* __restrict__ v, __half* __restrict__ key_ring,
                                              __half* __restrict__ value_ring, size_t row, size_t slot, int width, int e) {
    key_ring[slot * width + e] = __float2half_rn(k[row * width + e]);
    value_ring[slot * width + e] = __float2half_rn(v[row * width + e]);
}

extern "C" __global__ void store_kv(const float* __restrict__ k, const float* __restrict__ v, __half* __restrict__ key_ring,
                                    __half* __restrict__ value_ring, int start, int capacity, int width) {
    const int e = blockIdx.x * blockDim.x + threadIdx.x;
    if (e >= width) return;
    const size_t t = blockIdx.y;
    store_element(k, v, key_ring, value_ring, t, (size_t(start) + t) % size_t(capacity), width, e);
}

// store_kv_batch's parameters (BatchPrefillAttention.storeParams mirrors them field by field).
struct StoreBatchParams {
    const float* k;               // [rows][width] fp32, sequence s's rows from row_starts[s]
    const float* v;
    __half* const* key_rings;     // [sequences]: this layer's ring of each sequence, [capacity][width] fp16
    __half* const* value_rings;   // [sequences]
    const int* capacities;        // [sequences]: their slots
    const int* starts;            // [sequences]: the position of each sequence's first row
    const int* row_starts;        // [sequences + 1]: sequence s has rows [row_starts[s], row_starts[s + 1])
    int sequences;
    int width;                    // kv_heads × head_dim
};
static_assert(sizeof(StoreBatchParams) == 64, "BatchPrefillAttention.storeParams mirrors this layout");

extern "C" __global__ void store_kv_batch(const __grid_constant__ StoreBatchParams b) {
    const int e = blockIdx.x * blockDim.x + threadIdx.x;
    if (e >= b.width) return;
    const int row = blockIdx.y;
    // The row's sequence, the last s with row_starts[s] ≤ row (so a sequence of no rows is never it): a binary search,
    // the same for the whole CTA, over a few dozen entries at most.
    int s = 0, last = b.sequences - 1;
    while (s < last) {
        const int mid = (s + last + 1) / 2;
        if (b.row_starts[mid] <= row) s = mid;
        else last = mid - 1;
    }
    const size_t slot = (size_t(b.starts[s]) + size_t(row - b.row_starts[s])) % size_t(b.capacities[s]);
    store_element(b.k, b.v, b.key_rings[s], b.value_rings[s], row, slot, b.width, e);
}

extern "C" __global__ void __launch_bounds__(THREADS)
attend_window(const float* __restrict__ q, const __half* __restrict__ key_ring, const __half* __restrict__ value_ring,
              float* __restrict__ out, float* __restrict__ lse, int start, int capacity, int window, int query_heads,
              int kv_heads, int head_dim, float scale) {
    __shared__ float queries[MAX_GROUP][MAX_HEAD_DIM];
    __shared__ float acc[MAX_GROUP][MAX_HEAD_DIM];
    __shared__ float probs[MAX_GROUP][TILE];
    __shared__ float running_max[MAX_GROUP], running_sum[MAX_GROUP], rescale[MAX_GROUP];

    const int i = blockIdx.x, kv_head = blockIdx.y;
    const int group = query_heads / kv_heads;
    const int first_head = kv_head * group + blockIdx.z * MAX_GROUP;
    const int heads = min(MAX_GROUP, group - int(blockIdx.z) * MAX_GROUP);
    const int width = kv_heads * head_dim;
    const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;

    const long long position = (long long)start + i;
    const long long lo = window_start(position, window);
    const int n = int(position + 1 - lo);  // positions lo..position, never empty

    for (int e = threadIdx.x; e < heads * head_dim; e += THREADS) {
        const int g = e / head_dim, d = e % head_dim;
        queries[g][d] = q[(size_t(i) * query_heads + first_head + g) * head_dim + d];
        acc[g][d] = 0.f;
    }
    if (threadIdx.x < MAX_GROUP) {
        running_max[threadIdx.x] = -INFINITY;
        running_sum[threadIdx.x] = 0.f;
    }
    __syncthreads();

    const __half* keys = key_ring + size_t(kv_head) * head_dim;
    const __half* values = value_ring + size_t(kv_head) * head_dim;
    for (int tile_start = 0; tile_start < n; tile_start += TILE) {
        const int len = min(TILE, n - tile_start);
        const size_t first_slot = size_t(lo + tile_start) % size_t(capacity);

        // 1. Scores of this tile, one position per thread, all heads of the block at once.
        if (threadIdx.x < len) {
            const size_t slot = (first_slot + threadIdx.x) % size_t(capacity);
            const __half* key = keys + slot * width;
            float dot[MAX_GROUP];
#pragma unroll
            for (int g = 0; g < MAX_GROUP; g++) dot[g] = 0.f;
            for (int d = 0; d < head_dim; d += 8) {
                const uint4 raw = *reinterpret_cast<const uint4*>(key + d);
                float kd[8];
                F16::unpack(raw, kd);
#pragma unroll
                for (int g = 0; g < MAX_GROUP; g++) {
                    if (g < heads) {
#pragma unroll
                        for (int j = 0; j < 8; j++) dot[g] += queries[g][d + j] * kd[j];
                    }
                }
            }
#pragma unroll
            for (int g = 0; g < MAX_GROUP; g++) {
                if (g < heads) probs[g][threadIdx.x] = dot[g] * scale;
            }
        }
        __syncthreads();

        // 2. Online softmax bookkeeping, warp g for head g.
        if (warp < heads) warp_softmax_tile(probs[warp], len, lane, running_max[warp], running_sum[warp], rescale[warp]);
        __syncthreads();

        // 3. Weighted values: each thread owns output elements (g, d); a warp reads consecutive d (coalesced).
        for (int e = threadIdx.x; e < heads * head_dim; e += THREADS) {
            const int g = e / head_dim, d = e % head_dim;
            float a = acc[g][d] * rescale[g];
            size_t slot = first_slot;
            for (int t = 0; t < len; t++) {
                a += probs[g][t] * __half2float(values[slot * width + d]);
                if (++slot == size_t(capacity)) slot = 0;
            }
            acc[g][d] = a;
        }
        __syncthreads();  // probs and rescale are rewritten by the next tile
    }

    for (int e = threadIdx.x; e < heads * head_dim; e += THREADS) {
        const int g = e / head_dim, d = e % head_dim;
        const float inv = running_sum[g] == 0.f ? 0.f : 1.f / running_sum[g];
        out[(size_t(i) * query_heads + first_head + g) * head_dim + d] = acc[g][d] * inv;
    }
    if (lse != nullptr && threadIdx.x < heads) {
        lse[size_t(i) * query_heads + first_head + threadIdx.x] = running_max[threadIdx.x] + logf(running_sum[threadIdx.x]);
    }
}
