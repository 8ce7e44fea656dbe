#!/usr/bin/env bash
# One device call for the prefill attention (issue "GPU decoder at the speed of the hardware", its 32k row). Build
# .device-bundle/ here first (gpu-worker/scripts/make-device-bundle.sh) and carry it. Steps, in order, each skipped
# when the call's time (TOTAL_S, default 560 s of the 600 s limit) has too little left for it:
#   1. the prefill kernels' GPU tests (TensorCoreAttentionKernelTest, BatchPrefillAttentionKernelTest);
#   2. AttentionBenchmark (every PrefillAttention.Kernel at 4096 and 32768 tokens, the batch and decode rows) and its
#      SDPA peer (attention_peer.py);
#   3. Nsight Compute on one 32768-token launch of each kernel in NCU_KERNELS (default "WGMMA WGMMA_WS"; empty skips
#      it): speed of light, scheduler, warp states, compute workload: $OUT/ncu-prefill-<kernel>.csv;
#   4. only if no test failed: K = the fastest wgmma kernel at 32768 tokens in step 2 ($OUT/fastest.txt), then the
#      decoder's GPU tests (CudaDecoderTest, PrefillBatchTest) and decoder-e2e-on-h200.sh, both with
#      -Dvecinfer.prefill.kernel=K, into $OUT/dec and $OUT/e2e.
# PACK_TO (a file, e.g. the device tool's $OUT/results.tgz while OUT points elsewhere) gets a tar.gz of $OUT after
# every step, so that a call cut short still returns what it has.
#   R=$OUT; export OUT=/tmp/o; mkdir -p $OUT; PACK_TO=$R/results.tgz bash gpu-worker/scripts/prefill-attention-on-h200.sh
set -uo pipefail
START=$(date +%s)
TOTAL=${TOTAL_S:-560}
S=gpu-worker/scripts
left() { echo $((TOTAL - ($(date +%s) - START))); }
pack() { [ -n "${PACK_TO:-}" ] && tar czf "$PACK_TO" -C "$(dirname "$OUT")" "$(basename "$OUT")"; return 0; }
log() { echo "[$(( $(date +%s) - START )) s] $*" | tee -a "$OUT/steps.txt"; }
mkdir -p "$OUT"
# The bundle once for every step (the scripts below see DEVICE_BUNDLE_UNPACKED and do not unpack it again).
source $S/device-bundle-env.sh

if (( $(left) > 120 )); then
  log "tests"
  GPU_TESTS="io.vecinfer.cuda.attention.TensorCoreAttentionKernelTest io.vecinfer.cuda.attention.BatchPrefillAttentionKernelTest" \
    STEP_S=$(( $(left) - 60 < 200 ? $(left) - 60 : 200 )) bash $S/gpu-check-on-h200.sh tests > "$OUT/tests-log.txt" 2>&1
  tail -4 "$OUT/gpu-tests.txt" | tee -a "$OUT/steps.txt"
  pack
fi

if (( $(left) > 90 )); then
  log "attention benchmark and SDPA"
  STEP_S=$(( $(left) - 40 < 200 ? $(left) - 40 : 200 )) bash $S/gpu-check-on-h200.sh attention > "$OUT/attention-log.txt" 2>&1
  pack
fi

for kernel in ${NCU_KERNELS-WGMMA WGMMA_WS}; do
  (( $(left) > 100 )) || break
  command -v ncu >/dev/null || { log "no ncu on this device"; break; }
  # The kernel's entry: WGMMA -> attend_prefill_wgmma_d128, WGMMA_WS -> attend_prefill_wgmma_ws_d128.
  suffix=$(echo "${kernel#WGMMA}" | tr 'A-Z' 'a-z')
  log "ncu $kernel (attend_prefill_wgmma${suffix}_d128)"
  timeout -k 10 60 ncu --clock-control none --kernel-name "regex:^attend_prefill_wgmma${suffix}_d128\$" --launch-skip 2 --launch-count 1 \
    --section SpeedOfLight --section SchedulerStats --section WarpStateStats --section ComputeWorkloadAnalysis --section LaunchStats \
    --csv --page details "$BUNDLE_JAVA" $BUNDLE_JAVA_OPTIONS -cp "$BUNDLE_CP" io.vecinfer.bench.AttentionBenchmark \
    --prefill-kernels "$kernel" --prefill-tokens 32768 --prefill-only --runs 10 > "$OUT/ncu-prefill-$kernel.csv" 2> "$OUT/ncu-prefill-$kernel-stderr.txt"
  log "ncu $kernel rc $?"
  pack
done

passed=false
grep -q " 0 tests failed" "$OUT/gpu-tests.txt" 2>/dev/null && ! grep -q " 0 tests successful" "$OUT/gpu-tests.txt" && passed=true
K=$(python3 -c "
import json
rows = [r for r in json.load(open('$OUT/attention-benchmark.json'))['prefill_variants'] if r['tokens'] == 32768 and r['kernel'].startswith('WGMMA')]
print(min(rows, key=lambda r: r['median_ms'])['kernel'])" 2>/dev/null)
echo "fastest wgmma kernel at 32768 tokens: ${K:-none}; tests passed: $passed" | tee "$OUT/fastest.txt" | tee -a "$OUT/steps.txt"
if $passed && [ -n "$K" ] && (( $(left) > 120 )); then
  log "decoder tests with $K"
  mkdir -p "$OUT/dec"
  JAVA_PROPERTIES="-Dvecinfer.prefill.kernel=$K" GPU_TESTS="io.vecinfer.cuda.decoder.CudaDecoderTest io.vecinfer.cuda.decoder.PrefillBatchTest" \
    STEP_S=140 OUT="$OUT/dec" bash $S/gpu-check-on-h200.sh tests > "$OUT/dec-log.txt" 2>&1
  tail -3 "$OUT/dec/gpu-tests.txt" | tee -a "$OUT/steps.txt"
  pack
  if (( $(left) > 110 )); then
    log "e2e with $K"
    mkdir -p "$OUT/e2e"
    JAVA_PROPERTIES="-Dvecinfer.prefill.kernel=$K" E2E_TOTAL_S=$(( $(left) - 5 )) OUT="$OUT/e2e" bash $S/decoder-e2e-on-h200.sh > "$OUT/e2e-log.txt" 2>&1
    tail -2 "$OUT/e2e-log.txt" | tee -a "$OUT/steps.txt"
  fi
fi
log "done"
pack
