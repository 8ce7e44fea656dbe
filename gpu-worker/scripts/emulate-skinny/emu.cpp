// Host emulation of matmul_tc.cu's skinny kernels (bf16) and skinny_reduce, for checking their indexing without a GPU:
// 256 std::threads per CTA, the warp-wide MMA emulated by lanes meeting at a 32-thread barrier (so a partial-warp
// MMA hangs here too), products in double, outputs NaN-poisoned in three segments. Run by run.sh.
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <cmath>
#include <algorithm>
#include <barrier>
#include <thread>
#include <vector>
#include <random>
using std::min;
#define __device__
#define __forceinline__ inline
#define __global__
#define __launch_bounds__(...)
#define __shared__ static
struct dim3 { unsigned x = 0, y = 0, z = 0; };
thread_local dim3 threadIdx, blockIdx;
dim3 blockDim, gridDim;
struct uint4 { uint32_t x, y, z, w; };
struct float4 { float x, y, z, w; };
inline uint4 make_uint4(uint32_t a, uint32_t b, uint32_t c, uint32_t d) { return {a, b, c, d}; }
template <typename T> T __ldcs(const T* p) { return *p; }
template <typename T> T __ldg(const T* p) { return *p; }
static uint16_t bf16_rn(float v) { uint32_t u; memcpy(&u, &v, 4); u += 0x7fff + ((u >> 16) & 1); return u >> 16; }
static float bf16_f(uint16_t h) { uint32_t u = uint32_t(h) << 16; float f; memcpy(&f, &u, 4); return f; }
struct bf16w { uint16_t v; };
inline bf16w __float2bfloat16_rn(float v) { return {bf16_rn(v)}; }
inline uint16_t __bfloat16_as_ushort(bf16w b) { return b.v; }
struct halfw { uint16_t v; };
inline halfw __float2half_rn(float v) { _Float16 h = (_Float16)v; halfw r; memcpy(&r.v, &h, 2); return r; }
inline uint16_t __half_as_ushort(halfw h) { return h.v; }
static float half_f(uint16_t h) { _Float16 f; memcpy(&f, &h, 2); return (float)f; }

// Warp-synchronous MMA: lanes publish fragments, meet, each computes its D.
struct Frag { uint32_t a[4], b[2]; };
static Frag frags[8][32];
static std::barrier<>* warp_bar[8];
static std::barrier<>* cta_bar;
static int mma_count[8][32];
inline void __syncthreads() { cta_bar->arrive_and_wait(); }
static float elem(uint32_t r, int hi, bool bf) { uint16_t h = hi ? r >> 16 : r & 0xffff; return bf ? bf16_f(h) : half_f(h); }
void emu_mma(float (&d)[4], uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3, uint32_t b0, uint32_t b1, bool bf) {
    int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
    frags[warp][lane] = {{a0, a1, a2, a3}, {b0, b1}};
    mma_count[warp][lane]++;
    warp_bar[warp]->arrive_and_wait();
    // A[m][k], B[k][n] from fragments (PTX m16n8k16 layout)
    float A[16][16], B[16][8];
    for (int l = 0; l < 32; l++) {
        int g = l / 4, c = l % 4; const Frag& f = frags[warp][l];
        for (int h = 0; h < 2; h++) {
            A[g][2 * c + h] = elem(f.a[0], h, bf); A[g + 8][2 * c + h] = elem(f.a[1], h, bf);
            A[g][2 * c + 8 + h] = elem(f.a[2], h, bf); A[g + 8][2 * c + 8 + h] = elem(f.a[3], h, bf);
            B[2 * c + h][g] = elem(f.b[0], h, bf); B[2 * c + 8 + h][g] = elem(f.b[1], h, bf);
        }
    }
    warp_bar[warp]->arrive_and_wait();
    int g = lane / 4, c = lane % 4;
    for (int j = 0; j < 4; j++) {
        int m = g + 8 * (j / 2), n = 2 * c + j % 2; double s = d[j];
        for (int k = 0; k < 16; k++) s += (double)A[m][k] * B[k][n];
        d[j] = (float)s;
    }
}
#include "kernel.inc"

int main() {
    std::mt19937 rng(7); std::normal_distribution<float> N(0, 1);
    // rows, in, out, chunks per split (0: all), tiles B
    int cases[][4] = {{1, 136, 33, 1}, {3, 136, 250, 2}, {8, 4096, 33, 64}, {17, 4096, 200, 48}, {32, 136, 300, 1}, {9, 136, 48, 0}, {1, 256, 70, 0}, {32, 1024, 100, 32}};
    int fails = 0;
    for (auto& cs : cases) {
        int rows = cs[0], in = cs[1], out = cs[2];
        int chunks = (in + 31) / 32, per = cs[3] ? cs[3] : chunks, splits = (chunks + per - 1) / per;
        int B = rows <= 8 ? 1 : rows <= 16 ? 2 : 4;
        std::vector<uint16_t> w(size_t(out) * in); std::vector<float> x(size_t(rows) * in), bias(out);
        for (auto& v : w) v = bf16_rn(N(rng) * 0.5f);
        for (auto& v : x) v = N(rng);
        for (auto& v : bias) v = N(rng);
        int a = out / 2, b = out / 4, c = out - a - b;
        std::vector<float> ya(rows * a, NAN), yb(rows * b, NAN), yc(rows * c, NAN), partials(size_t(splits) * rows * out, NAN);
        ProjectionParams p{x.data(), w.data(), bias.data(), {ya.data(), yb.data(), yc.data()}, {a, a + b, out}, rows, in, out};
        gridDim = {unsigned((out + 31) / 32), unsigned(splits), 1}; blockDim = {256, 1, 1};
        memset(mma_count, 0, sizeof mma_count);
        for (unsigned by = 0; by < gridDim.y; by++) for (unsigned bx = 0; bx < gridDim.x; bx++) {
            std::barrier<> cb(256); cta_bar = &cb;
            for (int i = 0; i < 8; i++) warp_bar[i] = new std::barrier<>(32);
            std::vector<std::thread> ts;
            for (int t = 0; t < 256; t++) ts.emplace_back([&, t] {
                threadIdx = {unsigned(t), 0, 0}; blockIdx = {bx, by, 0};
                if (B == 1) skinny_bf16_b1(p, partials.data(), per);
                else if (B == 2) skinny_bf16_b2(p, partials.data(), per);
                else skinny_bf16_b4(p, partials.data(), per);
            });
            for (auto& t : ts) t.join();
            for (int i = 0; i < 8; i++) delete warp_bar[i];
        }
        if (splits > 1) {
            dim3 g = {unsigned((rows * out + 255) / 256), 1, 1}; gridDim = g;
            for (unsigned bx = 0; bx < g.x; bx++) for (int t = 0; t < 256; t++) { threadIdx = {unsigned(t), 0, 0}; blockIdx = {bx, 0, 0}; skinny_reduce(p, partials.data(), splits); }
        }
        double worst = 0; int bad = 0;
        for (int r = 0; r < rows; r++) for (int o = 0; o < out; o++) {
            double s = bias[o], mag = 0;
            for (int k = 0; k < in; k++) { double t = (double)bf16_f(w[size_t(o) * in + k]) * bf16_f(bf16_rn(x[size_t(r) * in + k])); s += t; mag += fabs(t); }
            float got = o < a ? ya[r * a + o] : o < a + b ? yb[r * b + o - a] : yc[r * c + o - a - b];
            double err = fabs(got - s);
            if (!(err <= 1e-5 * (mag + 1))) { if (bad++ < 3) printf("  y[%d][%d] = %g, want %g\n", r, o, got, s); }
            worst = std::max(worst, err / (mag + 1));
        }
        printf("rows %d in %d out %d splits %d: %d bad, worst rel %.2g\n", rows, in, out, splits, bad, worst);
        fails += bad;
    }
    return fails != 0;
}
