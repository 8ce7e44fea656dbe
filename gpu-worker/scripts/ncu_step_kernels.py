#!/usr/bin/env python3
"""Per-kernel GPU durations of decode steps, from Nsight Compute's CSV of DecodeAttributionBenchmark --ncu.

    python3 gpu-worker/scripts/ncu_step_kernels.py NCU.csv [--eager 2 --replay 3] > ncu-step-kernels.json

The CSV is ncu's `--csv --metrics gpu__time_duration.sum` output (one row per kernel and metric; ncu's own "==PROF=="
lines may be mixed in and are skipped). The kernels are cut into steps at each embed kernel (a step's first); the last
`eager + replay` steps are the benchmark's eager steps then its replayed ones (graph nodes profiled one by one,
--graph-profiling node). For each kernel name: launches per step and µs per step, eager (median over its steps)
against replayed, and their difference, largest first: which kernel makes the two modes differ.
`--self-test` checks the parsing on a synthetic CSV.
"""
import argparse
import csv
import io
import json
import statistics
import sys

UNITS = {"nsecond": 1e-3, "ns": 1e-3, "usecond": 1.0, "us": 1.0, "msecond": 1e3, "ms": 1e3, "second": 1e6, "s": 1e6}


def kernels(text):
    """(name, grid, block, µs) per kernel, in profiled order."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith('"ID"')), None)
    if start is None:
        raise ValueError("no ncu CSV header (a line starting with \"ID\") found")
    body = [line for line in lines[start:] if line.startswith('"')]
    out = []
    for row in csv.DictReader(io.StringIO("\n".join(body))):
        if row.get("Metric Name") != "gpu__time_duration.sum":
            continue
        scale = UNITS.get(row.get("Metric Unit", "nsecond").strip(), None)
        if scale is None:
            raise ValueError("unknown unit " + row.get("Metric Unit", ""))
        value = float(row["Metric Value"].replace(",", ""))
        out.append((row["Kernel Name"], row.get("Grid Size", ""), row.get("Block Size", ""), value * scale))
    return out


def steps(ks):
    """The kernels cut into steps, each from an embed kernel to the next."""
    cut = []
    for k in ks:
        if k[0].startswith("embed") or not cut:
            cut.append([])
        cut[-1].append(k)
    return [s for s in cut if s and s[0][0].startswith("embed")]


def per_name(step):
    d = {}
    for name, _, _, us in step:
        n, t = d.get(name, (0, 0.0))
        d[name] = (n + 1, t + us)
    return d


def summarize(ks, eager, replay):
    all_steps = steps(ks)
    if len(all_steps) < eager + replay:
        raise ValueError(f"{len(all_steps)} steps found, {eager + replay} expected")
    chosen = all_steps[-(eager + replay):]
    groups = {"eager": chosen[:eager], "replay": chosen[eager:]}
    names = sorted({k[0] for s in chosen for k in s})
    result = {"steps": [{"mode": "eager" if i < eager else "replay", "kernels": len(s), "gpu_us": round(sum(k[3] for k in s), 1)}
                        for i, s in enumerate(chosen)],
              "kernels": []}
    for name in names:
        row = {"kernel": name}
        for mode, ss in groups.items():
            counts = [per_name(s).get(name, (0, 0.0)) for s in ss]
            row[mode + "_launches_per_step"] = statistics.median(c[0] for c in counts)
            row[mode + "_us_per_step"] = round(statistics.median(c[1] for c in counts), 1)
        row["replay_minus_eager_us"] = round(row["replay_us_per_step"] - row["eager_us_per_step"], 1)
        result["kernels"].append(row)
    result["kernels"].sort(key=lambda r: -abs(r["replay_minus_eager_us"]))
    for mode in groups:
        result[mode + "_gpu_us_per_step"] = round(statistics.median(s["gpu_us"] for s in result["steps"] if s["mode"] == mode), 1)
    return result


def self_test():
    """The parser on a synthetic CSV (run here, without a GPU): a fill pass, 2 eager steps, 3 replayed ones whose
    attention is 50 µs slower, units mixed, ncu's own lines around the table."""
    header = ('"ID","Process ID","Process Name","Host Name","Kernel Name","Context","Stream","Block Size","Grid Size","Device",'
              '"CC","Section Name","Metric Name","Metric Unit","Metric Value"')
    rows = []

    def kernel(name, us, unit="nsecond"):
        value = us * 1000 if unit == "nsecond" else us
        rows.append(f'"{len(rows)}","1","java","h","{name}","1","7","(256, 1, 1)","(1, 1, 1)","0","9.0","Command line profiler metrics",'
                    f'"gpu__time_duration.sum","{unit}","{value:,.0f}"')

    for s in range(6):
        kernel("embed_bf16", 2)
        kernel("rmsnorm", 3)
        kernel("attend_decode_batch_d128_r4", 100 + (50 if s >= 3 else 0), "usecond" if s == 4 else "nsecond")
        kernel("skinny_bf16_b1", 20)
    text = "==PROF== Connected\n" + header + "\n" + "\n".join(rows) + "\n==PROF== Disconnected\n"
    r = summarize(kernels(text), 2, 3)
    assert [s["mode"] for s in r["steps"]] == ["eager"] * 2 + ["replay"] * 3, r["steps"]
    top = r["kernels"][0]
    assert top["kernel"].startswith("attend") and abs(top["replay_minus_eager_us"] - 50) < 1e-6, top
    assert r["eager_gpu_us_per_step"] == 125 and r["replay_gpu_us_per_step"] == 175, r
    print("self-test passed")


def main():
    if sys.argv[1:] == ["--self-test"]:
        return self_test()
    ap = argparse.ArgumentParser()
    ap.add_argument("csv")
    ap.add_argument("--eager", type=int, default=2)
    ap.add_argument("--replay", type=int, default=3)
    a = ap.parse_args()
    with open(a.csv, errors="replace") as f:
        print(json.dumps(summarize(kernels(f.read()), a.eager, a.replay), indent=1))


if __name__ == "__main__":
    sys.exit(main())
