#!/usr/bin/env bash
# One device call: train the reference model, then make the parity fixtures from it, and send both back.
#   carry: datasets/corpus and the two @lenml tokenizer.json files (see gpu-worker/src/test/python/make_fixtures.py)
#   STEPS=3000 bash datasets/reference-model/run-on-h200.sh
set -euo pipefail
export PYTHONUNBUFFERED=1
STEPS=${STEPS:-3000}
python3 -c 'import torch, transformers, tokenizers; print("torch", torch.__version__, "transformers", transformers.__version__, "tokenizers", tokenizers.__version__, torch.cuda.get_device_name(0))'
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
python3 datasets/reference-model/train.py --out datasets/reference-model --steps "$STEPS" ${PASSKEY_LIMIT:+--passkey-limit $PASSKEY_LIMIT} 2>&1 | tee "$OUT/train.log"
LEN=datasets/node_modules/@lenml
python3 gpu-worker/src/test/python/make_fixtures.py --model datasets/reference-model \
  --tokenizer llama3_1=$LEN/tokenizer-llama3_1/models/tokenizer.json \
  --tokenizer qwen3=$LEN/tokenizer-qwen3/models/tokenizer.json \
  --out gpu-worker/src/test/resources/fixtures 2>&1 | tee "$OUT/fixtures.log"
tar czf /tmp/results.tgz datasets/reference-model gpu-worker/src/test/resources/fixtures
split -b 15M /tmp/results.tgz "$OUT/results.tgz.part-"
ls -la "$OUT"
