#!/usr/bin/env bash
# One device call that checks and times the CUDA backend on the H200 (built here first by
# scripts/make-device-bundle.sh; carry .device-bundle). Steps, in the order given:
#   tests      the GPU tests through the JUnit launcher (kernels against their CPU references, CudaDecoder
#              against the CPU Decoder, the CUDA cell runner against the CPU one); GPU_TESTS names the
#              packages or classes (default io.vecinfer.cuda);
#   vq         the fused VQ decode-attention benchmark and its PyTorch SDPA (enable_gqa) peer, same shapes, joined into
#              rows (vq_rows.py; with our fp16 decode rows when the attention step ran before it);
#   attention  the fp16 ring attention benchmark (tensor-core prefill, split-KV decode) and its SDPA peer;
#   matmul     the projections on Llama-3.1-8B shapes and their torch.matmul peer.
# Each Java step has a time limit (STEP_S, default 240 s); one that outlives it prints a thread dump (SIGQUIT)
# before it is killed, so a hang names its place. Everything lands in $OUT as it is produced.
#   bash gpu-worker/scripts/gpu-check-on-h200.sh [tests] [vq] [attention] [matmul]   (default: tests vq attention)
set -uo pipefail
steps="${*:-tests vq attention}"
rm -rf /tmp/jre && mkdir -p /tmp/jre && tar xJf .device-bundle/jre17b.tar.xz -C /tmp/jre
JAVA="/tmp/jre/jre17b/bin/java --add-modules=jdk.incubator.vector -Dvecinfer.repo=$PWD"
# The test classes as a folder: JUnit scans packages in jars through the zip file system, which the
# jlink'd runtime leaves out (no jdk.zipfs).
rm -rf /tmp/test-classes && python3 -m zipfile -e .device-bundle/lib/gpu-worker-tests.jar /tmp/test-classes
CP="/tmp/test-classes:.device-bundle/lib/*:gpu-worker/src/test/resources"
java_step() { timeout -s QUIT -k 10 "${STEP_S:-240}" $JAVA -cp "$CP" "$@"; }
{
  echo "date: $(date -u +%FT%TZ)"
  echo "device: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader)"
  echo "commit: $(cat .device-bundle/commit.txt 2>/dev/null || echo unknown)"
} | tee "$OUT/environment.txt"
for step in $steps; do
  case "$step" in
    tests) java_step io.vecinfer.cuda.DeviceTestLauncher ${GPU_TESTS:-io.vecinfer.cuda} 2>&1 | tee "$OUT/gpu-tests.txt" ;;
    vq)
      # VQ_BATCHES / VQ_CONTEXTS / VQ_CONFIGS narrow the shapes (defaults: 1,8,32 x 32k,128k,192k x d4b8,d8b8,d2b8)
      vq_shapes="--batches ${VQ_BATCHES:-1,8,32} --contexts ${VQ_CONTEXTS:-32768,131072,196608}"
      java_step io.vecinfer.bench.VqAttentionBenchmark $vq_shapes --configs "${VQ_CONFIGS:-d4b8,d8b8,d2b8}" \
        2>"$OUT/vq-benchmark-stderr.txt" | tee "$OUT/vq-attention-benchmark.json"
      PYTHONUNBUFFERED=1 python3 gpu-worker/scripts/sdpa_peer.py $vq_shapes 2>&1 | tee "$OUT/sdpa-peer.json"
      python3 gpu-worker/scripts/vq_rows.py "$OUT/vq-attention-benchmark.json" "$OUT/sdpa-peer.json" \
        $( [ -s "$OUT/attention-benchmark.json" ] && echo "$OUT/attention-benchmark.json" ) > "$OUT/vq-attention-vs-sdpa.json" ;;
    attention)
      java_step io.vecinfer.bench.AttentionBenchmark 2>"$OUT/attention-benchmark-stderr.txt" | tee "$OUT/attention-benchmark.json"
      PYTHONUNBUFFERED=1 python3 gpu-worker/scripts/attention_peer.py 2>&1 | tee "$OUT/attention-peer.json" ;;
    matmul)
      java_step io.vecinfer.bench.MatmulBenchmark 2>"$OUT/matmul-stderr.txt" | tee "$OUT/matmul-benchmark.json"
      PYTHONUNBUFFERED=1 python3 gpu-worker/scripts/matmul_peer.py 2>&1 | tee "$OUT/matmul-peer.json" ;;
    *) echo "unknown step $step (tests, vq, attention, matmul)" >&2; exit 2 ;;
  esac
done
