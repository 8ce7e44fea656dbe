#!/usr/bin/env python3
"""Host check of vq_mma_attention.cu's fragment arithmetic (no GPU): the kernel's lane index expressions transliterated for one
warp and one 16-token m-tile, with mma.sync m16n8k16 fragments placed as the PTX ISA specifies (A: a0 row gid, a1 row gid + 8,
a2/a3 the same rows at k + 8; B: b0 k 2tig, b1 k 2tig + 8, column gid; C: c0/c1 row gid, c2/c3 row gid + 8), in float64.
Checks the scores S = K·Q^T and the product P·V against direct sums for head_dim D and key / value sub-vector dims:

    python3 gpu-worker/scripts/vq_mma_fragment_check.py D KD VD     # e.g. 128 4 4; prints both max errors (~1e-15)
    python3 gpu-worker/scripts/vq_mma_fragment_check.py 128 8w 8    # `w`: a wide d8 book (4096 words, uint16 codes)

Codes are read as the kernel reads them: from the staged tile's bytes (uint8, or little-endian uint16 with a random top nibble
for a wide side) at the kernel's byte offsets, then vq_mma_code (byte j, or halfword j masked to 12 bits).
"""
import numpy as np, sys
rng = np.random.default_rng(1)
D = int(sys.argv[1])
KW, VW = sys.argv[2].endswith("w"), sys.argv[3].endswith("w")
KD, VD = int(sys.argv[2].rstrip("w")), int(sys.argv[3].rstrip("w"))
assert (not KW or KD == 8) and (not VW or VD == 8), "wide books are d8 only"
KS, VS, KSTEPS, MTILES = D // KD, D // VD, D // 16, D // 16
KC, VC = D // 4 // KD, D // 8 // VD
KB, VB = (2 if KW else 1), (2 if VW else 1)
kwords, vwords = (4096 if KW else 256), (4096 if VW else 256)
kb = rng.standard_normal((kwords, KD)); vb = rng.standard_normal((vwords, VD))
q = rng.standard_normal((8, D))
K = rng.integers(0, kwords, (16, KS)); V = rng.integers(0, vwords, (16, VS))
def staged(codes, width):  # the tile's bytes: uint8, or uint16 little-endian with a random top nibble (the kernel masks it)
    if width == 1:
        return bytes(int(c) for c in codes.flatten())
    return b"".join((int(c) | int(rng.integers(0, 16)) << 12).to_bytes(2, "little") for c in codes.flatten())
tile_k, tile_v = staged(K, KB), staged(V, VB)
def code_words(tile, at, n):  # vq_mma_codes<n>: n bytes at `at` as (n + 3) / 4 little-endian words
    return [int.from_bytes(tile[at + 4 * i: at + min(n, 4 * i + 4)], "little") for i in range((n + 3) // 4)]
def code(w, j, wide):  # vq_mma_code<WIDE>
    return (w[j >> 1] >> (16 * (j & 1))) & 0xfff if wide else (w[j >> 2] >> (8 * (j & 3))) & 0xff
def key_code(row, t, j):  # c0 / c1 of the kernel: row gid or gid + 8 of m-tile 0, the lane's tig, code j
    return code(code_words(tile_k, (row * KS + t * KC) * KB, KC * KB), j, KW)
def value_code(tok, g, u):  # vc[j] of the kernel: token tig + 4j, the lane's gid, code u
    return code(code_words(tile_v, (tok * VS + g * VC) * VB, VC * VB), u, VW)
def mma(Afr, Bfr, Cfr):
    # Afr[lane] = 4 regs of 2 halves, Bfr[lane] = 2 regs, Cfr[lane] = 4 floats
    A = np.zeros((16, 16)); B = np.zeros((16, 8))
    for l in range(32):
        g, t = l >> 2, l & 3
        for r in range(4):
            row = g + (8 if r in (1, 3) else 0); col = 2 * t + (8 if r >= 2 else 0)
            A[row, col], A[row, col + 1] = Afr[l][r]
        for r in range(2):
            k = 2 * t + 8 * r
            B[k, g], B[k + 1, g] = Bfr[l][r]
    C = A @ B
    out = []
    for l in range(32):
        g, t = l >> 2, l & 3
        out.append([Cfr[l][0] + C[g, 2 * t], Cfr[l][1] + C[g, 2 * t + 1], Cfr[l][2] + C[g + 8, 2 * t], Cfr[l][3] + C[g + 8, 2 * t + 1]])
    return out
def gather(book, X, code):  # X/2 half2 regs
    return [(book[code][2 * i], book[code][2 * i + 1]) for i in range(X // 2)]
qf = [[None] * KSTEPS for _ in range(32)]
for l in range(32):
    g, t = l >> 2, l & 3
    for ks in range(KSTEPS):
        x = q[g, t * (D // 4) + 4 * ks:]
        qf[l][ks] = [(x[0], x[1]), (x[2], x[3])]
s = [[0.0] * 4 for _ in range(32)]
if KD == 8:
    for j in range(KC):
        lo, hi = [], []
        for l in range(32):
            g, t = l >> 2, l & 3
            h0 = gather(kb, 8, key_code(g, t, j)); h1 = gather(kb, 8, key_code(g + 8, t, j))
            lo.append([h0[0], h1[0], h0[1], h1[1]]); hi.append([h0[2], h1[2], h0[3], h1[3]])
        s = mma(lo, [qf[l][2 * j] for l in range(32)], s)
        s = mma(hi, [qf[l][2 * j + 1] for l in range(32)], s)
elif KD == 4:
    for ks in range(KSTEPS):
        a = []
        for l in range(32):
            g, t = l >> 2, l & 3
            h0 = gather(kb, 4, key_code(g, t, ks)); h1 = gather(kb, 4, key_code(g + 8, t, ks))
            a.append([h0[0], h1[0], h0[1], h1[1]])
        s = mma(a, [qf[l][ks] for l in range(32)], s)
else:
    for ks in range(KSTEPS):
        a = []
        for l in range(32):
            g, t = l >> 2, l & 3
            x0 = gather(kb, 2, key_code(g, t, 2 * ks))[0]; x1 = gather(kb, 2, key_code(g + 8, t, 2 * ks))[0]
            y0 = gather(kb, 2, key_code(g, t, 2 * ks + 1))[0]; y1 = gather(kb, 2, key_code(g + 8, t, 2 * ks + 1))[0]
            a.append([x0, x1, y0, y1])
        s = mma(a, [qf[l][ks] for l in range(32)], s)
keys = np.array([np.concatenate([kb[K[t, j]] for j in range(KS)]) for t in range(16)])
S = keys @ q.T  # [16][8]
err = 0
for l in range(32):
    g, t = l >> 2, l & 3
    err = max(err, abs(s[l][0] - S[g, 2 * t]), abs(s[l][1] - S[g, 2 * t + 1]), abs(s[l][2] - S[g + 8, 2 * t]), abs(s[l][3] - S[g + 8, 2 * t + 1]))
print("scores max err", err)
P = np.exp2((S - S.max(0)) / 8)  # any weights
p = [[P[l >> 2, 2 * (l & 3)], P[l >> 2, 2 * (l & 3) + 1], P[(l >> 2) + 8, 2 * (l & 3)], P[(l >> 2) + 8, 2 * (l & 3) + 1]] for l in range(32)]
ph0 = [(p[l][0], p[l][2]) for l in range(32)]; ph1 = [(p[l][1], p[l][3]) for l in range(32)]
bfr = []
for l in range(32):
    g, t = l >> 2, l & 3
    src01, src23 = 4 * t + (g >> 1), 16 + 4 * t + (g >> 1)
    b0 = ph1[src01] if g & 1 else ph0[src01]; b1 = ph1[src23] if g & 1 else ph0[src23]
    bfr.append([b0, b1])
acc = [[[0.0] * 4 for _ in range(32)] for _ in range(MTILES)]
for u in range(VC):
    hs = []
    for l in range(32):
        g, t = l >> 2, l & 3
        hs.append([gather(vb, VD, value_code(t + 4 * j, g, u)) for j in range(4)])
    for k in range(VD // 2):
        a = []
        for l in range(32):
            h = hs[l]
            a.append([(h[0][k][0], h[2][k][0]), (h[0][k][1], h[2][k][1]), (h[1][k][0], h[3][k][0]), (h[1][k][1], h[3][k][1])])
        mt = u * (VD // 2) + k
        acc[mt] = mma(a, bfr, acc[mt])
vals = np.array([np.concatenate([vb[V[t, j]] for j in range(VS)]) for t in range(16)])
O = P.T @ vals  # [8][D]
err = 0
for mt in range(MTILES):
    for l in range(32):
        g, t = l >> 2, l & 3
        for e in range(4):
            h = 2 * t + (e & 1); dim = g * (D // 8) + 2 * mt + (e >> 1)
            err = max(err, abs(acc[mt][l][e] - O[h, dim]))
print("P.V max err", err)
