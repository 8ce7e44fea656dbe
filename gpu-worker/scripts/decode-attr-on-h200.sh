#!/usr/bin/env bash
# One device call: where a replayed decode step's time goes (issue 11; docs/results/gpu/decode-attribution-notes.md).
# Build .device-bundle/ here first (gpu-worker/scripts/make-device-bundle.sh) and carry it. Steps, each bounded, the
# whole within ATTR_TOTAL_S (default 240 s); everything lands in $OUT as it is produced:
#   1. the 8B-shaped random checkpoint in /tmp/llama8b-random (make_8b_checkpoint.py; kept if already complete);
#   2. DecodeAttributionBenchmark: every call family of a decode step timed inside a CUDA graph at b1/b8/b32 (no
#      checkpoint needed), the predicted step, then the decoder's replayed and eager steps in alternating rounds, split
#      into uploads / layers / head by CUDA events: $OUT/decode-attribution-h200.json (without the checkpoint, the
#      kernels part alone);
#   3. optional, if ncu is there and time is left (NCU=0 skips it): Nsight Compute on 2 eager and 3 replayed steps at
#      NCU_BATCH (default 32), graph nodes profiled one by one, gpu__time_duration only, clocks and caches left alone:
#      $OUT/ncu-step.csv and, per kernel, eager against replay: $OUT/ncu-step-kernels.json. If ncu fails or times out,
#      the event-based numbers of step 2 are already in $OUT.
#   bash gpu-worker/scripts/decode-attr-on-h200.sh        (also: bash gpu-worker/scripts/gpu-check-on-h200.sh decode-attr)
set -uo pipefail
START=$(date +%s)
TOTAL=${ATTR_TOTAL_S:-240}
left() { echo $((TOTAL - ($(date +%s) - START))); }
S=gpu-worker/scripts
MODEL=/tmp/llama8b-random
COMMIT=$(cat .device-bundle/commit.txt 2>/dev/null || echo unknown)
{
  echo "date: $(date -u +%FT%TZ)"
  echo "device: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader)"
  echo "commit: $COMMIT"
  echo "ncu: $(command -v ncu || ls /opt/nvidia/nsight-compute/*/ncu 2>/dev/null | head -1 || echo none)"
} | tee "$OUT/decode-attr-environment.txt"
source gpu-worker/scripts/device-bundle-env.sh
JAVA="$BUNDLE_JAVA $BUNDLE_JAVA_OPTIONS -Xmx48g"
CP="$BUNDLE_CP" # quoted where used: the JVM expands the *, the shell must not

timeout 120 python3 "$S/make_8b_checkpoint.py" --out "$MODEL" 2>&1 | tail -5 | tee "$OUT/decode-attr-checkpoint.txt"
MODEL_ARG=""; [ -f "$MODEL/config.json" ] && MODEL_ARG="--model $MODEL"

# Clocks, power and throttle reasons every 200 ms while the benchmark runs (read only: the clocks are left alone): an
# order effect between the replayed and eager rounds (e.g. SM clocks lowered after the fill's heavy prefill) shows here.
nvidia-smi --query-gpu=timestamp,clocks.sm,clocks.mem,power.draw,temperature.gpu,clocks_throttle_reasons.active \
  --format=csv -lms 200 > "$OUT/decode-attr-clocks.csv" 2>/dev/null &
CLOCKS_PID=$!
JAVA_S=$(( $(left) - 10 )); (( JAVA_S > 170 )) && JAVA_S=170 # leave ncu its share
timeout -s QUIT -k 10 $JAVA_S $JAVA -cp "$CP" io.vecinfer.bench.DecodeAttributionBenchmark $MODEL_ARG ${ATTR_ARGS:-} \
  --out "$OUT/decode-attribution-h200.json" --commit "$COMMIT" --command "bash $S/decode-attr-on-h200.sh" \
  2>"$OUT/decode-attr-stderr.txt" >/dev/null
echo "benchmark rc $? at $(( $(date +%s) - START )) s"
kill "$CLOCKS_PID" 2>/dev/null

NCU_BIN=$(command -v ncu || ls /opt/nvidia/nsight-compute/*/ncu 2>/dev/null | head -1)
if [ "${NCU:-1}" != 0 ] && [ -n "$NCU_BIN" ] && [ -n "$MODEL_ARG" ] && (( $(left) > 60 )); then
  timeout -k 10 $(( $(left) - 5 )) "$NCU_BIN" --profile-from-start off --graph-profiling node --clock-control none \
    --cache-control none --metrics gpu__time_duration.sum --csv --log-file "$OUT/ncu-step.csv" \
    $JAVA -cp "$CP" io.vecinfer.bench.DecodeAttributionBenchmark $MODEL_ARG --ncu --batches "${NCU_BATCH:-32}" \
    >"$OUT/ncu-stdout.txt" 2>"$OUT/ncu-stderr.txt"
  echo "ncu rc $? at $(( $(date +%s) - START )) s"
  python3 "$S/ncu_step_kernels.py" "$OUT/ncu-step.csv" > "$OUT/ncu-step-kernels.json" 2>"$OUT/ncu-parse-stderr.txt" \
    && head -c 3000 "$OUT/ncu-step-kernels.json"
fi
echo "total: $(( $(date +%s) - START )) s"
