#!/usr/bin/env python3
"""fp16 peer of io.vecinfer.bench.VqAttentionBenchmark: one decode step of
F.scaled_dot_product_attention(q, k, v, enable_gqa=True) on Llama-3.1-8B heads (32 query heads, 8 KV heads,
head_dim 128), median of torch.cuda event times after warm-up; prints JSON.

    python3 gpu-worker/scripts/sdpa_peer.py [--batches 8] [--contexts 32768,131072] [--runs 30]
"""
import argparse
import json
import statistics

import torch
import torch.nn.functional as F

QUERY_HEADS, KV_HEADS, HEAD_DIM, WARMUP = 32, 8, 128, 5


def measure(batch, context, runs):
    torch.manual_seed(0)
    q = torch.randn(batch, QUERY_HEADS, 1, HEAD_DIM, device="cuda", dtype=torch.float16)
    k = torch.randn(batch, KV_HEADS, context, HEAD_DIM, device="cuda", dtype=torch.float16)
    v = torch.randn(batch, KV_HEADS, context, HEAD_DIM, device="cuda", dtype=torch.float16)
    times = []
    for i in range(WARMUP + runs):
        start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        F.scaled_dot_product_attention(q, k, v, enable_gqa=True)
        stop.record()
        stop.synchronize()
        if i >= WARMUP:
            times.append(start.elapsed_time(stop))
    kv_bytes = 2 * k.numel() * k.element_size()
    median = statistics.median(times)
    return {"batch": batch, "context": context, "median_ms": round(median, 4), "min_ms": round(min(times), 4),
            "max_ms": round(max(times), 4), "kv_bytes": kv_bytes, "gb_per_s": round(kv_bytes / median / 1e6, 1)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", "--batch", default="8", help="comma-separated batch sizes")
    parser.add_argument("--contexts", default="32768,131072")
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    results = []
    for b in args.batches.split(","):
        for c in args.contexts.split(","):
            results.append(measure(int(b), int(c), max(20, args.runs)))
            torch.cuda.empty_cache()
    print(json.dumps({"benchmark": "sdpa fp16 enable_gqa decode", "device": torch.cuda.get_device_name(),
                      "torch": torch.__version__, "query_heads": QUERY_HEADS, "kv_heads": KV_HEADS,
                      "head_dim": HEAD_DIM, "runs": max(20, args.runs), "results": results}, indent=1))


if __name__ == "__main__":
    main()
