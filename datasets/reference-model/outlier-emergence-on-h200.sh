#!/usr/bin/env bash
# Issue 7's attempt to make key outliers emerge by training rather than by construction: a larger model
# (hidden 384, FFN 864, 8 layers: 15.8M parameters, 31.7 MB in bf16), no weight decay, half the sequences
# plain text, the shipped recipe otherwise (3000 steps, same phases, seed and lr).
# Results: docs/results/outlier-emergence.md. One device call (run tool, kind nvidia-h200, timeout_s 570):
#   carry: datasets/corpus
#   bash datasets/reference-model/outlier-emergence-on-h200.sh
# What comes back under $OUT, written as it goes so that a timeout still returns what was done:
#   emergence-env.txt             date (UTC), GPU, package versions, start and end
#   emergence-train.log           the training console, line by line
#   emergence-ckpt.tgz.part-*     the checkpoint (config, bf16 safetensors, tokenizer) in 15 MB parts, packed as
#                                 soon as the weights are saved, while the evaluation still runs
#   emergence-training-log.json   train.py's log: settings, loss curve, held-out perplexity, passkey answers
# The checkpoint is not committed; its key-channel profile is measured here by the Java side:
#   cat emergence-ckpt.tgz.part-* | tar xzf - -C /tmp   (gives /tmp/emergence)
#   java --add-modules=jdk.incubator.vector -cp ... io.vecinfer.outliers.ProfileCommand --model /tmp/emergence
set -uo pipefail
export PYTHONUNBUFFERED=1
STEPS=${STEPS:-3000}
CK=/tmp/emergence
rm -rf "$CK" /tmp/emergence-ckpt.tgz
{
  echo "start $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
  python3 -c 'import torch, transformers, tokenizers; print("torch", torch.__version__, "transformers", transformers.__version__, "tokenizers", tokenizers.__version__, torch.cuda.get_device_name(0))'
} 2>&1 | tee "$OUT/emergence-env.txt"

# Pack the checkpoint once it is complete: train.py writes tokenizer_config.json right after the weights.
(
  while [ ! -f "$CK/tokenizer_config.json" ]; do
    [ -f /tmp/emergence-train-done ] && exit 1
    sleep 2
  done
  sleep 2
  tar czf /tmp/emergence-ckpt.tgz -C /tmp emergence/config.json emergence/generation_config.json \
    emergence/model.safetensors emergence/tokenizer.json emergence/tokenizer_config.json
  split -b 15M /tmp/emergence-ckpt.tgz "$OUT/emergence-ckpt.tgz.part-"
  echo "checkpoint packed $(date -u '+%H:%M:%S')"
) &
PACK=$!

rm -f /tmp/emergence-train-done
timeout 540 python3 datasets/reference-model/train.py --out "$CK" --steps "$STEPS" --hidden 384 --intermediate 864 \
  --layers 8 --weight-decay 0 --passkey-fraction 0.5 2>&1 \
  | grep --line-buffered -v "Loading weights\|Writing model" | tee "$OUT/emergence-train.log"
echo "train.py exit ${PIPESTATUS[0]}"
touch /tmp/emergence-train-done
wait "$PACK"
[ -f "$CK/training-log.json" ] && cp "$CK/training-log.json" "$OUT/emergence-training-log.json"
echo "end $(date -u '+%Y-%m-%d %H:%M:%S UTC')" | tee -a "$OUT/emergence-env.txt"
ls -la "$OUT"
