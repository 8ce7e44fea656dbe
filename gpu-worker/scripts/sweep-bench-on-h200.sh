#!/usr/bin/env bash
# One device call: the sweep benchmark on the H200 (issue "GPU decoder at the speed of the hardware": samples per
# second of a perplexity-window and passkey sweep through the cell runner on the 8B shape, against transformers).
# Build .device-bundle/ here first (gpu-worker/scripts/make-device-bundle.sh) and carry it. Steps, each bounded so
# that the whole stays inside one call (SWEEP_TOTAL_S, default 570 s of the 600 s limit; about 4 minutes expected):
#   1. the Llama-3.1-8B-shaped random-bf16 checkpoint in /tmp/llama8b-random (make_8b_checkpoint.py, kept if complete),
#      with the shipped reference model's tokenizer.json beside it: the tasks build their samples from text, and its
#      8192 ids all lie inside the checkpoint's 128256-row vocabulary (nothing else reads it);
#   2. SweepBenchmark --list-only: the samples' token ids (16 windows of 4096 after BOS, the 20 passkey prompts of 4096
#      tokens), from the catalog the runner uses, no weights loaded;
#   3. the transformers peer (sweep_peer.py) on those ids; it exits (freeing the GPU) before the JVM starts;
#   4. SweepBenchmark through ModelCellRunner on the CUDA backend, with the time that is left;
#   5. both merged into $OUT/sweep-benchmark-h200.json, also when a step failed (its values null).
# Every step writes to $OUT as it goes.     bash gpu-worker/scripts/sweep-bench-on-h200.sh [SweepBenchmark args]
# Extra arguments go to both SweepBenchmark calls (the sample list and the run), e.g. --windows 8 --passkeys 10.
set -uo pipefail
START=$(date +%s)
TOTAL=${SWEEP_TOTAL_S:-570}
MODEL=/tmp/llama8b-random
SAMPLES=/tmp/sweep-samples.json
left() { echo $((TOTAL - ($(date +%s) - START))); }
S=gpu-worker/scripts
# An array: the class path's * is for java to expand, not the shell.
source gpu-worker/scripts/device-bundle-env.sh
JAVA=("$BUNDLE_JAVA" $BUNDLE_JAVA_OPTIONS -cp "$BUNDLE_CP")
{
  echo "date: $(date -u +%FT%TZ)"
  echo "device: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader)"
  echo "commit: $(cat .device-bundle/commit.txt 2>/dev/null || echo unknown)"
  df -h /tmp | tail -1
} | tee "$OUT/environment.txt"

timeout 240 python3 "$S/make_8b_checkpoint.py" --out "$MODEL" 2>&1 | tee "$OUT/checkpoint.txt"
cp datasets/reference-model/tokenizer.json "$MODEL/"

rm -f "$SAMPLES"
timeout 60 "${JAVA[@]}" -Xmx4g io.vecinfer.bench.SweepBenchmark --model "$MODEL" --list-only --samples-out "$SAMPLES" "$@" \
  2>&1 >/dev/null | tee "$OUT/samples-log.txt"

PEER_S=$(( $(left) - 150 )); (( PEER_S > 180 )) && PEER_S=180
if [ -s "$SAMPLES" ] && (( PEER_S > 20 )); then
  PYTHONUNBUFFERED=1 timeout "$PEER_S" python3 "$S/sweep_peer.py" --model "$MODEL" --samples "$SAMPLES" --out "$OUT/peer.json" \
    2>&1 >/dev/null | tee "$OUT/peer-log.txt"
else
  # Say why, or the merged JSON shows only a missing peer.json (the 2026-12-02 run at SWEEP_TOTAL_S=120 skipped it silently).
  echo "peer skipped: samples $( [ -s "$SAMPLES" ] && echo present || echo missing ), peer budget ${PEER_S} s" \
    "(the time left less the 150 s kept for the JVM; needs > 20 s, so SWEEP_TOTAL_S >= ~180)" | tee "$OUT/peer-log.txt"
fi

echo "java time left: $(( $(left) - 15 )) s" | tee "$OUT/ours-log.txt"
if [ -s "$SAMPLES" ] && (( $(left) > 45 )); then
  timeout $(( $(left) - 15 )) "${JAVA[@]}" -Xmx48g io.vecinfer.bench.SweepBenchmark --model "$MODEL" --backend cuda \
    --out "$OUT/ours.json" "$@" 2>&1 >/dev/null | tee -a "$OUT/ours-log.txt"
fi

python3 "$S/merge_sweep.py" --ours "$OUT/ours.json" --peer "$OUT/peer.json" --samples "$SAMPLES" \
  --out "$OUT/sweep-benchmark-h200.json" \
  --command "bash $S/sweep-bench-on-h200.sh $*" \
  --device "$(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | head -1)" \
  --commit "$(cat .device-bundle/commit.txt 2>/dev/null || echo unknown)"
echo "total: $(( $(date +%s) - START )) s"
