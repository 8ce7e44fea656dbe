#!/usr/bin/env bash
# One device call that checks and times the CUDA backend on the H200 (built here first by
# scripts/make-device-bundle.sh; carry .device-bundle; gpu-worker/scripts/travel-size.sh .device-bundle checks that it
# fits). Steps, in the order given:
#   tests      the GPU tests through the JUnit launcher (kernels against their CPU references, CudaDecoder
#              against the CPU Decoder, the CUDA cell runner against the CPU one); GPU_TESTS names the
#              packages or classes (default io.vecinfer.cuda);
#   vq         the fused VQ decode-attention benchmark, KIVI's split-KV attention (KiviAttentionBenchmark), the non-fused
#              VQ ablation (VqNonFusedBenchmark: dequantize to fp16, then our fp16 decode) and their PyTorch SDPA
#              (enable_gqa) peer, same shapes, joined into rows (vq_rows.py; with our fp16 decode rows when the attention
#              step ran before it);
#   encode     the whole-prompt encode benchmark (tokens/s of one vq_encode launch per layer, 32k prompt, 8B heads) and
#              KIVI's encode of 32k tokens (with its batch-1 attention rows: KiviAttentionBenchmark --batches 1);
#   attention  the fp16 ring attention benchmark (tensor-core prefill, split-KV decode) and its SDPA peer;
#   matmul     the projections on Llama-3.1-8B shapes and their torch.matmul peer (MATMUL_ARGS, e.g.
#              "--rows 512,2048,4096 --runs 20", goes to both);
#   skinny     skinny_bench.cu (built here by nvcc): the decode projections' kernel and its variants in CUDA graphs on the
#              8B shapes at SKINNY_ROWS (default 1,8,32) rows, outputs checked against the production kernel's, then
#              matmul_peer.py --graph 20 (torch.matmul timed the same way): $OUT/skinny-bench.json, $OUT/matmul-peer-graph.json;
#   decode-attention  decode_attention_bench.cu (built here by nvcc): the batch decode attention (store, split, combine) and
#              its variants in CUDA graphs of 32 layers at 4096 positions (DECODE_BATCHES, default 1,8,32), checked against a
#              CPU reference, then ncu on the split kernel (DECODE_NCU_BATCHES): $OUT/decode-attention-bench.json, ncu-decode-*;
#   parity     transformers_parity_peer.py (transformers in the checkpoint's dtype, logits of every prompt position)
#              then TransformersParity (CudaDecoder against it and against the fp32 CPU decoder, and 64-token greedy
#              continuations CPU against CUDA) on the family fixtures and the shipped model:
#              $OUT/transformers-parity-h200.json (for docs/results/gpu/);
#   decode-attr  decode-attr-on-h200.sh: the decode step's call families timed inside CUDA graphs, the predicted step
#              against replayed and eager steps, and (optional) ncu per-kernel times of a replayed step:
#              $OUT/decode-attribution-h200.json (for docs/results/gpu/), ATTR_TOTAL_S bounds it (default 240 s).
#   ncu-vq     Nsight Compute on one launch of the mma kernel (NCU_VQ_KERNEL, default vq_mma_attention_d128_k4_v4;
#              its time against the row's ours_ms, which adds the merge) in VqAttentionBenchmark (NCU_VQ_CONFIG, default
#              d4b8) at each NCU_VQ_SHAPES batch:context (default 8:131072 1:196608): warp stall reasons, issue,
#              shared-memory wavefronts and bank conflicts, --clock-control none: $OUT/ncu-vq-b{batch}-{context}.csv;
#   ncu-vq-source  the same ncu launch at batch 8 / 128k with per-instruction stall samples (SourceCounters), the SASS
#              source page as CSV: $OUT/ncu-vq-source.csv;
#   sass       cuobjdump -sass of the kernels SASS_KERNELS names (default: the d8b8 mma and the d8b12 mma_wide loops) from the
#              bundle's vq_mma_attention.fatbin, with an opcode count per kernel: $OUT/sass-*.txt (where the device has cuobjdump).
# Each Java step has a time limit (STEP_S, default 240 s); one that outlives it prints a thread dump (SIGQUIT)
# before it is killed, so a hang names its place. Everything lands in $OUT as it is produced. JAVA_PROPERTIES adds
# system properties to every JVM, e.g. "-Dvecinfer.prefill.kernel=WGMMA_PP".
#   bash gpu-worker/scripts/gpu-check-on-h200.sh [tests] [vq] [ncu-vq] [ncu-vq-source] [sass] [encode] [attention] [matmul] [skinny] [decode-attention] [parity] [decode-attr]   (default: tests vq attention)
set -uo pipefail
steps="${*:-tests vq attention}"
# The bundle into /tmp/device-bundle and the shipped weights beside their .xz, once per call.
source gpu-worker/scripts/device-bundle-env.sh
JAVA="$BUNDLE_JAVA $BUNDLE_JAVA_OPTIONS ${JAVA_PROPERTIES:-} -Dvecinfer.repo=$PWD"
# The test classes as a folder: JUnit scans packages in jars through the zip file system, which the
# jlink'd runtime leaves out (no jdk.zipfs).
rm -rf /tmp/test-classes && python3 -m zipfile -e "$BUNDLE/lib/gpu-worker-tests.jar" /tmp/test-classes
CP="/tmp/test-classes:$BUNDLE_CP:gpu-worker/src/test/resources"
java_step() { timeout -s QUIT -k 10 "${STEP_S:-240}" $JAVA -cp "$CP" "$@"; }
# ncu on one launch of the mma kernel (NCU_VQ_KERNEL) in VqAttentionBenchmark at batch $1, context $2 (NCU_VQ_CONFIG);
# the rest of the arguments are ncu's (sections, metrics, output)
ncu_vq_launch() {
  local batch=$1 context=$2; shift 2
  timeout -k 10 "${STEP_S:-240}" ncu --clock-control none --kernel-name "regex:${NCU_VQ_KERNEL:-vq_mma_attention_d128_k4_v4}\$" \
    --launch-skip 1 --launch-count 1 "$@" $JAVA -cp "$CP" io.vecinfer.bench.VqAttentionBenchmark --batches "$batch" \
    --contexts "$context" --configs "${NCU_VQ_CONFIG:-d4b8}" --runs 20
}
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
      # KIVI_METHOD and VQ_NONFUSED_CONFIGS pick the KIVI and non-fused rows (defaults: 2-bit keys and values)
      # VQ_PEERS=sdpa leaves out the KIVI and non-fused rows (a kernel-only call)
      [ "${VQ_PEERS:-all}" = all ] && java_step io.vecinfer.bench.KiviAttentionBenchmark $vq_shapes --method "${KIVI_METHOD:-kivi:k=b2g128,v=b2g128,r=128}" \
        2>"$OUT/kivi-stderr.txt" | tee "$OUT/kivi-attention-benchmark.json"
      [ "${VQ_PEERS:-all}" = all ] && java_step io.vecinfer.bench.VqNonFusedBenchmark $vq_shapes --configs "${VQ_NONFUSED_CONFIGS:-d4b8}" \
        2>"$OUT/vq-nonfused-stderr.txt" | tee "$OUT/vq-nonfused-benchmark.json"
      PYTHONUNBUFFERED=1 python3 gpu-worker/scripts/sdpa_peer.py $vq_shapes 2>&1 | tee "$OUT/sdpa-peer.json"
      more_rows=""
      for f in kivi-attention-benchmark vq-nonfused-benchmark; do [ -s "$OUT/$f.json" ] && more_rows="$more_rows --rows $OUT/$f.json"; done
      python3 gpu-worker/scripts/vq_rows.py "$OUT/vq-attention-benchmark.json" "$OUT/sdpa-peer.json" \
        $( [ -s "$OUT/attention-benchmark.json" ] && echo "$OUT/attention-benchmark.json" ) $more_rows > "$OUT/vq-attention-vs-sdpa.json" ;;
    ncu-vq)
      command -v ncu >/dev/null || { echo "ncu-vq: no ncu on this device" | tee "$OUT/ncu-vq.csv"; continue; }
      stalls=$(for r in barrier long_scoreboard short_scoreboard mio_throttle math_pipe_throttle wait not_selected selected \
        dispatch_stall lg_throttle no_instruction drain branch_resolving membar sleeping tex_throttle misc; do
        printf 'smsp__average_warps_issue_stalled_%s_per_issue_active.ratio,' "$r"; done)
      for shape in ${NCU_VQ_SHAPES:-8:131072 1:196608}; do # batch:context, one ncu run each
        ncu_vq_launch "${shape%%:*}" "${shape##*:}" --section WarpStateStats --section SchedulerStats --section LaunchStats \
          --metrics "${stalls}smsp__inst_executed.sum,l1tex__data_pipe_lsu_wavefronts_mem_shared_op_ld.sum,l1tex__data_bank_conflicts_pipe_lsu_mem_shared_op_ld.sum,smsp__cycles_active.avg,gpu__time_duration.sum" \
          --csv --page details > "$OUT/ncu-vq-b${shape%%:*}-${shape##*:}.csv" 2>"$OUT/ncu-vq-stderr.txt"
        tail -3 "$OUT/ncu-vq-stderr.txt"
      done ;;
    ncu-vq-source)
      # the same launch at batch 8 / 128k with per-SASS-instruction stall samples (SourceCounters): $OUT/ncu-vq-source.csv
      command -v ncu >/dev/null || { echo "ncu-vq-source: no ncu on this device" | tee "$OUT/ncu-vq-source.csv"; continue; }
      rm -f /tmp/vq-source.ncu-rep
      ncu_vq_launch 8 131072 --section SourceCounters --section WarpStateStats -o /tmp/vq-source > "$OUT/ncu-vq-source-stderr.txt" 2>&1
      ncu --import /tmp/vq-source.ncu-rep --page source --csv --print-source sass > "$OUT/ncu-vq-source.csv" 2>>"$OUT/ncu-vq-source-stderr.txt"
      tail -2 "$OUT/ncu-vq-source-stderr.txt" ;;
    sass)
      rm -rf /tmp/sass && python3 -m zipfile -e "$(ls "$BUNDLE"/lib/gpu-worker-*.jar | grep -v tests | head -1)" /tmp/sass
      command -v cuobjdump >/dev/null || { echo "sass: no cuobjdump on this device" | tee "$OUT/sass-summary.txt"; continue; }
      for k in ${SASS_KERNELS:-vq_mma_attention_d128_k8_v8 vq_mma_attention_d128_k8w_v8 vq_mma_attention_d128_k8w_v8w}; do
        cuobjdump -sass -arch sm_90 -fun "$k" /tmp/sass/cuda/vq_mma_attention.fatbin > "$OUT/sass-$k.txt" 2>&1
        echo "$k: $(grep -cE '^\s+/\*[0-9a-f]{4,}\*/' "$OUT/sass-$k.txt") instructions;" \
          "$(grep -oE '^\s+/\*[0-9a-f]{4,}\*/\s+(@!?U?P[0-9T] )?[A-Z0-9_.]+' "$OUT/sass-$k.txt" | awk '{print $NF}' | sort | uniq -c | sort -rn | head -12 | tr '\n' ' ')"
      done | tee "$OUT/sass-summary.txt" ;;
    encode)
      java_step io.vecinfer.bench.VqEncodeBenchmark 2>"$OUT/vq-encode-stderr.txt" | tee "$OUT/vq-encode-benchmark.json"
      java_step io.vecinfer.bench.KiviAttentionBenchmark --batches 1 --contexts 32768,131072 2>"$OUT/kivi-encode-stderr.txt" \
        | tee "$OUT/kivi-encode-benchmark.json" ;;
    attention)
      java_step io.vecinfer.bench.AttentionBenchmark 2>"$OUT/attention-benchmark-stderr.txt" | tee "$OUT/attention-benchmark.json"
      PYTHONUNBUFFERED=1 python3 gpu-worker/scripts/attention_peer.py 2>&1 | tee "$OUT/attention-peer.json" ;;
    matmul)
      java_step io.vecinfer.bench.MatmulBenchmark ${MATMUL_ARGS:-} 2>"$OUT/matmul-stderr.txt" | tee "$OUT/matmul-benchmark.json"
      PYTHONUNBUFFERED=1 python3 gpu-worker/scripts/matmul_peer.py ${MATMUL_ARGS:-} 2>&1 | tee "$OUT/matmul-peer.json" ;;
    skinny)
      nvcc -O3 -std=c++17 -arch=sm_90 -I gpu-worker/src/main/cuda -o /tmp/skinny_bench gpu-worker/scripts/skinny_bench.cu \
        > "$OUT/skinny-build.txt" 2>&1 && timeout "${STEP_S:-240}" /tmp/skinny_bench "${SKINNY_ROWS:-1,8,32}" > "$OUT/skinny-bench.json" \
        2> "$OUT/skinny-stderr.txt"
      echo "skinny_bench rc $?" | tee -a "$OUT/skinny-build.txt"
      PYTHONUNBUFFERED=1 timeout "${STEP_S:-240}" python3 gpu-worker/scripts/matmul_peer.py --rows "${SKINNY_ROWS:-1,8,32}" --graph 20 \
        > "$OUT/matmul-peer-graph.json" 2> "$OUT/matmul-peer-graph-stderr.txt" ;;
    decode-attention)
      # The batch decode attention's kernels and variants in graphs of 32 layers (decode_attention_bench.cu), then ncu on
      # the production split kernel at each batch of DECODE_NCU_BATCHES (default 1 8), --clock-control none.
      nvcc -O3 -std=c++17 -arch=sm_90 -I gpu-worker/src/main/cuda -o /tmp/decode_attention_bench gpu-worker/scripts/decode_attention_bench.cu \
        > "$OUT/decode-attention-build.txt" 2>&1 && timeout "${STEP_S:-240}" /tmp/decode_attention_bench "${DECODE_BATCHES:-1,8,32}" \
        > "$OUT/decode-attention-bench.json" 2> "$OUT/decode-attention-stderr.txt"
      echo "decode_attention_bench rc $?" | tee -a "$OUT/decode-attention-build.txt"
      if command -v ncu >/dev/null; then
        for b in ${DECODE_NCU_BATCHES:-1 8}; do
          timeout -k 10 120 ncu --clock-control none --kernel-name "regex:^attend_decode_batch_d128$" --launch-skip 2 --launch-count 1 \
            --section SpeedOfLight --section Occupancy --section LaunchStats --section WarpStateStats --section SchedulerStats \
            --section MemoryWorkloadAnalysis --csv --page details /tmp/decode_attention_bench --ncu "$b" \
            > "$OUT/ncu-decode-split-b$b.csv" 2> "$OUT/ncu-decode-stderr-b$b.txt"
          echo "ncu b$b rc $?" | tee -a "$OUT/decode-attention-build.txt"
        done
      fi ;;
    parity)
      # The peer exits (freeing the GPU) before the JVM starts; its logits stay in /tmp, only the merged JSON lands in $OUT.
      rm -rf /tmp/parity-peer
      PYTHONUNBUFFERED=1 timeout "${STEP_S:-240}" python3 gpu-worker/scripts/transformers_parity_peer.py --out /tmp/parity-peer \
        2>&1 | tee "$OUT/parity-peer-log.txt"
      java_step io.vecinfer.bench.TransformersParity --peer /tmp/parity-peer --out "$OUT/transformers-parity-h200.json" \
        --command "STEP_S=${STEP_S:-240} bash gpu-worker/scripts/gpu-check-on-h200.sh parity" \
        --commit "$(cat .device-bundle/commit.txt 2>/dev/null || echo unknown)" 2>&1 | tee "$OUT/parity-log.txt" ;;
    decode-attr) bash gpu-worker/scripts/decode-attr-on-h200.sh 2>&1 | tee "$OUT/decode-attr-log.txt" ;;
    *) echo "unknown step $step (tests, vq, ncu-vq, ncu-vq-source, sass, encode, attention, matmul, skinny, decode-attention, parity, decode-attr)" >&2; exit 2 ;;
  esac
done
