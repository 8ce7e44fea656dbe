// Host emulation of kivi_attention.cu's split-KV kernels, for checking their indexing, barriers and arithmetic without a
// GPU: 128 std::threads per CTA meeting at a CTA barrier (__syncthreads) and 32-thread warp barriers (__syncwarp, and
// the xor shuffles of warp_sum / warp_max, so a partial-warp shuffle hangs here too); CTAs one at a time, so the
// kernel's static __shared__ arrays are its shared memory; the dynamic shared memory filled with garbage before each
// CTA; outputs NaN-poisoned. Random packed codes and parameters; the splits merged on the host and compared with a
// dequantize-then-attend reference in double, within 1e-4. Run by run.sh.
#include <barrier>
#include <thread>
#include <cmath>
#include <cstring>
#include <cstdint>
#include <algorithm>
struct U3 { unsigned x, y, z; };
inline thread_local U3 threadIdx, blockIdx;
inline U3 gridDim, blockDim;
inline std::barrier<>* cta_barrier;
inline std::barrier<>* warp_barrier[32];
inline float xch[1024];
alignas(16) inline unsigned char g_dynamic[64 * 1024];
#define __syncthreads() cta_barrier->arrive_and_wait()
inline void __syncwarp() { warp_barrier[threadIdx.x / 32]->arrive_and_wait(); }
inline float __shfl_xor_sync(unsigned, float v, int m) {
    xch[threadIdx.x] = v; __syncwarp(); float r = xch[threadIdx.x ^ m]; __syncwarp(); return r;
}
#define __device__
#define __host__
#define __global__
#define __forceinline__ inline
#define __launch_bounds__(x)
#define __grid_constant__
#define __align__(n)
#define __shared__ alignas(16) static
struct uint4 { unsigned x, y, z, w; };
struct float4 { float x, y, z, w; };
struct float2 { float x, y; };
inline float2 make_float2(float a, float b) { return {a, b}; }
inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fsub_rn(float a, float b) { return a - b; }
inline float __fdiv_rn(float a, float b) { return a / b; }
inline float __uint_as_float(unsigned u) { float f; std::memcpy(&f, &u, 4); return f; }
using std::min; using std::max;
inline long long min(long long a, int b) { return a < b ? a : b; }
#include <cstdio>
#include <vector>
#include <random>
#include <functional>
#include "kernel.inc"

static int containerBits(int b) { return b <= 1 ? 1 : b <= 2 ? 2 : b <= 4 ? 4 : 8; }
static int rowWords(int hd, int b) { int pw = 32 / containerBits(b); return ((hd + pw - 1) / pw + 3) / 4 * 4; }
static long long compressed(long long len, int r) { return len < 2LL * r ? 0 : (len - r) / r * r; }

template <int KB, int VB, int H>
void launch(const KiviAttentionParams& p, int gx, int gy, int gz) {
    gridDim = {(unsigned)gx, (unsigned)gy, (unsigned)gz};
    blockDim = {128, 1, 1};
    for (int z = 0; z < gz; z++) for (int y = 0; y < gy; y++) for (int x = 0; x < gx; x++) {
        std::barrier<> cta(128);
        for (int w = 0; w < 4; w++) warp_barrier[w] = new std::barrier<>(32);
        cta_barrier = &cta;
        std::memset(g_dynamic, 0xFF, sizeof g_dynamic); // garbage between CTAs
        std::vector<std::thread> ts;
        for (int t = 0; t < 128; t++) ts.emplace_back([&, t] { threadIdx = {(unsigned)t, 0, 0}; blockIdx = {(unsigned)x, (unsigned)y, (unsigned)z}; kivi_attend<KB, VB, H>(p); });
        for (auto& t : ts) t.join();
        for (int w = 0; w < 4; w++) delete warp_barrier[w];
    }
}

template <int KB, int VB, int H>
int run(int kbits, int vbits, int hd, int group, int R, int G, int VG, int sequences, int start, int tokens, int splitBlocks, int tile) {
    int kvh = 2, qh = kvh * group, layers = 2, layer = 1;
    std::mt19937 rng(kbits * 131 + vbits * 7 + hd + group + start);
    std::normal_distribution<float> nd;
    int enc = (int)compressed(start + tokens, R);
    int cap = (std::max(R, enc) + R - 1) / R * R + R;
    int kw = rowWords(hd, kbits), vw = rowWords(hd, vbits);
    int kgpb = (R + G - 1) / G, vgroups = (hd + VG - 1) / VG;
    long long slots = (long long)sequences * layers * kvh;
    std::vector<unsigned> kc(slots * cap * kw, 0xABABABAB), vc(slots * cap * vw, 0xABABABAB);
    std::vector<float> kp(slots * (cap / R * kgpb) * hd * 2), vp(slots * cap * vgroups * 2);
    std::vector<std::vector<int>> kcode(slots * cap, std::vector<int>(hd)), vcode(slots * cap, std::vector<int>(hd));
    for (long long s = 0; s < slots; s++) for (int pos = 0; pos < enc; pos++) {
        auto& k = kcode[s * cap + pos]; auto& v = vcode[s * cap + pos];
        for (int d = 0; d < hd; d++) { k[d] = rng() % (1 << kbits); v[d] = rng() % (1 << vbits); }
        int kc_ = containerBits(kbits), kpw = 32 / kc_, vc_ = containerBits(vbits), vpw = 32 / vc_;
        for (int w = 0; w < kw; w++) { unsigned word = 0; for (int e = 0; e < kpw; e++) { int d = w * kpw + e; if (d < hd) word |= unsigned(k[d]) << (e * kc_); } kc[(s * cap + pos) * kw + w] = word; }
        for (int w = 0; w < vw; w++) { unsigned word = 0; for (int e = 0; e < vpw; e++) { int d = w * vpw + e; if (d < hd) word |= unsigned(v[d]) << (e * vc_); } vc[(s * cap + pos) * vw + w] = word; }
    }
    for (auto& x : kp) x = nd(rng) * 0.5f;
    for (size_t i = 1; i < kp.size(); i += 2) kp[i] = (std::fabs(kp[i]) + 0.05f) * 3 / ((1 << kbits) - 1); // ranges as 2-bit codes span
    for (auto& x : vp) x = nd(rng) * 0.5f;
    for (size_t i = 1; i < vp.size(); i += 2) vp[i] = (std::fabs(vp[i]) + 0.05f) * 3 / ((1 << vbits) - 1);
    int rows = sequences * tokens;
    std::vector<float> q((size_t)rows * qh * hd);
    for (auto& x : q) x = nd(rng);
    int blocks = std::max(1, (enc + R - 1) / R);
    int splits = (blocks + splitBlocks - 1) / splitBlocks;
    int states = rows * qh;
    std::vector<float> out((size_t)splits * states * hd, NAN), lse((size_t)splits * states, NAN);
    float scale = 1.f / std::sqrt((float)hd);
    KiviAttentionParams p{q.data(), (const uint4*)kc.data(), (const uint4*)vc.data(), kp.data(), vp.data(), out.data(), lse.data(), start, tokens, layer, layers, qh, kvh, hd, cap, R, G, VG, kw, vw, splitBlocks * R, tile, scale};
    int gb = (group + H - 1) / H;
    launch<KB, VB, H>(p, rows * gb, kvh, splits);
    // merge + reference
    int bad = 0; double worst = 0;
    for (int row = 0; row < rows; row++) {
        int seq = row / tokens, i = row % tokens, n = (int)compressed(start + i + 1, R);
        for (int h = 0; h < qh; h++) {
            int head = h / group; long long slot = ((long long)seq * layers + layer) * kvh + head;
            std::vector<float> sc(n); float m = -INFINITY;
            const float* qq = &q[((size_t)row * qh + h) * hd];
            for (int j = 0; j < n; j++) {
                int kg = j / R * kgpb + j % R / G; float dot = 0;
                for (int d = 0; d < hd; d++) { const float* zs = &kp[((slot * (cap / R * kgpb) + kg) * hd + d) * 2]; dot += qq[d] * (zs[0] + kcode[slot * cap + j][d] * zs[1]); }
                sc[j] = dot * scale; m = std::max(m, sc[j]);
            }
            double sum = 0; std::vector<double> acc(hd);
            for (int j = 0; j < n; j++) { double e = std::exp(sc[j] - m); sum += e;
                for (int d = 0; d < hd; d++) { const float* zs = &vp[((slot * cap + j) * vgroups + d / VG) * 2]; acc[d] += e * (zs[0] + vcode[slot * cap + j][d] * zs[1]); } }
            float M = -INFINITY; int st = row * qh + h;
            for (int s = 0; s < splits; s++) M = std::max(M, lse[(size_t)s * states + st]);
            double l = 0; for (int s = 0; s < splits; s++) { float x = lse[(size_t)s * states + st]; if (x != -INFINITY) l += std::exp(x - M); }
            for (int d = 0; d < hd; d++) {
                double o = 0; for (int s = 0; s < splits; s++) { float x = lse[(size_t)s * states + st]; if (x != -INFINITY) o += std::exp(x - M) * out[((size_t)s * states + st) * hd + d]; }
                double got = M == -INFINITY ? 0 : o / l, want = n == 0 ? 0 : acc[d] / sum;
                double err = std::fabs(got - want) / std::max(1.0, std::fabs(want));
                if (!(err < 1e-4)) { if (bad < 5) printf("  row %d head %d d %d: got %g want %g\n", row, h, d, got, want); bad++; }
                worst = std::max(worst, err);
            }
            double gl = M == -INFINITY ? -INFINITY : M + std::log(l), wl = n == 0 ? -INFINITY : m + std::log(sum);
            if (n == 0 ? gl != -INFINITY : !(std::fabs(gl - wl) < 1e-4 * std::max(1.0, std::fabs(wl)))) { if (bad < 5) printf("  lse row %d head %d: %g vs %g\n", row, h, gl, wl); bad++; }
        }
    }
    printf("k%d v%d hd%d group%d R%d G%d VG%d seq%d start%d tokens%d splits%d tile%d: %d bad, worst %.2g\n", kbits, vbits, hd, group, R, G, VG, sequences, start, tokens, splits, tile, bad, worst);
    return bad;
}

int main() {
    int bad = 0;
    bad += run<2, 2, 4>(2, 2, 128, 4, 128, 128, 128, 1, 1000, 1, 2, 128);
    bad += run<2, 2, 4>(2, 2, 64, 4, 32, 32, 32, 1, 150, 7, 1, 128);
    bad += run<4, 2, 8>(3, 2, 128, 7, 32, 24, 48, 1, 0, 70, 2, 128);
    bad += run<1, 4, 8>(1, 4, 64, 7, 16, 8, 128, 2, 3, 40, 3, 128);
    bad += run<4, 2, 4>(3, 2, 64, 4, 8, 5, 6, 1, 300, 3, 4, 64);
    bad += run<8, 4, 8>(8, 3, 128, 16, 32, 128, 16, 1, 900, 2, 5, 96);
    bad += run<2, 1, 2>(2, 1, 128, 2, 128, 128, 32, 3, 700, 1, 1, 128);
    printf(bad ? "FAIL\n" : "ALL OK\n");
    return bad != 0;
}
