#!/usr/bin/env bash
# The quantization study (io.vecinfer.study.QuantizationStudy) on the H200 host's 16 CPU cores: the machine
# has no Java, so a jlink'd JDK 17 and the jars travel in .device-bundle/ (ignored by git):
#   .device-bundle/jre17b.tar.xz and lib.tar.xz: built by gpu-worker/scripts/make-device-bundle.sh, unpacked (with
#   the shipped weights) by gpu-worker/scripts/device-bundle-env.sh
# One single-threaded JVM per (model, method) of the 12-bit rows, whose k-means fits are the costly part;
# the other rows run on a CPU machine with the same settings (STUDY_ARGS). Results: $OUT/study-*.jsonl.
set -uo pipefail
# The settings of the committed study (docs/results.md), so its rows can be merged with those.
STUDY_ARGS="--ppl-windows 1 --fidelity-windows 1 --fidelity-context 1024 --passkey-context 1024 --kmeans-iterations 8"
source gpu-worker/scripts/device-bundle-env.sh
JAVA="$BUNDLE_JAVA"
$JAVA -version 2>&1 | head -1; nproc; date -u
# The outlier variants' weights are derived at build time, not tracked, so the work tree there lacks them.
$JAVA -cp "$BUNDLE_CP" io.vecinfer.outliers.VariantWeights datasets || exit 1
i=0
for model in reference-model reference-model-outliers; do
  for label in vecinfer-3 vecinfer-1.5 vecinfer-1.25 rawvq-3 rawvq-1.5 none-1.5 smooth-1.5 hadamard-1.5; do
    i=$((i + 1))
    $JAVA $BUNDLE_JAVA_OPTIONS -Dvecinfer.threads=1 -Xmx4g -cp "$BUNDLE_CP" \
      io.vecinfer.study.QuantizationStudy --model "datasets/$model" --out "/tmp/study-$i.jsonl" --only "$label" \
      $STUDY_ARGS > "/tmp/study-$i.log" 2>&1 &
  done
done
# Results are gathered every 20 s, so a run cut short by the time limit still returns every finished row.
while sleep 20; do
  cat /tmp/study-*.jsonl > "$OUT/study-h200.jsonl" 2>/dev/null
  pgrep -f QuantizationStudy >/dev/null || break
done
cat /tmp/study-*.jsonl > "$OUT/study-h200.jsonl"; tail -n 3 /tmp/study-1.log > "$OUT/study-1.log"
date -u; wc -l "$OUT/study-h200.jsonl"
