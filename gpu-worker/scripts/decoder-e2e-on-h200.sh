#!/usr/bin/env bash
# One device call: the end-to-end decoder benchmark on the H200 (issue "GPU decoder at the speed of the hardware").
# Build .device-bundle/ here first (gpu-worker/scripts/make-device-bundle.sh) and carry it. Steps, each bounded so
# that the whole stays inside one call (E2E_TOTAL_S, default 570 s of the 600 s limit):
#   1. a Llama-3.1-8B-shaped checkpoint of random bf16 weights in /tmp/llama8b-random (kept if already complete);
#   2. the transformers peer (decoder_e2e_peer.py): prefill, decode and projection matmul times;
#   3. DecoderE2EBenchmark on CudaDecoder, with the time that is left as its budget (at most 300 s);
#   4. both merged into $OUT/decoder-e2e-h200.json, also when a step failed (its values null).
# Every step writes to $OUT as it goes.      bash gpu-worker/scripts/decoder-e2e-on-h200.sh [DecoderE2EBenchmark args]
# JAVA_PROPERTIES adds system properties to our JVM, e.g. "-Dvecinfer.prefill.kernel=WGMMA" for the previous kernel.
set -uo pipefail
START=$(date +%s)
TOTAL=${E2E_TOTAL_S:-570}
MODEL=/tmp/llama8b-random
left() { echo $((TOTAL - ($(date +%s) - START))); }
S=gpu-worker/scripts
{
  echo "date: $(date -u +%FT%TZ)"
  echo "device: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader)"
  echo "commit: $(cat .device-bundle/commit.txt 2>/dev/null || echo unknown)"
  df -h /tmp | tail -1
} | tee "$OUT/environment.txt"
source $S/device-bundle-env.sh

timeout 240 python3 "$S/make_8b_checkpoint.py" --out "$MODEL" 2>&1 | tee "$OUT/checkpoint.txt"

# The peer first: it exits (freeing the GPU) before the JVM starts.
PYTHONUNBUFFERED=1 timeout $(( $(left) - 120 )) python3 "$S/decoder_e2e_peer.py" --model "$MODEL" --out "$OUT/peer.json" \
  2>&1 >/dev/null | tee "$OUT/peer-log.txt"

# Ours gets what is left, less the model upload (~1 min at most) and the merge.
BUDGET=$(( $(left) - 90 )); (( BUDGET > 300 )) && BUDGET=300
echo "java budget: ${BUDGET} s" | tee "$OUT/ours-log.txt"
if (( BUDGET > 30 )); then
  timeout $(( $(left) - 10 )) "$BUNDLE_JAVA" $BUNDLE_JAVA_OPTIONS ${JAVA_PROPERTIES:-} -Xmx48g -cp "$BUNDLE_CP" \
    io.vecinfer.bench.DecoderE2EBenchmark --model "$MODEL" --budget-s "$BUDGET" --out "$OUT/ours.json" "$@" \
    2>&1 >/dev/null | tee -a "$OUT/ours-log.txt"
fi

python3 "$S/merge_e2e.py" --ours "$OUT/ours.json" --peer "$OUT/peer.json" --out "$OUT/decoder-e2e-h200.json" \
  --command "${JAVA_PROPERTIES:+JAVA_PROPERTIES=\"$JAVA_PROPERTIES\" }bash $S/decoder-e2e-on-h200.sh $*" \
  --device "$(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | head -1)" \
  --commit "$(cat .device-bundle/commit.txt 2>/dev/null || echo unknown)"
echo "total: $(( $(date +%s) - START )) s"
