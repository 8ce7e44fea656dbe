#!/usr/bin/env bash
# One device call (issue 17): generate the RULER-style training examples with the device bundle's JRE, train the
# long-context model (about 7 minutes of training, stopped by train.py's --time-limit-s), send model and log back.
# Run once (2026-12-02, see README.md). Before the call, here: build the bundle from this commit (gpu-worker/scripts/make-device-bundle.sh) and, for the
# recipe's text, rebuild datasets/corpus (cd datasets && npm ci && python3 build_datasets.py). Carry .device-bundle
# and datasets/corpus (or .device-corpus/train.jsonl.xz: xz -9 of it); without datasets/corpus the text rows fall back to the shipped calibration text (logged).
#   bash datasets/long-context-model/train-on-h200.sh          (env: STEPS, TRAIN_S, COUNTS, TRAIN_ARGS)
# Back in $OUT: train.log, training-log.json, generate.log and long-context-model.tgz.part-* (cat them | tar xz).
set -euo pipefail
export PYTHONUNBUFFERED=1
STEPS=${STEPS:-6000}
TRAIN_S=${TRAIN_S:-440}
# Examples per kind at each length, and the JVMs that write them (disjoint --skip ranges): about 1.2-1.5 passes
# over each length's examples at the planned steps, so the model learns to retrieve rather than to recall.
COUNTS=${COUNTS:-"1024:6000:6 2048:3000:4 4096:1000:3 8064:500:3"}
TEXT=datasets/corpus/train.jsonl
# The corpus travels xz-compressed (2.7 MB instead of 11.5) when carried as .device-corpus/train.jsonl.xz.
if [ ! -f "$TEXT" ] && [ -f .device-corpus/train.jsonl.xz ]; then mkdir -p datasets/corpus && xz -dc .device-corpus/train.jsonl.xz > "$TEXT"; fi
[ -f "$TEXT" ] || { echo "no $TEXT carried: text rows from the calibration text"; TEXT=datasets/calibration/calibration.jsonl; }
python3 -c 'import torch, transformers, tokenizers; print("torch", torch.__version__, "transformers", transformers.__version__, "tokenizers", tokenizers.__version__, torch.cuda.get_device_name(0))'
rm -rf /tmp/ruler && mkdir -p /tmp/ruler
source gpu-worker/scripts/device-bundle-env.sh
JAVA="$BUNDLE_JAVA $BUNDLE_JAVA_OPTIONS -Dvecinfer.repo=$PWD"
pids=()
for cell in $COUNTS; do
  IFS=: read -r length count jvms <<< "$cell"
  per=$(( (count + jvms - 1) / jvms ))
  for ((j = 0; j < jvms; j++)); do
    skip=$(( j * per )); n=$(( count - skip < per ? count - skip : per ))
    $JAVA -cp "$BUNDLE_CP" io.vecinfer.eval.ruler.RulerTrainingData --datasets datasets \
      --lengths "$length" --skip "$skip" --count "$n" --out "/tmp/ruler/ruler-$length-$j.jsonl" >> "$OUT/generate.log" 2>&1 &
    pids+=($!)
  done
done
for p in "${pids[@]}"; do wait "$p"; done
ls -la /tmp/ruler | tee -a "$OUT/generate.log"
MODEL=/tmp/long-context-model
# No set -e from here: whatever train.py saved comes back, even if a later step of it fails.
python3 datasets/long-context-model/train.py --out "$MODEL" --ruler /tmp/ruler/*.jsonl --text "$TEXT" \
  --steps "$STEPS" --time-limit-s "$TRAIN_S" ${TRAIN_ARGS:-} 2>&1 | tee "$OUT/train.log" || true
cp "$MODEL/training-log.json" "$OUT/" || true
tar czf /tmp/long-context-model.tgz -C /tmp long-context-model
split -b 15M /tmp/long-context-model.tgz "$OUT/long-context-model.tgz.part-"
ls -la "$OUT"
