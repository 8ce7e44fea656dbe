// Reductions of a [rows][vocab] fp32 logits matrix that stays on the device, so that perplexity, fidelity and
// greedy decoding download a few numbers per token instead of rows × vocab floats (2.1 GB for a 4096-token window
// of a 128k vocabulary):
//   score_rows:   per row, the max logit, log Σ exp(x − max), the log-probability of a target id, the argmax;
//   compare_rows: per row of two matrices (reference, tested), KL(reference ‖ tested) and both argmaxes.
//
// Launch of both: grid (rows), LOGIT_THREADS = 256 threads, no dynamic shared memory. Block r reduces row r: its
// threads stride over the vocabulary (coalesced loads), one pass per statistic (max and argmax; then Σ exp; then,
// compare_rows only, the KL sum), each combined by a block reduction; thread 0 writes the row's results. A row is
// re-read per pass rather than held: 128k floats do not fit a CTA's shared memory, and the passes cost
// milliseconds against a forward pass of hundreds.
//
// The arithmetic is the CPU's, io.vecinfer.decoder.LogitStatistics: the max over the floats; exp, sums and
// logarithms in double; log p_i = (x_i − max) − log Σ; KL = max(0, Σ_{p_i > 0} p_i · (log p_i − log q_i)). Only
// the order of the double sums differs (and exp's last bit), so results agree to about vocab · 2^-53.
// NaN follows the CPU too: any NaN logit makes the row's max, log-sum and log-probabilities NaN, while the argmax
// is the CPU's scan (strict >, first index wins): 0 when x_0 is NaN, else the first index of the largest non-NaN.
//
// Mirrored field by field by io.vecinfer.cuda.ops.LogitReductions.params.
#include <climits>
#include <cstdint>
#include <math.h>

constexpr int LOGIT_THREADS = 256;
constexpr int LOGIT_WARPS = LOGIT_THREADS / 32;

struct LogitParams {
    const float* logits;       // [rows][vocab]: the rows scored; in compare_rows, the tested model's
    const float* reference;    // [rows][vocab]: compare_rows, the reference model's; unused by score_rows
    const int* targets;        // [rows]: score_rows, or null; an id outside [0, vocab) has no target (log-prob NaN)
    float* max;                // [rows]: score_rows, max logit (NaN when a logit is NaN)
    double* log_sum;           // [rows]: score_rows, log Σ exp(x − max)
    double* target_log_prob;   // [rows]: score_rows, (x_target − max) − log_sum
    int* argmax;               // [rows]: of logits, both kernels
    int* reference_argmax;     // [rows]: compare_rows, of reference
    double* kl;                // [rows]: compare_rows, KL(reference ‖ logits) in nats
    int rows, vocab;
};
static_assert(sizeof(LogitParams) == 80, "LogitReductions.params writes 9 pointers and 2 ints: 80 bytes");

// The first index of the largest non-NaN value seen so far; index INT_MAX means none yet.
struct Best {
    float value;
    int index;
};

__device__ __forceinline__ Best better(Best a, Best b) {
    if (b.index == INT_MAX) return a;
    if (a.index == INT_MAX) return b;
    return (b.value > a.value || (b.value == a.value && b.index < a.index)) ? b : a;
}

// Both block reductions end with every thread holding the result; every thread must call them (they synchronise).
__device__ Best block_best(Best v) {
    __shared__ Best partial[LOGIT_WARPS];
    const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
#pragma unroll
    for (int offset = 16; offset > 0; offset /= 2) {
        Best other{__shfl_xor_sync(0xffffffffu, v.value, offset), __shfl_xor_sync(0xffffffffu, v.index, offset)};
        v = better(v, other);
    }
    __syncthreads();  // partial[] may still be read by a previous call
    if (lane == 0) partial[warp] = v;
    __syncthreads();
    v = lane < LOGIT_WARPS ? partial[lane] : Best{-INFINITY, INT_MAX};
#pragma unroll
    for (int offset = 16; offset > 0; offset /= 2) {
        Best other{__shfl_xor_sync(0xffffffffu, v.value, offset), __shfl_xor_sync(0xffffffffu, v.index, offset)};
        v = better(v, other);
    }
    return v;
}

__device__ double block_sum_double(double v) {
    __shared__ double partial[LOGIT_WARPS];
    const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
#pragma unroll
    for (int offset = 16; offset > 0; offset /= 2) v += __shfl_xor_sync(0xffffffffu, v, offset);
    __syncthreads();
    if (lane == 0) partial[warp] = v;
    __syncthreads();
    v = lane < LOGIT_WARPS ? partial[lane] : 0.0;
#pragma unroll
    for (int offset = 16; offset > 0; offset /= 2) v += __shfl_xor_sync(0xffffffffu, v, offset);
    return v;
}

// A row's max (for the softmax: NaN if any logit is NaN) and argmax (the CPU's scan, see the top).
struct RowMax {
    double max;
    int argmax;
};

__device__ RowMax row_max(const float* __restrict__ row, int vocab) {
    Best best{-INFINITY, INT_MAX};
    bool nan = false;
    for (int i = threadIdx.x; i < vocab; i += LOGIT_THREADS) {
        const float x = row[i];
        if (isnan(x)) nan = true;
        else if (best.index == INT_MAX || x > best.value) best = Best{x, i};
    }
    best = block_best(best);
    nan = __syncthreads_or(nan);
    return RowMax{nan ? double(NAN) : double(best.value), isnan(row[0]) ? 0 : best.index};
}

// log Σ exp(x − max) in double, as LogitStatistics.logSum.
__device__ double row_log_sum(const float* __restrict__ row, int vocab, double max) {
    double sum = 0.0;
    for (int i = threadIdx.x; i < vocab; i += LOGIT_THREADS) sum += exp(double(row[i]) - max);
    return log(block_sum_double(sum));
}

extern "C" __global__ void __launch_bounds__(LOGIT_THREADS) score_rows(LogitParams p) {
    const size_t r = blockIdx.x;
    const float* row = p.logits + r * p.vocab;
    const RowMax m = row_max(row, p.vocab);
    const double log_sum = row_log_sum(row, p.vocab, m.max);
    if (threadIdx.x != 0) return;
    const int target = p.targets != nullptr ? p.targets[r] : -1;
    p.max[r] = float(m.max);
    p.log_sum[r] = log_sum;
    p.target_log_prob[r] = target >= 0 && target < p.vocab ? (double(row[target]) - m.max) - log_sum : double(NAN);
    p.argmax[r] = m.argmax;
}

extern "C" __global__ void __launch_bounds__(LOGIT_THREADS) compare_rows(LogitParams p) {
    const size_t r = blockIdx.x;
    const float* tested = p.logits + r * p.vocab;
    const float* reference = p.reference + r * p.vocab;
    const RowMax q = row_max(tested, p.vocab), ref = row_max(reference, p.vocab);
    const double log_sum_q = row_log_sum(tested, p.vocab, q.max), log_sum_p = row_log_sum(reference, p.vocab, ref.max);
    double kl = 0.0;
    for (int i = threadIdx.x; i < p.vocab; i += LOGIT_THREADS) {
        const double log_p = (double(reference[i]) - ref.max) - log_sum_p;
        const double prob = exp(log_p);
        // p > 0 as the CPU: a token the reference rules out adds nothing (and a NaN p is skipped, as there).
        if (prob > 0.0) kl += prob * (log_p - ((double(tested[i]) - q.max) - log_sum_q));
    }
    kl = block_sum_double(kl);
    if (threadIdx.x != 0) return;
    // Math.max(kl, 0.0): rounding can leave −1e-17 for identical rows; NaN stays NaN (fmax would drop it).
    p.kl[r] = kl > 0.0 || isnan(kl) ? kl : 0.0;
    p.argmax[r] = q.argmax;
    p.reference_argmax[r] = ref.argmax;
}
