#!/usr/bin/env python3
"""A CPU model of matmul_wgmma.cu's index arithmetic: the producer's swizzled cp.async stores, the wgmma operand
reads through the descriptors (the 128-byte swizzle as address bits 4-6 XOR bits 7-9, 1024 bytes between 8-row
atoms, +32 bytes per 16 k), the accumulator fragment layout, the epilogue's stores and the grouped tile order,
checked against x · Wᵀ on small integer matrices (exact in float64). It checks that the kernel's indices agree
with that model of the hardware, not the hardware itself (WgmmaMatmulTest does, on an H100/H200). Rerun it after
changing the kernel's tile shapes or layouts:  python3 gpu-worker/scripts/matmul_wgmma_model.py
"""
import numpy as np

BM, BN, BK, STAGES, GROUP_M, ROW = 128, 256, 64, 4, 16, 128
A_BYTES = BM * ROW; STAGE = A_BYTES + BN * ROW
def tile_of(i, mt, nt):
    per = GROUP_M * nt; g = i // per; fm = g * GROUP_M; gr = min(mt - fm, GROUP_M); w = i % per
    return (fm + w % gr) * BM, (w // gr) * BN
def run(rows, inn, out, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.integers(-3, 4, (rows, inn)).astype(np.float64); w = rng.integers(-3, 4, (out, inn)).astype(np.float64)
    y = np.full((rows, out), np.nan)
    mt, nt = -(-rows // BM), -(-out // BN)
    seen = set()
    for bid in range(mt * nt):
        m0, n0 = tile_of(bid, mt, nt); seen.add((m0, n0))
        d = np.zeros((2, 128, BN // 2))  # [consumer][thread][reg]
        for kt in range(inn // BK):
            smem = np.zeros(STAGE // 2)  # halves; one stage suffices for index checks
            for t in range(128):
                row, j = t // 8, t % 8
                off = row * ROW + ((j ^ (row % 8)) << 4)
                for i in range(BM // 16):
                    r = m0 + row + 16 * i
                    dst = (off + i * 16 * ROW) // 2
                    smem[dst:dst + 8] = x[r, kt * BK + j * 8: kt * BK + j * 8 + 8] if r < rows else 0
                for i in range(BN // 16):
                    r = n0 + row + 16 * i
                    dst = (A_BYTES + off + i * 16 * ROW) // 2
                    smem[dst:dst + 8] = w[r, kt * BK + j * 8: kt * BK + j * 8 + 8] if r < out else 0
            def read(start, nrows):  # descriptor read of an nrows x 16 K-major operand
                m = np.arange(nrows)[:, None]; k = np.arange(16)[None, :]
                a = start + (m // 8) * 1024 + (m % 8) * 128 + k * 2
                a = a ^ (((a >> 7) & 7) << 4)
                return smem[a // 2]
            for c in range(2):
                for kk in range(4):
                    A = read(c * 64 * ROW + 32 * kk, 64); B = read(A_BYTES + 32 * kk, BN)
                    D = A @ B.T  # 64 x BN
                    for t in range(128):
                        wp, lane = t // 32, t % 32
                        for n in range(BN // 8):
                            for e in range(4):
                                d[c, t, 4 * n + e] += D[16 * wp + lane // 4 + 8 * (e // 2), 8 * n + 2 * (lane % 4) + e % 2]
        for c in range(2):
            for t in range(128):
                wp, lane = t // 32, t % 32
                row = m0 + c * 64 + wp * 16 + lane // 4
                for n in range(BN // 8):
                    o = n0 + 8 * n + 2 * (lane % 4)
                    if o >= out: continue
                    for h in range(2):
                        r = row + 8 * h
                        if r < rows: y[r, o], y[r, o + 1] = d[c, t, 4 * n + 2 * h], d[c, t, 4 * n + 2 * h + 1]
    assert len(seen) == mt * nt, "tile order repeats a tile"
    ref = x @ w.T
    bad = np.isnan(y) | (y != ref)
    print("BN", BN, rows, inn, out, "wrong:", int(bad.sum()), "of", y.size)
    assert not bad.any(), "the model disagrees with x · Wᵀ"
for BN, STAGES in [(256, 4), (128, 6)]:  # WGMMA, WGMMA_NARROW
    STAGE = A_BYTES + BN * ROW
    run(128, 64, BN); run(129, 128, 288); run(200, 192, 544)

for mt, nt in [(17, 3), (32, 16), (1, 501), (33, 2)]:
    ids = {tile_of(i, mt, nt) for i in range(mt * nt)}
    assert len(ids) == mt * nt and all(m < mt * BM and n < nt * BN for m, n in ids), (mt, nt)
print("tile order ok")
