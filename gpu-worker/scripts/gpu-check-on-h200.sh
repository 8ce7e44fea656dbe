#!/usr/bin/env bash
# One device call that checks and times the CUDA backend on the H200 (built here first by
# scripts/make-device-bundle.sh; carry .device-bundle):
#   1. every GPU test of io.vecinfer.cuda.* through the JUnit launcher (kernels against their CPU
#      references, CudaDecoder against the CPU Decoder, the CUDA cell runner against the CPU one);
#   2. the fused VQ decode-attention benchmark and its PyTorch SDPA (enable_gqa) peer, same shapes;
#      the fp16 ring attention benchmark (tensor-core prefill, split-KV decode) and its SDPA peer.
# Everything lands in $OUT as it is produced, so a run cut short still returns what finished.
#   bash gpu-worker/scripts/gpu-check-on-h200.sh [tests] [bench]      (default: both)
set -uo pipefail
steps="${*:-tests bench}"
rm -rf /tmp/jre && mkdir -p /tmp/jre && tar xJf .device-bundle/jre17b.tar.xz -C /tmp/jre
JAVA="/tmp/jre/jre17b/bin/java --add-modules=jdk.incubator.vector -Dvecinfer.repo=$PWD"
# The test classes as a folder: JUnit scans packages in jars through the zip file system, which the
# jlink'd runtime leaves out (no jdk.zipfs).
rm -rf /tmp/test-classes && python3 -m zipfile -e .device-bundle/lib/gpu-worker-tests.jar /tmp/test-classes
CP="/tmp/test-classes:.device-bundle/lib/*:gpu-worker/src/test/resources"
{
  echo "date: $(date -u +%FT%TZ)"
  echo "device: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader)"
  echo "commit: $(cat .device-bundle/commit.txt 2>/dev/null || echo unknown)"
} | tee "$OUT/environment.txt"
if [[ " $steps " == *" tests "* ]]; then
  $JAVA -cp "$CP" io.vecinfer.cuda.DeviceTestLauncher io.vecinfer.cuda 2>&1 | tee "$OUT/gpu-tests.txt"
fi
if [[ " $steps " == *" bench "* ]]; then
  $JAVA -cp "$CP" io.vecinfer.bench.VqAttentionBenchmark 2>"$OUT/benchmark-stderr.txt" | tee "$OUT/vq-attention-benchmark.json"
  PYTHONUNBUFFERED=1 python3 gpu-worker/scripts/sdpa_peer.py 2>&1 | tee "$OUT/sdpa-peer.json"
  $JAVA -cp "$CP" io.vecinfer.bench.AttentionBenchmark 2>"$OUT/attention-benchmark-stderr.txt" | tee "$OUT/attention-benchmark.json"
  PYTHONUNBUFFERED=1 python3 gpu-worker/scripts/attention_peer.py 2>&1 | tee "$OUT/attention-peer.json"
fi
