#!/usr/bin/env python3
"""Joins the VQ attention benchmark (io.vecinfer.bench.VqAttentionBenchmark), its SDPA peer (sdpa_peer.py) and, where
given, our fp16 decode kernel (io.vecinfer.bench.AttentionBenchmark) and other benchmarks' rows of the same form (--rows:
KiviAttentionBenchmark, VqNonFusedBenchmark) into one JSON of rows with method, batch, context, ours_ms, sdpa_ms and
speedup_over_sdpa (sdpa_ms / ours_ms), all measured in the same device call.

    python3 gpu-worker/scripts/vq_rows.py VQ.json SDPA.json [ATTENTION.json] [--rows MORE.json ...] > rows.json
"""
import json
import sys


def load(path):
    # the benchmarks print one JSON document, possibly after log lines
    text = open(path).read()
    return json.loads(text[text.index("{"):])


def main():
    args, more = [], []
    argv = iter(sys.argv[1:])
    for a in argv:
        if a == "--rows":
            more.append(next(argv))
        else:
            args.append(a)
    vq, sdpa = load(args[0]), load(args[1])
    peer = {(r["batch"], r["context"]): r["median_ms"] for r in sdpa["results"]}
    rows = []
    for r in vq["rows"] + [r for path in more for r in load(path)["rows"]]:
        row = dict(r)
        s = peer.get((r["batch"], r["context"]))
        row["sdpa_ms"] = s
        row["speedup_over_sdpa"] = round(s / r["ours_ms"], 3) if s else None
        rows.append(row)
    if len(args) > 2:
        for r in load(args[2]).get("decode", []):
            s = peer.get((r["batch"], r["context"]))
            rows.append({"method": "fp16", "kernel": "attention_decode", "variant": "full", "batch": r["batch"], "context": r["context"],
                         "ours_ms": r["median_ms"], "sdpa_ms": s, "speedup_over_sdpa": round(s / r["median_ms"], 3) if s else None,
                         "bytes_read": r["kv_bytes"], "fraction_of_copy_ceiling": r["fraction_of_4_22_tb_per_s"]})
    print(json.dumps({"what": "one decode step of attention, Llama-3.1-8B heads (32 query, 8 KV, head_dim 128); VQ: compressed part "
                      "(window R = 16 excluded), one codebook per layer; SDPA fp16 enable_gqa=True; medians, CUDA events, same device call",
                      "device": vq.get("device"), "torch": sdpa.get("torch"), "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
