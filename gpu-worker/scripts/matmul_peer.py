#!/usr/bin/env python3
"""bf16 peer of io.vecinfer.bench.MatmulBenchmark: torch.matmul(x, W.T) on the same Llama-3.1-8B projection
shapes and row counts, x already bf16 (torch's own activation type), weights rotated over copies that exceed L2,
median of torch.cuda event times after warm-up; prints JSON. Also the 8192³ product, the bf16 matrix ceiling.

    python3 gpu-worker/scripts/matmul_peer.py [--rows 1,8,32,512,2048,4096] [--runs 30] [--graph 20]

With --graph N, each timing is one replay of a CUDA graph of N products over the rotated copies, divided by N: the
time per call without launch gaps, as skinny_bench.cu and DecodeAttributionBenchmark time ours.
"""
import argparse
import json
import statistics

import torch

SHAPES = [("qkv", 6144, 4096), ("o", 4096, 4096), ("gate_up", 28672, 4096), ("down", 4096, 14336), ("lm_head", 128256, 4096)]
ROTATION_BYTES, WARMUP = 400 << 20, 5


def median_ms(fn, runs, burst=1):
    """Median and best ms per call: `burst` calls between one event pair (as MatmulBenchmark --burst), divided by it."""
    times, n = [], 0
    for i in range(WARMUP + runs):
        start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        for _ in range(burst):
            fn(n)
            n += 1
        stop.record()
        stop.synchronize()
        if i >= WARMUP:
            times.append(start.elapsed_time(stop) / burst)
    return statistics.median(times), min(times)


def graph_ms(x, weights, calls, runs):
    """Median and best ms per product over replays of one CUDA graph of `calls` products, copies in rotation."""
    stream = torch.cuda.Stream()
    with torch.cuda.stream(stream):  # warm-up outside capture (cuBLAS workspace and heuristics)
        for i in range(3):
            torch.matmul(x, weights[i % len(weights)].t())
    torch.cuda.synchronize()
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        for i in range(calls):
            torch.matmul(x, weights[i % len(weights)].t())
    median, best = median_ms(lambda i: graph.replay(), max(5, runs // 3))
    return median / calls, best / calls


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="1,8,32,512,2048,4096")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--graph", type=int, default=0, help="products per timed CUDA graph (0: one product per event pair)")
    parser.add_argument("--burst", type=int, default=1, help="products per event pair, back to back (the time divided by them)")
    args = parser.parse_args()
    torch.manual_seed(0)
    rows = []
    for name, out, inner in SHAPES:
        copies = max(1, min(8, -(-ROTATION_BYTES // (out * inner * 2))))
        weights = [torch.randn(out, inner, device="cuda", dtype=torch.bfloat16) * 0.02 for _ in range(copies)]
        for r in (int(v) for v in args.rows.split(",")):
            x = torch.randn(r, inner, device="cuda", dtype=torch.bfloat16)
            if args.graph:
                median, best = graph_ms(x, weights, args.graph, args.runs)
            else:
                median, best = median_ms(lambda i: torch.matmul(x, weights[i % copies].t()), args.runs, max(1, args.burst))
            rows.append({"name": name, "rows": r, "out": out, "in": inner, "median_ms": round(median, 4), "min_ms": round(best, 4),
                         "tflops": round(2 * r * out * inner / median / 1e9, 1),
                         "weight_gb_per_s": round(out * inner * 2 / median / 1e6)})
        del weights
        torch.cuda.empty_cache()
    a = torch.randn(8192, 8192, device="cuda", dtype=torch.bfloat16)
    b = torch.randn(8192, 8192, device="cuda", dtype=torch.bfloat16)
    median, _ = median_ms(lambda i: torch.matmul(a, b), args.runs)
    print(json.dumps({"benchmark": "torch.matmul bf16, Llama-3.1-8B projection shapes", "device": torch.cuda.get_device_name(),
                      "torch": torch.__version__, "runs": args.runs, "graph_calls": args.graph, "burst": args.burst, "matmul_8192_tflops": round(2 * 8192 ** 3 / median / 1e9, 1),
                      "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
