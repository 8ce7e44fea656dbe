#!/usr/bin/env bash
# The quantization study (io.vecinfer.study.QuantizationStudy) on the H200 host's 16 CPU cores: the machine
# has no Java, so a jlink'd JDK 17 and the jars travel in .device-bundle/ (ignored by git):
#   .device-bundle/jre17b.tar.xz   jlink --add-modules java.base,java.logging,jdk.unsupported,jdk.incubator.vector
#   .device-bundle/lib/*.jar       gpu-worker jar + jackson core/databind/annotations
# Four JVMs of 4 threads: each model's grid in two halves. Results: $OUT/study-*.jsonl, one line per method.
set -uo pipefail
mkdir -p /tmp/jre && tar xJf .device-bundle/jre17b.tar.xz -C /tmp/jre
JAVA=/tmp/jre/jre17b/bin/java
$JAVA -version 2>&1 | head -1; nproc; date -u
for model in reference-model reference-model-outliers; do
  for half in "fp16|vecinfer|rawvq" "kivi|ablation-.*"; do
    tag="$model-$(echo "$half" | cut -c1-4 | tr -c 'a-z0-9\n' '_')"
    $JAVA --add-modules=jdk.incubator.vector -Dvecinfer.threads=4 -Xmx16g -cp ".device-bundle/lib/*" \
      io.vecinfer.study.QuantizationStudy --model "datasets/$model" --out "$OUT/study-$tag.jsonl" --only "$half" \
      --ppl-windows 2 --fidelity-windows 4 --passkey-context 1024 --kmeans-iterations 10 > "$OUT/study-$tag.log" 2>&1 &
  done
done
wait
date -u
wc -l "$OUT"/study-*.jsonl
