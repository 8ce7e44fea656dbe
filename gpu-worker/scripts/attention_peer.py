#!/usr/bin/env python3
"""fp16 peer of io.vecinfer.bench.AttentionBenchmark: torch.nn.functional.scaled_dot_product_attention on the same
Llama-3.1-8B heads (32 query heads, 8 KV heads, head_dim 128), median of CUDA event times after warm-up; prints JSON.

  prefill: 4096 and 32768 query tokens, batch 1, is_causal=True, enable_gqa=True; FLOPs as the Java benchmark counts them,
           4 * head_dim per (query head, query, key) pair inside the causal mask.
  decode:  1 query token over contexts 32768 and 131072, batch 1 and 8 (one batched call), enable_gqa=True;
           bytes = the keys and values read.

Runs rotate over enough input copies that the L2 (50 MB) does not serve them, as the Java benchmark does.

    python3 gpu-worker/scripts/attention_peer.py [--runs 30]
"""
import argparse
import json
import statistics

import torch
import torch.nn.functional as F

QUERY_HEADS, KV_HEADS, HEAD_DIM, WARMUP = 32, 8, 128, 5
PREFILL_TOKENS, CONTEXTS, BATCHES = (4096, 32768), (32768, 131072), (1, 8)
L2_BYTES, PEAK_BYTES_PER_S = 50 << 20, 4.22e12


def copies_beyond_l2(bytes_per_run):
    return max(2, 1 + (2 * L2_BYTES + bytes_per_run - 1) // bytes_per_run)


def time_runs(call, copies, runs):
    times = []
    for i in range(WARMUP + runs):
        start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        call(i % copies)
        stop.record()
        stop.synchronize()
        if i >= WARMUP:
            times.append(start.elapsed_time(stop))
    return times


def summary(times):
    return {"median_ms": round(statistics.median(times), 4), "min_ms": round(min(times), 4), "max_ms": round(max(times), 4)}


def prefill(n, runs):
    per_run = 2 * 2 * KV_HEADS * n * HEAD_DIM + 2 * 2 * QUERY_HEADS * n * HEAD_DIM
    copies = copies_beyond_l2(per_run)
    qs = [torch.randn(1, QUERY_HEADS, n, HEAD_DIM, device="cuda", dtype=torch.float16) for _ in range(copies)]
    ks = [torch.randn(1, KV_HEADS, n, HEAD_DIM, device="cuda", dtype=torch.float16) for _ in range(copies)]
    vs = [torch.randn(1, KV_HEADS, n, HEAD_DIM, device="cuda", dtype=torch.float16) for _ in range(copies)]
    times = time_runs(lambda c: F.scaled_dot_product_attention(qs[c], ks[c], vs[c], is_causal=True, enable_gqa=True), copies, runs)
    flops = 4 * HEAD_DIM * QUERY_HEADS * n * (n + 1) / 2
    result = {"tokens": n, "batch": 1, "causal": True, "input_copies": copies, **summary(times), "flops": flops,
              "tflop_per_s": round(flops / statistics.median(times) / 1e9, 1)}
    del qs, ks, vs
    torch.cuda.empty_cache()
    return result


def decode(batch, context, runs):
    kv_bytes = 2 * batch * KV_HEADS * context * HEAD_DIM * 2
    copies = copies_beyond_l2(kv_bytes)
    q = torch.randn(batch, QUERY_HEADS, 1, HEAD_DIM, device="cuda", dtype=torch.float16)
    ks = [torch.randn(batch, KV_HEADS, context, HEAD_DIM, device="cuda", dtype=torch.float16) for _ in range(copies)]
    vs = [torch.randn(batch, KV_HEADS, context, HEAD_DIM, device="cuda", dtype=torch.float16) for _ in range(copies)]
    times = time_runs(lambda c: F.scaled_dot_product_attention(q, ks[c], vs[c], enable_gqa=True), copies, runs)
    median = statistics.median(times)
    result = {"context": context, "batch": batch, "launches": "1 batched call", "input_copies": copies, **summary(times),
              "kv_bytes": kv_bytes, "tb_per_s": round(kv_bytes / median / 1e9, 3),
              "fraction_of_4_22_tb_per_s": round(kv_bytes / (median / 1e3) / PEAK_BYTES_PER_S, 3)}
    del ks, vs
    torch.cuda.empty_cache()
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    runs = max(10, args.runs)
    torch.manual_seed(0)
    result = {"benchmark": "torch sdpa fp16: causal prefill, enable_gqa decode", "device": torch.cuda.get_device_name(),
              "torch": torch.__version__, "query_heads": QUERY_HEADS, "kv_heads": KV_HEADS, "head_dim": HEAD_DIM, "runs": runs,
              "prefill": prefill(PREFILL_TOKENS[0], runs),
              "prefill_lengths": [prefill(n, runs) for n in PREFILL_TOKENS], "decode": [decode(b, c, runs) for c in CONTEXTS for b in BATCHES]}
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
