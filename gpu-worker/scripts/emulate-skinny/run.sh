#!/usr/bin/env bash
# CPU check of the skinny projection kernels' source (see emu.cpp): builds a host copy of matmul_tc.cu's skinny
# section with the MMA replaced by an emulation, runs split and unsplit shapes, exits non-zero on a wrong output.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd); cuda="$here/../../src/main/cuda"; work=$(mktemp -d)
python3 - "$cuda" "$work" <<'PY'
import sys
cuda, work = sys.argv[1], sys.argv[2]
src = open(cuda + '/matmul_tc.cu').read()
src = src[:src.index('// ---- gemm')]
for inc in ('#include "numeric.cuh"\n', '#include "projection.cuh"\n', '#include <cuda_bf16.h>\n'): src = src.replace(inc, '')
mma = '        if constexpr (BF16) MMA_16816("bf16");\n        else MMA_16816("f16");'
assert mma in src
src = src.replace(mma, '        emu_mma(d, a0, a1, a2, a3, b0, b1, BF16);')
src = src[:src.index('// ---- fp32 activations')] + src[src.index('// ---- skinny'):]
open(work + '/kernel.inc', 'w').write(open(cuda + '/projection.cuh').read().replace('#pragma once', '') + src)
PY
g++ -std=c++20 -O1 -pthread -I"$work" -o "$work/emu" "$here/emu.cpp"
"$work/emu"
