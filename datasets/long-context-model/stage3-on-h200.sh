#!/usr/bin/env bash
# Issue 17, stage 3: one device call that trains the long-context model from scratch by the README's "next attempt"
# recipe (hidden 256, 8 layers, FFN 1024, a larger 8k share; see stage3-notes.md for the plan and the prediction) and
# then, in the time left, runs the go/no-go evaluation of the trained weights at fp16 on held-out seeds through the
# Java evaluator's cells on the CUDA backend (QuickEval.java, no Spark).
# Here first: gpu-worker/scripts/make-device-bundle.sh, datasets/long-context-model/build-quick-eval.sh, the corpus
# (cd datasets && npm ci && python3 build_datasets.py; xz -9 -c datasets/corpus/train.jsonl > .device-corpus/train.jsonl.xz).
# Carry .device-bundle, .device-corpus and .lcm-quick-eval.
#   bash datasets/long-context-model/stage3-on-h200.sh      (env: TRAIN_S, STEPS, TOTAL_S, QE_LIMIT, QE_CELLS; and LCM_COUNTS,
#   LCM_TRAIN_ARGS to train another recipe than stage 3's, e.g. the README's next one with --gate-answer-loss)
# Back in $OUT: environment.txt, train-on-h200.sh's files (train.log, training-log.json, generate.log,
# long-context-model.tgz.part-*), quick-eval.json and quick-eval.log.
set -uo pipefail
START=$(date +%s)
TOTAL=${TOTAL_S:-590}
{
  echo "date: $(date -u +%FT%TZ)"
  echo "device: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader)"
  echo "bundle commit: $(cat .device-bundle/commit.txt 2>/dev/null || echo unknown)"
  echo "work tree commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
} | tee "$OUT/environment.txt"
# Unpacked once here; train-on-h200.sh, sourcing it again, sees DEVICE_BUNDLE_UNPACKED and does not unpack anew.
source gpu-worker/scripts/device-bundle-env.sh
export DEVICE_BUNDLE_UNPACKED
COUNTS=${LCM_COUNTS:-"1024:4000:4 2048:3000:4 4096:2000:4 8064:1500:4"} STEPS=${STEPS:-9000} TRAIN_S=${TRAIN_S:-380} \
  TRAIN_ARGS=${LCM_TRAIN_ARGS:-"--no-k-decay --hidden 256 --layers 8 --intermediate 1024 --phases 1024:0.2:64,2048:0.25:32,4096:0.25:16,8064:0.3:8"} \
  bash datasets/long-context-model/train-on-h200.sh
echo "training call done at $(( $(date +%s) - START )) s" | tee -a "$OUT/environment.txt"
left=$(( TOTAL - ($(date +%s) - START) ))
CELLS=${QE_CELLS:-ruler_niah_multikey@8064,ruler_niah_multikey@4096,ruler_niah_single@8064,ruler_vt@8064,ruler_niah_single@4096,ruler_vt@4096,ruler_niah_multivalue@8064,ruler_niah_multivalue@4096}
if [ -f /tmp/long-context-model/model.safetensors ] && (( left > 20 )); then
  timeout "$left" "$BUNDLE_JAVA" $BUNDLE_JAVA_OPTIONS -cp "$BUNDLE_CP:.lcm-quick-eval/quick-eval.jar" QuickEval \
    --model /tmp/long-context-model --datasets datasets --backend cuda --limit "${QE_LIMIT:-100}" --cells "$CELLS" \
    --out "$OUT/quick-eval.json" 2>&1 | grep -v '^WARNING: Using incubator' | tee "$OUT/quick-eval.log"
else
  echo "no quick evaluation: model $(ls /tmp/long-context-model 2>&1 | tr '\n' ' '), $left s left" | tee "$OUT/quick-eval.log"
fi
echo "end at $(( $(date +%s) - START )) s" | tee -a "$OUT/environment.txt"
