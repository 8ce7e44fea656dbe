#!/usr/bin/env bash
# CPU check of the split-KV KIVI attention kernels' source (see emu.cpp): builds a host copy of kivi_attention.cu (the
# headers it includes, with a stand-in cuda_fp16.h), runs shapes of every kind the GPU test has (GQA 2:1 to 16:1,
# head_dim 64 and 128, 1- to 8-bit containers, groups that do not divide R, value groups across the channel units,
# several splits and sequences), exits non-zero on a wrong output. About 2 minutes on 2 cores.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd); cuda="$here/../../src/main/cuda"; work=$(mktemp -d)
cat > "$work/cuda_fp16.h" <<'H'
#pragma once
struct __half { unsigned short x; };
inline float __half2float(__half) { return 0.f; } // numeric.cuh's F16 widening, unused by kivi_attention
inline __half __ushort_as_half(unsigned short b) { __half h; h.x = b; return h; }
H
sed -e 's/extern __shared__ __align__(16) unsigned char dynamic\[\];/unsigned char* dynamic = g_dynamic;/' -e 's/extern "C" //' \
  "$cuda/kivi_attention.cu" > "$work/kernel.inc"
grep -q 'dynamic = g_dynamic' "$work/kernel.inc"
g++ -std=c++20 -O1 -ffp-contract=off -pthread -I"$work" -I"$cuda" -o "$work/emu" "$here/emu.cpp"
"$work/emu"
