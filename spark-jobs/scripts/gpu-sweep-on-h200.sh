#!/usr/bin/env bash
# The bit-width ablation sweep through Spark on the GPU machine, in one device call, after the runtime's parts are
# staged (spark-runtime-on-h200.sh; carry the last part, .spark-runtime/SHA256SUMS, .spark-app and .spark-codebooks):
#   bash spark-jobs/scripts/gpu-sweep-on-h200.sh [cluster] [local] [batch]
#     cluster  a standalone master and one worker whose GPU comes from conf/gpu-discovery.sh; Evaluate, then Report,
#              through Spark's own SparkSubmit main (bin/spark-cluster.sh submit), SWEEP (default
#              spark-jobs/src/main/resources/gpu-ablation-sweep.json) into out/gpu-cluster
#     local    the README's main command, spark-jobs/run-local.sh SWEEP, on the runtime's JRE (SPARK_RUNTIME)
#     batch    run-local.sh on spark-jobs/src/main/resources/gpu-batch-sweep.json (batch 1, 4, 16, auto), then
#              spark-jobs/scripts/batch_throughput.py: samples/s per (method, task, batch) into gpu-batch-throughput.txt
#     sweep=FILE  run-local.sh on any sweep file (e.g. prefill-semantics-gpu-sweep.json) into out/<its name>
# .spark-codebooks holds the sweep's codebooks, calibrated here by the CPU run of the same sweep; each output starts
# with a copy, so no k-means runs on the GPU host and both backends use the same codebooks. Everything lands in $OUT.
set -uo pipefail
steps="${*:-cluster local}"
SWEEP="${SWEEP:-spark-jobs/src/main/resources/gpu-ablation-sweep.json}"
R=/tmp/spark-runtime
LOG="$OUT/gpu-sweep.log"
export VECINFER_DATASETS="$PWD/datasets" SPARK_RUNTIME="$R"
log() { echo "[$(date -u +%T)] $*" | tee -a "$LOG"; }
{
  echo "date: $(date -u +%FT%TZ)"
  echo "device: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader)"
  echo "runtime commit: $(cat $R/commit.txt)"
  echo "cpus: $(nproc)"
} | tee "$OUT/environment.txt"
# The shipped weights travel as datasets/*/model.safetensors.xz: unpacked (and the outlier variants' derived) before
# anything reads them, by the build's own steps; a wrong hash stops the sweep here.
for main in "io.vecinfer.model.ShippedWeights datasets" "io.vecinfer.outliers.VariantWeights datasets"; do
  "$R/jre/bin/java" -cp "$R/app/spark-jobs.jar:$R/jars/*" $main 2>&1 | tee -a "$LOG"
  [ "${PIPESTATUS[0]}" = 0 ] || { log "$main failed"; exit 1; }
done
seed_codebooks() { mkdir -p "$1/codebooks" && cp .spark-codebooks/*.safetensors "$1/codebooks/" 2>/dev/null; ls "$1/codebooks" | wc -l; }
timed() { local began=$(date +%s%N); "$@" >> "$LOG" 2>&1; local rc=$?; log "rc=$rc in $(( ($(date +%s%N) - began) / 1000000 )) ms: $*"; return $rc; }
for step in $steps; do
  case "$step" in
    cluster)
      out=out/gpu-cluster
      log "cluster: $(seed_codebooks $out) codebooks seeded"
      timed "$R/bin/spark-cluster.sh" start 8
      export SUBMIT_CONF="spark.executor.resource.gpu.amount=1 spark.task.resource.gpu.amount=1 spark.executorEnv.VECINFER_DATASETS=$VECINFER_DATASETS"
      timed "$R/bin/spark-cluster.sh" submit io.vecinfer.spark.Evaluate "$SWEEP" --output "$out"
      timed "$R/bin/spark-cluster.sh" submit io.vecinfer.spark.Report "$out"
      "$R/bin/spark-cluster.sh" stop
      tar czf "$OUT/gpu-cluster-output.tar.gz" "$out" -C "$R" logs ;;
    local)
      out=out/gpu-local
      log "local: $(seed_codebooks $out) codebooks seeded"
      timed spark-jobs/run-local.sh "$SWEEP" --output "$out"
      tar czf "$OUT/gpu-local-output.tar.gz" "$out" ;;
    batch)
      out=out/gpu-batch
      log "batch: $(seed_codebooks $out) codebooks seeded"
      timed spark-jobs/run-local.sh spark-jobs/src/main/resources/gpu-batch-sweep.json --output "$out"
      python3 spark-jobs/scripts/batch_throughput.py "$out" 2>&1 | tee "$OUT/gpu-batch-throughput.txt"
      tar czf "$OUT/gpu-batch-output.tar.gz" "$out" ;;
    sweep=*)
      # Any sweep file through run-local.sh, codebooks seeded; the output (minus codebooks) comes back as one archive.
      file="${step#sweep=}" name="$(basename "${step#sweep=}" .json)"
      out="out/$name"
      log "$name: $(seed_codebooks $out) codebooks seeded"
      timed spark-jobs/run-local.sh "$file" --output "$out"
      tar czf "$OUT/$name-output.tar.gz" --exclude=codebooks "$out" ;;
    *) log "unknown step $step (cluster, local, batch, sweep=FILE)"; exit 2 ;;
  esac
done
log "done"
