// vq_merge: log-sum-exp merges of attention states over disjoint token sets (io.vecinfer.cuda.vq.MergeStatesKernel).
//
// merge_states / merge_splits: grid (states), block 128, no shared memory. State = (row, query head):
//   o = Σ_p e^{lse_p − M} o_p / Σ_p e^{lse_p − M}, lse = M + log Σ_p e^{lse_p − M}, M = max_p lse_p;
//   parts with lse = −inf weigh nothing, and all −inf gives o = 0, lse = −inf. merge_states takes two
//   parts in separate arrays (e.g. the compressed part and the fp16 window part) and may write over
//   the first; merge_splits takes `parts` partials in one array [part][state][head_dim].
// Layouts: o fp32 [state][head_dim], lse fp32 [state].
#include <math_constants.h>

// The parts of one merge, read through an accessor so that both entry points share the arithmetic.
struct VqTwoParts {
    const float *o1, *lse1, *o2, *lse2;
    int head_dim;
    __device__ float lse(int p, long long state) const { return p == 0 ? lse1[state] : lse2[state]; }
    __device__ float o(int p, long long state, int d) const { return (p == 0 ? o1 : o2)[state * head_dim + d]; }
};

struct VqSplitParts {
    const float *o_parts, *lse_parts;
    long long states;
    int head_dim;
    __device__ float lse(int p, long long state) const { return lse_parts[p * states + state]; }
    __device__ float o(int p, long long state, int d) const { return o_parts[(p * states + state) * head_dim + d]; }
};

template <class Parts>
__device__ void vq_merge(const Parts& parts, int count, int head_dim, float* o, float* lse) {
    const long long state = blockIdx.x;
    float m = -CUDART_INF_F;
    for (int p = 0; p < count; p++) m = fmaxf(m, parts.lse(p, state));
    float sum = 0.f;
    if (m != -CUDART_INF_F) {
        for (int p = 0; p < count; p++) {
            const float l = parts.lse(p, state);
            if (l != -CUDART_INF_F) sum = __fadd_rn(sum, expf(l - m));
        }
    }
    __syncthreads(); // every thread has read the lse parts before thread 0 may overwrite part 0's
    for (int d = threadIdx.x; d < head_dim; d += blockDim.x) {
        float acc = 0.f;
        if (m != -CUDART_INF_F) {
            for (int p = 0; p < count; p++) {
                const float l = parts.lse(p, state);
                if (l != -CUDART_INF_F) acc = fmaf(expf(l - m), parts.o(p, state, d), acc);
            }
            acc = __fdiv_rn(acc, sum);
        }
        o[state * head_dim + d] = acc;
    }
    __syncthreads(); // and every thread has finished with them before it does
    if (threadIdx.x == 0) lse[state] = m == -CUDART_INF_F ? -CUDART_INF_F : m + logf(sum);
}

extern "C" __global__ void merge_states(const float* o1, const float* lse1, const float* o2, const float* lse2,
                                        int head_dim, float* o, float* lse) {
    vq_merge(VqTwoParts{o1, lse1, o2, lse2, head_dim}, 2, head_dim, o, lse);
}

extern "C" __global__ void merge_splits(const float* o_parts, const float* lse_parts, int parts, long long states,
                                        int head_dim, float* o, float* lse) {
    vq_merge(VqSplitParts{o_parts, lse_parts, states, head_dim}, parts, head_dim, o, lse);
}
