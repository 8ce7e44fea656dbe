#!/usr/bin/env bash
# Runs a sweep and its report on a local Spark (local[2]) in one JVM, from the repository root:
#   spark-jobs/run-local.sh [SWEEP_FILE [--output DIR]]
# Without arguments: spark-jobs/src/main/resources/default-sweep.json, output in out/default-sweep/.
# A rerun resumes: it runs only the samples not yet committed.
set -euo pipefail
exec "$(dirname "$0")/run-main.sh" io.vecinfer.spark.LocalMain "$@"
