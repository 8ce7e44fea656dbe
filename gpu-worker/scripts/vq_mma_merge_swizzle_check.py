"""Host check of vq_mma_attention.cu's merge slices (no GPU): the column swizzle `swizzled(h, dim)` transliterated, for
head_dim 64 and 128. Checks that it permutes each head row, that the 32 lanes of every store of a warp's O (lane gid,
tig: head 2tig + e % 2, dim gid · D/8 + 2mt + e / 2) fall in 32 different banks, and that 32 consecutive outputs read
back from one slice do too.
    python3 gpu-worker/scripts/vq_mma_merge_swizzle_check.py"""


def swizzled(D, h, dim):
    DG = D // 8
    g, c = dim // DG, dim % DG
    return g * DG + (c ^ ((h >> 1) * (DG // 4) + g // (32 // DG)))


def check(D):
    for h in range(8):
        assert sorted(swizzled(D, h, d) for d in range(D)) == list(range(D)), f"D={D}: row {h} is not a permutation"
    for mt in range(D // 16):
        for e in range(4):
            banks = {((2 * (lane & 3) + (e & 1)) * D + swizzled(D, 2 * (lane & 3) + (e & 1), (lane >> 2) * (D // 8) + 2 * mt + (e >> 1))) % 32
                     for lane in range(32)}
            assert len(banks) == 32, f"D={D}: store (mt {mt}, e {e}) hits {len(banks)} banks"
    for h in range(8):
        for base in range(0, D, 32):
            assert len({(h * D + swizzled(D, h, d)) % 32 for d in range(base, base + 32)}) == 32, f"D={D}: read conflicts"
    print(f"D={D}: permutation, conflict-free stores and reads")


if __name__ == "__main__":
    for D in (64, 128):
        check(D)
