#!/usr/bin/env bash
# Compiles every kernel family (*.cu beside this script) into a fatbin resource: SASS for sm_80 (A100) and
# sm_90 (H100/H200) plus sm_90 PTX, so newer GPUs JIT it; the wgmma families (matmul_wgmma.cu, attention_prefill_wgmma.cu) only for
# sm_90a, which runs on compute capability 9.0 alone (Matmul and PrefillAttention load them nowhere else). Run by Maven at generate-resources:
#   build-kernels.sh OUTPUT_DIR
# Without nvcc the build still passes: the jar then has no kernels and the CUDA backend says so when asked.
set -euo pipefail
src="$(cd "$(dirname "$0")" && pwd)"
out="$1"
mkdir -p "$out"
NVCC="${NVCC:-$(command -v nvcc || true)}"
if [ -z "$NVCC" ]; then
  echo "[build-kernels] nvcc not found: building without CUDA kernels (the CUDA backend will refuse to start)"
  exit 0
fi
for cu in "$src"/*.cu; do
  [ -e "$cu" ] || continue
  name="$(basename "$cu" .cu)"
  target="$out/$name.fatbin"
  # Rebuild only what changed (the headers count for every kernel).
  if [ -f "$target" ] && [ "$target" -nt "$cu" ] && [ -z "$(find "$src" -name '*.cuh' -newer "$target")" ]; then continue; fi
  echo "[build-kernels] $name.cu"
  # NVCC_EXTRA adds flags, e.g. -lineinfo for profiling with source lines (it triples the VQ kernels' size).
  case "$name" in
    matmul_wgmma | attention_prefill_wgmma) targets=(-gencode arch=compute_90a,code=sm_90a) ;;
    *) targets=(-gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=sm_90 -gencode arch=compute_90,code=compute_90) ;;
  esac
  "$NVCC" -fatbin -O3 -std=c++17 ${NVCC_EXTRA:-} -I"$src" "${targets[@]}" -o "$target" "$cu"
done
