#!/usr/bin/env python3
"""Samples per second per (method, task, context length, requested batch) of a sweep's output folder.

Reads the rows' batch columns (docs/parquet-schema.md): every sample of a batch has that batch's size,
device_batch, and its whole wall time, batch_ms, so a cell's time is the sum over its rows of
batch_ms / device_batch, and its rate is samples / time. Also printed: the device batches seen, the median
batch's rate (robust to one slow first batch), and the mean prefill and decode latencies.

Input: <out>/samples/config_hash=*/part-*.parquet through pyarrow when it is installed, else the CSV export
Report writes, <out>/csv/samples/part-*.csv (duplicates already dropped there).
  python3 spark-jobs/scripts/batch_throughput.py OUT [--csv]
"""
import csv
import glob
import os
import statistics
import sys


def parquet_rows(out):
    import pyarrow.parquet as pq
    seen, rows = set(), []
    for path in sorted(glob.glob(os.path.join(out, "samples", "config_hash=*", "*.parquet"))):
        config_hash = os.path.basename(os.path.dirname(path)).split("=", 1)[1]
        for row in pq.read_table(path).to_pylist():
            key = (config_hash, row["sample_id"])
            if key in seen:  # a speculative attempt's duplicate
                continue
            seen.add(key)
            row["config_hash"] = config_hash
            rows.append(row)
    return rows


def csv_rows(out):
    files = sorted(glob.glob(os.path.join(out, "csv", "samples", "part-*.csv")))
    if not files:
        sys.exit(f"no {out}/csv/samples/part-*.csv: run Report on {out} first (LocalMain does), or install pyarrow")
    rows = []
    for path in files:
        with open(path, newline="") as f:
            rows.extend(csv.DictReader(f))
    return rows


def number(value):
    return None if value in (None, "") else float(value)


def main(argv):
    if not argv or argv[0].startswith("-"):
        sys.exit(__doc__)
    out, force_csv = argv[0], "--csv" in argv
    try:
        if force_csv:
            raise ImportError
        rows = parquet_rows(out)
        source = "parquet"
    except ImportError:
        rows = csv_rows(out)
        source = "csv"
    groups = {}
    skipped = 0
    for r in rows:
        device_batch, batch_ms = number(r.get("device_batch")), number(r.get("batch_ms"))
        if not device_batch or batch_ms is None:
            skipped += 1  # written before rows carried their batch
            continue
        requested = int(number(r["batch_size"]))
        key = (r["method"], r["task"], int(number(r["context_length"])), "auto" if requested == 0 else str(requested))
        g = groups.setdefault(key, {"n": 0, "ms": 0.0, "batches": {}, "prefill": [], "decode": [], "backends": set()})
        g["n"] += 1
        g["ms"] += batch_ms / device_batch
        # Rows of one batch share (config_hash, batch_ms): one rate per batch for the median.
        g["batches"][(r.get("config_hash"), batch_ms)] = int(device_batch)
        g["prefill"].append(number(r["prefill_ms"]))
        g["decode"].append(number(r["decode_ms_per_token"]))
        g["backends"].add(r["backend"])
    print(f"# {len(rows)} rows from {source} under {out}" + (f"; {skipped} without batch columns skipped" if skipped else ""))
    header = ["method", "task", "ctx", "batch", "device batches", "samples", "samples/s", "median batch samples/s",
              "prefill ms", "decode ms/token", "backend"]
    table = [header]
    order = lambda k: (k[0], k[1], k[2], (1 << 30) if k[3] == "auto" else int(k[3]))
    for key in sorted(groups, key=order):
        g = groups[key]
        sizes = sorted(set(g["batches"].values()))
        per_batch = [size / ms * 1000 for (_, ms), size in g["batches"].items() if ms > 0]
        table.append([key[0], key[1], str(key[2]), key[3], ",".join(map(str, sizes)), str(g["n"]),
                      f"{g['n'] / (g['ms'] / 1000):.2f}" if g["ms"] > 0 else "-",
                      f"{statistics.median(per_batch):.2f}" if per_batch else "-",
                      f"{statistics.mean(g['prefill']):.1f}", f"{statistics.mean(g['decode']):.2f}", ",".join(sorted(g["backends"]))])
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for row in table:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())


if __name__ == "__main__":
    main(sys.argv[1:])
