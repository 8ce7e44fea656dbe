"""The same sweep on two backends, sample by sample: do the GPU rows equal the CPU rows?

    python3 -m vecinfer_results.backends CPU_OUTPUT GPU_OUTPUT [--json FILE]     (run from notebooks/)

Pairs the samples of two output folders by what a cell computes, not by config hash (the code version, and so the
hash, may differ between the runs): model_id, method, task, context length, prefill, seed and sample id. For each
pair it compares every score. The CUDA decoder rounds activations to bf16 for its tensor-core products, so its
logits sit within about 0.5% of max|logit| of the CPU's fp32 oracle (CudaDecoderTest). A sample's perplexity NLL
is a mean of per-token log-probabilities, each moved by at most about twice that logit error, so scores are held
to TOLERANCE below; passkey accuracy must be equal unless the answer's margin is within that error, which this
script cannot see, so unequal passkey rows are listed for a look rather than forgiven. Prints one line per cell
and exits 1 when a score is outside its tolerance.
"""
import argparse
import json
import sys

from .sweep import SCORE_PREFIX, load

KEYS = ["model_id", "method", "task", "context_length", "prefill", "seed", "sample_id"]
# Absolute tolerance per score name; a score not listed must match within DEFAULT.
TOLERANCE = {"nll": 0.02, "kl": 0.01, "top1_agreement": 0.02, "accuracy": 0.0}
DEFAULT = 0.02
# Counts: exact.
EXACT = {"tokens"}
# Reported, not judged: ppl is exp(nll), judged through nll; a greedy continuation may part at a step whose top-two
# gap is within the logit error, after which any difference follows (the 64-token greedy check bounds this apart).
INFORMATIONAL = {"ppl", "greedy_exact_match", "greedy_common_prefix"}


def compare(cpu_samples, gpu_samples):
    """(rows, problems): one row per paired cell with each score's max |Δ|; problems lists what is out of tolerance."""
    cpu = cpu_samples.set_index(KEYS)
    gpu = gpu_samples.set_index(KEYS)
    shared = cpu.index.intersection(gpu.index)
    scores = sorted(c for c in cpu.columns if c.startswith(SCORE_PREFIX) and c in gpu.columns)
    rows, problems = [], []
    for cell, group in cpu.loc[shared].groupby(level=KEYS[:-1]):
        ids = group.index
        row = dict(zip(KEYS[:-1], [str(v) for v in cell]), n=len(ids), cpu_backend=sorted(set(cpu.loc[ids, "backend"])),
                   gpu_backend=sorted(set(gpu.loc[ids, "backend"])), gpu_device=sorted(set(gpu.loc[ids, "device"].astype(str))))
        for score in scores:
            a, b = cpu.loc[ids, score], gpu.loc[ids, score]
            if a.isna().all() and b.isna().all():
                continue
            name = score[len(SCORE_PREFIX):]
            delta = float((a - b).abs().max())
            row["max_abs_delta_" + name] = delta
            limit = 0.0 if name in EXACT else TOLERANCE.get(name, DEFAULT)
            if name not in INFORMATIONAL and not delta <= limit:  # NaN fails too
                problems.append(f"{row['method']} / {row['task']} / {row['model_id']}: {name} differs by {delta:.4g} (tolerance {limit})")
        rows.append(row)
    missing = len(cpu.index.difference(gpu.index)) + len(gpu.index.difference(cpu.index))
    if missing:
        problems.append(f"{missing} samples are in one output only")
    return rows, problems


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cpu_output")
    parser.add_argument("gpu_output")
    parser.add_argument("--json", help="write the comparison rows here")
    args = parser.parse_args(argv)
    _, cpu = load(args.cpu_output)
    _, gpu = load(args.gpu_output)
    rows, problems = compare(cpu, gpu)
    for r in rows:
        deltas = ", ".join(f"{k[len('max_abs_delta_'):]} {v:.3g}" for k, v in r.items() if k.startswith("max_abs_delta_"))
        print(f"{r['task']:<10} {r['method']:<55} {r['model_id'][:23]:<23} n={r['n']} {r['gpu_backend']} max|Δ|: {deltas}")
    print(f"{len(rows)} cells compared; tolerance {TOLERANCE} (else {DEFAULT}); {len(problems)} problems")
    for p in problems:
        print("  " + p)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"tolerance": TOLERANCE, "default_tolerance": DEFAULT, "cells": rows, "problems": problems}, f, indent=1)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
