#!/usr/bin/env bash
# Issue 7's attempt to make key outliers emerge by training rather than by construction: a larger model
# (hidden 384, FFN 864: 15.8M parameters, 31.6 MB in bf16), no weight decay, half the sequences plain text.
# The checkpoint comes back in 15 MB parts; its key-channel profile is measured by the Java side
# (io.vecinfer.outliers.ProfileCommand) on the same calibration text as the shipped models.
set -euo pipefail
export PYTHONUNBUFFERED=1
python3 datasets/reference-model/train.py --out /tmp/emergence --steps "${STEPS:-3000}" --hidden 384 --intermediate 864 \
  --layers 8 --weight-decay 0 --passkey-fraction 0.5 2>&1 | grep -v "Loading weights\|Writing model" | tee "$OUT/emergence-train.log"
tar czf /tmp/emergence.tgz -C /tmp emergence
split -b 15M /tmp/emergence.tgz "$OUT/emergence.tgz.part-"
ls -la "$OUT"
