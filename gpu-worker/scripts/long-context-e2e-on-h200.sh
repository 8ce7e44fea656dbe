#!/usr/bin/env bash
# One device call: issue 12's end-to-end targets on the Llama-3.1-8B shape (LongContextE2EBenchmark): a decode step at
# 196k tokens and batch 1, and at 32k the largest batch each cache fits, fp16 beside 2-bit VecInfer (d4b8 keys and
# values). Build .device-bundle/ here first (gpu-worker/scripts/make-device-bundle.sh) and carry it. Steps, bounded so
# that the whole stays inside ~5 minutes (LONGCTX_TOTAL_S, default 300):
#   1. the random bf16 checkpoint in /tmp/llama8b-random (make_8b_checkpoint.py; kept if already complete);
#   2. /tmp/llama8b-196k: the same shards (symbolic links) under a config.json whose max_position_embeddings is
#      197632 = 196608 + 1024 spare positions, because each warm-up and timed step appends one token past the filled
#      196608 (the 2026-12-02 run had exactly 196608 and both 196k rows failed at 196609 tokens). RoPE is unchanged:
#      llama3 scaling reads original_max_position_embeddings, 8192;
#   3. the benchmark, with what is left as its budget, writing $OUT/ours.json as it goes;
#   4. $OUT/long-context-e2e-h200.json: command, device, date, commit, the rows, and the two ratios the targets name.
#        bash gpu-worker/scripts/long-context-e2e-on-h200.sh [LongContextE2EBenchmark args, e.g. --steps 4]
set -uo pipefail
START=$(date +%s)
TOTAL=${LONGCTX_TOTAL_S:-300}
BASE=/tmp/llama8b-random
MODEL=/tmp/llama8b-196k
left() { echo $((TOTAL - ($(date +%s) - START))); }
S=gpu-worker/scripts
COMMIT=$(cat .device-bundle/commit.txt 2>/dev/null || echo unknown)
DEVICE=$(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | head -1)
{
  echo "date: $(date -u +%FT%TZ)"
  echo "device: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader)"
  echo "commit: $COMMIT"
} | tee "$OUT/environment.txt"
source gpu-worker/scripts/device-bundle-env.sh

timeout 240 python3 "$S/make_8b_checkpoint.py" --out "$BASE" 2>&1 | tee "$OUT/checkpoint.txt"
python3 - "$BASE" "$MODEL" <<'EOF' 2>&1 | tee -a "$OUT/checkpoint.txt"
import json, os, shutil, sys
base, out = sys.argv[1], sys.argv[2]
shutil.rmtree(out, ignore_errors=True)
os.makedirs(out)
for name in os.listdir(base):
    if name != "config.json":
        os.symlink(os.path.join(base, name), os.path.join(out, name))
with open(os.path.join(base, "config.json")) as f:
    config = json.load(f)
config["max_position_embeddings"] = 196608 + 1024  # the filled context plus room for the steps that append to it
with open(os.path.join(out, "config.json"), "w") as f:
    json.dump(config, f, indent=2)
print(json.dumps({"checkpoint": out, "weights_from": base, "max_position_embeddings": config["max_position_embeddings"]}))
EOF

BUDGET=$(( $(left) - 40 )); (( BUDGET > 240 )) && BUDGET=240
echo "java budget: ${BUDGET} s" | tee "$OUT/ours-log.txt"
if (( BUDGET > 20 )); then
  timeout $(( $(left) - 10 )) "$BUNDLE_JAVA" $BUNDLE_JAVA_OPTIONS -Xmx32g -cp "$BUNDLE_CP" \
    io.vecinfer.bench.LongContextE2EBenchmark --model "$MODEL" --budget-s "$BUDGET" --out "$OUT/ours.json" "$@" \
    2>&1 >/dev/null | tee -a "$OUT/ours-log.txt"
fi

python3 - "$OUT/ours.json" "$OUT/long-context-e2e-h200.json" "bash $S/long-context-e2e-on-h200.sh $*" "$DEVICE" "$COMMIT" <<'EOF'
import json, sys
ours, out, command, device, commit = sys.argv[1:6]
try:
    with open(ours) as f:
        run = json.load(f)
except (OSError, ValueError) as e:
    run = {"rows": [], "error": f"no benchmark output: {e}"}
keep = ["name", "method", "batch", "context", "ours_ms", "tokens_per_s", "cache_bytes", "cache_bytes_per_sequence",
        "device_bytes_per_sequence", "events_ms", "launches_per_step", "graph_replays", "ours_min_ms", "steps", "fill", "fill_s",
        "fit", "fit_batch", "fit_shortfall", "auto_batch_rule", "skipped"]
rows = [{k: r[k] for k in keep if k in r} for r in run.get("rows", [])]
def find(prefix, kind):
    return next((r for r in rows if r["name"].startswith(prefix + "-" + kind)), {})
def ratio(a, b):
    return round(a / b, 3) if isinstance(a, (int, float)) and isinstance(b, (int, float)) and b else None
long_fp16, long_vq = find("long", "fp16"), find("long", "vq")
batch_fp16, batch_vq = find("maxbatch", "fp16"), find("maxbatch", "vq")
result = {
    "command": command, "device": device, "date": run.get("date"), "commit": commit,
    "what": run.get("benchmark"), "model": run.get("model"), "max_position_embeddings": run.get("max_position_embeddings"),
    "targets": {
        "long_step_speedup_vq_over_fp16": ratio(long_fp16.get("ours_ms"), long_vq.get("ours_ms")),
        "long_step_speedup_target": 1.9,
        "maxbatch_tokens_per_s_vq_over_fp16": ratio(batch_vq.get("tokens_per_s"), batch_fp16.get("tokens_per_s")),
        "maxbatch_tokens_per_s_target": 5.0,
    },
    "rows": rows,
}
for key in ("weights_gib", "load_s", "device_peak_gib", "seconds", "error"):
    if key in run:
        result[key] = run[key]
with open(out, "w") as f:
    json.dump(result, f, indent=2)
print(json.dumps(result["targets"]))
EOF
echo "total: $(( $(date +%s) - START )) s"
