#!/usr/bin/env bash
# Stages the Spark runtime of make-spark-runtime.sh on the GPU machine, whose /tmp lasts while the machine is
# warm (about 30 s after a call) and whose calls carry at most 64 MiB, the tracked tree (about 47 MB in 4 KiB blocks with both shipped
# models) included: one part (18 MiB by default: six parts for the ~106 MB runtime) per call, calls back to back.
# Check a call before making it: gpu-worker/scripts/travel-size.sh .spark-runtime/part-0K .spark-runtime/SHA256SUMS
#   call k (carry .spark-runtime/part-0k and .spark-runtime/SHA256SUMS):  bash spark-jobs/scripts/spark-runtime-on-h200.sh stage
#   the call that has the last part: ... stage && ... unpack    then /tmp/spark-runtime/bin/spark-cluster.sh start|submit|stop
#   app (carry .spark-app, from make-spark-runtime.sh --app): lays this checkout's jars, scripts and conf over the
#   unpacked runtime, so parts staged from an older commit run the newer code (.spark-app also brings the xz jar that
#   io.vecinfer.model.ShippedWeights needs, which runtimes built before it lack)
set -euo pipefail
PARTS=/tmp/spark-runtime-parts
case "${1:-}" in
  stage)
    mkdir -p "$PARTS"
    cp .spark-runtime/SHA256SUMS "$PARTS/"
    for p in .spark-runtime/part-*; do [ -f "$p" ] && cp "$p" "$PARTS/" && echo "staged $(basename "$p")"; done
    ls "$PARTS" ;;
  unpack)
    (cd "$PARTS" && cat part-* > spark-runtime.tar.xz && sha256sum -c SHA256SUMS) || { echo "parts missing or damaged: $(ls "$PARTS")" >&2; exit 1; }
    rm -rf /tmp/spark-runtime && tar xJf "$PARTS/spark-runtime.tar.xz" -C /tmp && rm "$PARTS/spark-runtime.tar.xz"
    echo "unpacked /tmp/spark-runtime (commit $(cat /tmp/spark-runtime/commit.txt))" ;;
  app)
    [ -d /tmp/spark-runtime ] || { echo "no /tmp/spark-runtime: stage and unpack first" >&2; exit 1; }
    cp -r .spark-app/{app,conf,bin,jars,commit.txt} /tmp/spark-runtime/
    echo "runtime now runs commit $(cat /tmp/spark-runtime/commit.txt)" ;;
  *) echo "usage: spark-runtime-on-h200.sh stage | unpack | app" >&2; exit 2 ;;
esac
