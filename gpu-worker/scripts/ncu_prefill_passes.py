#!/usr/bin/env python3
"""Per-pass GPU kernel time of prefills, from Nsight Compute's CSV (`--csv --metrics gpu__time_duration.sum`) of
DecoderE2EBenchmark: the kernels cut into forward passes at each embed kernel (ncu_step_kernels.steps), and for each
pass its kernel count, the sum of its kernels' durations and that sum per kernel name, largest first. Against a pass's
wall time it says how much of the wall is kernels and how much is the GPU waiting (launch gaps, host stalls).

    python3 gpu-worker/scripts/ncu_prefill_passes.py NCU.csv > ncu-prefill-passes.json
"""
import json
import sys

from ncu_step_kernels import kernels, per_name, steps


def passes(ks):
    out = []
    for i, p in enumerate(steps(ks)):
        names = sorted(per_name(p).items(), key=lambda kv: -kv[1][1])
        out.append({"pass": i, "kernels": len(p), "gpu_ms": round(sum(k[3] for k in p) / 1e3, 3),
                    "by_kernel": [{"kernel": n, "launches": c, "ms": round(us / 1e3, 3)} for n, (c, us) in names]})
    return out


if __name__ == "__main__":
    with open(sys.argv[1]) as f:
        print(json.dumps({"source": sys.argv[1], "passes": passes(kernels(f.read()))}, indent=1))
