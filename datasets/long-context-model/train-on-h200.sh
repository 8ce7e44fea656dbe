#!/usr/bin/env bash
# One device call (issue 17): generate the RULER-style training examples with the device bundle's JRE, train the
# long-context model (about 6 minutes of training, stopped by train.py's --time-limit-s), send model and log back.
# NOT RUN YET. Before the call, here: build the bundle from this commit (gpu-worker/scripts/make-device-bundle.sh) and, for the
# recipe's text, rebuild datasets/corpus (cd datasets && npm ci && python3 build_datasets.py). Carry .device-bundle
# and datasets/corpus; without datasets/corpus the text rows fall back to the shipped calibration text (logged).
#   bash datasets/long-context-model/train-on-h200.sh          (env: STEPS, TRAIN_S, COUNTS, TRAIN_ARGS)
# Back in $OUT: train.log, training-log.json, generate.log and long-context-model.tgz.part-* (cat them | tar xz).
set -euo pipefail
export PYTHONUNBUFFERED=1
STEPS=${STEPS:-2400}
TRAIN_S=${TRAIN_S:-360}
# Examples per kind at each length: fewer long ones, so each length is about the same number of tokens.
COUNTS=${COUNTS:-"1024:800 2048:400 4096:200 8064:100"}
TEXT=datasets/corpus/train.jsonl
[ -f "$TEXT" ] || { echo "no $TEXT carried: text rows from the calibration text"; TEXT=datasets/calibration/calibration.jsonl; }
python3 -c 'import torch, transformers, tokenizers; print("torch", torch.__version__, "transformers", transformers.__version__, "tokenizers", tokenizers.__version__, torch.cuda.get_device_name(0))'
rm -rf /tmp/jre /tmp/ruler && mkdir -p /tmp/jre /tmp/ruler && tar xJf .device-bundle/jre17b.tar.xz -C /tmp/jre
JAVA="/tmp/jre/jre17b/bin/java --add-modules=jdk.incubator.vector -Dvecinfer.repo=$PWD"
# One JVM per length, in parallel (16 cores); each writes its own file.
pids=()
for cell in $COUNTS; do
  $JAVA -cp ".device-bundle/lib/*" io.vecinfer.eval.ruler.RulerTrainingData --datasets datasets \
    --lengths "${cell%%:*}" --count "${cell##*:}" --out "/tmp/ruler/ruler-${cell%%:*}.jsonl" >> "$OUT/generate.log" 2>&1 &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
ls -la /tmp/ruler | tee -a "$OUT/generate.log"
MODEL=/tmp/long-context-model
python3 datasets/long-context-model/train.py --out "$MODEL" --ruler /tmp/ruler/*.jsonl --text "$TEXT" \
  --steps "$STEPS" --time-limit-s "$TRAIN_S" ${TRAIN_ARGS:-} 2>&1 | tee "$OUT/train.log"
cp "$MODEL/training-log.json" "$OUT/"
tar czf /tmp/long-context-model.tgz -C /tmp long-context-model
split -b 15M /tmp/long-context-model.tgz "$OUT/long-context-model.tgz.part-"
ls -la "$OUT"
