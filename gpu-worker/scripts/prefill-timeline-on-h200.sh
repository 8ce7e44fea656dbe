#!/usr/bin/env bash
# One device call that finds where CudaDecoder's prefill passes spend their time (issue "GPU decoder at the speed of the
# hardware": the 8 x 1024 prefill's spread and its excess over twice the 4096 pass). Build .device-bundle/ here first
# (gpu-worker/scripts/make-device-bundle.sh) and carry it. Steps, each bounded, writing to $OUT as they go:
#   1. the Llama-3.1-8B-shaped random checkpoint in /tmp/llama8b-random (make_8b_checkpoint.py);
#   2. the GPU test of the layer clock (DecodePhasesTest);
#   3. DecoderE2EBenchmark --layer-timeline on the prefill rows (TIMELINE_ROWS) at the default chunk rows, then at
#      each of CHUNK_ROWS (default 8192), then with the caches grown before each timed call (--reserve-outside: what
#      their device allocations cost): $OUT/timeline-default.json, timeline-chunk-{rows}.json, timeline-reserve-outside.json;
#   4. Nsight Compute (gpu__time_duration of every kernel, --clock-control none) over one rep of the 8 x 1024 and 4096
#      rows, cut into passes by ncu_prefill_passes.py: $OUT/ncu-prefill.csv, $OUT/ncu-prefill-passes.json.
#   TOTAL_S (default 480) bounds the whole.     bash gpu-worker/scripts/prefill-timeline-on-h200.sh
set -uo pipefail
START=$(date +%s)
TOTAL=${TOTAL_S:-480}
left() { echo $((TOTAL - ($(date +%s) - START))); }
S=gpu-worker/scripts
MODEL=/tmp/llama8b-random
ROWS=${TIMELINE_ROWS:-prefill-b8-1024,prefill-b1-4096,prefill-b1-32768}
{
  echo "date: $(date -u +%FT%TZ)"
  echo "device: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader)"
  echo "commit: $(cat .device-bundle/commit.txt 2>/dev/null || echo unknown)"
} | tee "$OUT/environment.txt"
source $S/device-bundle-env.sh
timeout 240 python3 "$S/make_8b_checkpoint.py" --out "$MODEL" > "$OUT/checkpoint.txt" 2>&1; echo "checkpoint rc $? at $(( $(date +%s) - START )) s"

GPU_TESTS=${TIMELINE_TESTS:-io.vecinfer.cuda.decoder.DecodePhasesTest} STEP_S=120 bash $S/gpu-check-on-h200.sh tests \
  > "$OUT/tests-log.txt" 2>&1; echo "tests rc $? at $(( $(date +%s) - START )) s"; tail -5 "$OUT/tests-log.txt"

java_bench() { # out-file, then DecoderE2EBenchmark arguments
  local out=$1; shift
  timeout -s QUIT -k 10 $(( $(left) - 10 )) "$BUNDLE_JAVA" $BUNDLE_JAVA_OPTIONS -Xmx48g -cp "$BUNDLE_CP" \
    io.vecinfer.bench.DecoderE2EBenchmark --model "$MODEL" --out "$out" "$@" > /dev/null 2> "$out.log"
  echo "benchmark $out rc $? at $(( $(date +%s) - START )) s"
}
java_bench "$OUT/timeline-default.json" --only "$ROWS" --reps "${REPS:-8}" --budget-s 90 --layer-timeline
for rows in ${CHUNK_ROWS:-8192}; do
  (( $(left) > 150 )) && java_bench "$OUT/timeline-chunk-$rows.json" --only "$ROWS" --reps "${REPS:-8}" --budget-s 90 \
    --layer-timeline --chunk-rows "$rows"
done
(( $(left) > 150 )) && java_bench "$OUT/timeline-reserve-outside.json" --only "$ROWS" --reps "${REPS:-8}" --budget-s 90 \
  --layer-timeline --reserve-outside

NCU_BIN=$(command -v ncu || ls /opt/nvidia/nsight-compute/*/ncu 2>/dev/null | head -1)
if [ -n "$NCU_BIN" ] && (( $(left) > 60 )); then
  timeout -k 10 $(( $(left) - 5 )) "$NCU_BIN" --clock-control none --cache-control none --metrics gpu__time_duration.sum \
    --csv --log-file "$OUT/ncu-prefill.csv" "$BUNDLE_JAVA" $BUNDLE_JAVA_OPTIONS -Xmx48g -cp "$BUNDLE_CP" \
    io.vecinfer.bench.DecoderE2EBenchmark --model "$MODEL" --only prefill-b8-1024,prefill-b1-4096 --reps 1 --budget-s 60 \
    --out "$OUT/ncu-bench.json" > "$OUT/ncu-stdout.txt" 2> "$OUT/ncu-stderr.txt"
  echo "ncu rc $? at $(( $(date +%s) - START )) s"
  (cd $S && python3 ncu_prefill_passes.py "$OUT/ncu-prefill.csv") > "$OUT/ncu-prefill-passes.json" 2> "$OUT/ncu-parse-stderr.txt"
  gzip -k "$OUT/ncu-prefill.csv"
fi
echo "total: $(( $(date +%s) - START )) s"
