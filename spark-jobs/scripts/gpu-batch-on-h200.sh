#!/usr/bin/env bash
# Samples per second at GPU batch 1, 4, 16 and auto (issue 13), on the H200: runs gpu-batch-sweep.json and its
# report in local mode (one JVM, device 0, local[2]) on the Spark runtime that spark-runtime-on-h200.sh unpacked
# in /tmp/spark-runtime (packed by make-spark-runtime.sh at this commit), then batch_throughput.py on the output.
# The sweep's rows, report and CSV land in $OUT/gpu-batch-sweep; the run's tail and the throughput table beside it.
#   bash spark-jobs/scripts/gpu-batch-on-h200.sh [SWEEP_FILE]      (STEP_S bounds the sweep, default 480 s)
set -uo pipefail
R=/tmp/spark-runtime
[ -x "$R/jre/bin/java" ] || { echo "no Spark runtime in $R: stage and unpack it first (spark-runtime-on-h200.sh)" >&2; exit 2; }
SWEEP="${1:-spark-jobs/src/main/resources/gpu-batch-sweep.json}"
OUTPUT="${OUT:-/tmp}/gpu-batch-sweep"
read -r -a OPTIONS < "$R/conf/java-options"
{
  echo "date: $(date -u +%FT%TZ)"
  echo "device: $(nvidia-smi --query-gpu=name,driver_version,memory.total,memory.used --format=csv,noheader)"
  echo "runtime commit: $(cat "$R/commit.txt" 2>/dev/null || echo unknown)"
} | tee "${OUT:-/tmp}/gpu-batch-environment.txt"
export VECINFER_DATASETS="$PWD/datasets"
timeout -s QUIT -k 10 "${STEP_S:-480}" "$R/jre/bin/java" "${OPTIONS[@]}" -Dvecinfer.datasets="$PWD/datasets" \
  -cp "$R/conf:$R/jars/*:$R/app/spark-jobs.jar" io.vecinfer.spark.LocalMain "$SWEEP" --output "$OUTPUT" \
  > "${OUT:-/tmp}/gpu-batch-run.txt" 2>&1
echo "sweep exit status: $?"
tail -30 "${OUT:-/tmp}/gpu-batch-run.txt"
python3 spark-jobs/scripts/batch_throughput.py "$OUTPUT" 2>&1 | tee "${OUT:-/tmp}/gpu-batch-throughput.txt"
