"""Summarise an ncu --csv --page details file (gpu-check-on-h200.sh's ncu-vq step): per profiled kernel, its duration,
the issue and shared-memory counters, and the warp stall reasons (warps stalled per issue cycle), largest first.
    python3 gpu-worker/scripts/ncu_summary.py ncu-vq-b8-131072.csv
    python3 gpu-worker/scripts/ncu_summary.py --source ncu-vq-source.csv   # the ncu-vq-source step: stall samples by opcode"""
import csv
import sys
from collections import defaultdict


def summarise(path):
    kernels = defaultdict(dict)
    with open(path, newline="") as f:
        lines = [line for line in f if line.startswith('"')]  # ncu's own log lines are not quoted
    for row in csv.DictReader(lines):
        key = (row["ID"], row["Kernel Name"], row["Grid Size"], row["Block Size"])
        kernels[key][row["Metric Name"]] = (row["Metric Value"], row["Metric Unit"])
    for (kid, name, grid, block), metrics in kernels.items():
        print(f"kernel {kid} {name} grid {grid} block {block}")
        for m in ("gpu__time_duration.sum", "Duration", "smsp__cycles_active.avg", "smsp__inst_executed.sum",
                  "l1tex__data_pipe_lsu_wavefronts_mem_shared_op_ld.sum", "l1tex__data_bank_conflicts_pipe_lsu_mem_shared_op_ld.sum",
                  "Issue Slots Busy", "Issued Warp Per Scheduler", "Active Warps Per Scheduler", "Eligible Warps Per Scheduler",
                  "Warp Cycles Per Issued Instruction", "Registers Per Thread", "Achieved Occupancy"):
            if m in metrics:
                print(f"  {m}: {metrics[m][0]} {metrics[m][1]}")
        stalls = []
        for m, (v, _) in metrics.items():
            if m.startswith("smsp__average_warps_issue_stalled_"):
                try:
                    stalls.append((float(v.replace(",", "")), m[len("smsp__average_warps_issue_stalled_"):].replace("_per_issue_active.ratio", "")))
                except ValueError:
                    pass
        for v, reason in sorted(stalls, reverse=True):
            if v > 0.005:
                print(f"  stall {reason}: {v:.3f} warps per issue")


def summarise_source(path, top=25):
    """The SASS source page: the stall samples (all, then per reason: the stall_* columns), summed by opcode, largest
    first, with each opcode's share of all samples."""
    with open(path, newline="") as f:
        lines = [line for line in f if line.startswith('"')]
    header = next((i for i, line in enumerate(lines) if line.startswith('"Address"')), 0)  # after a "Kernel Name" line
    rows = list(csv.DictReader(lines[header:]))
    if not rows:
        print(f"{path}: no rows")
        return
    sample_columns = [c for c in rows[0] if c and ("All Samples" in c or (c.startswith("stall_") and "Not Issued" not in c))]
    source = next(c for c in rows[0] if c.strip().lower() == "source")
    by_op = defaultdict(lambda: defaultdict(float))
    for r in rows:
        words = r[source].split()
        words = [w for w in words if not w.startswith("@")]
        op = words[0] if words else "?"
        for c in sample_columns:
            try:
                by_op[op][c] += float((r[c] or "0").replace(",", ""))
            except ValueError:
                pass
    main = sample_columns[0]
    total = sum(v[main] for v in by_op.values()) or 1.0
    print(f"{path}: {len(rows)} instructions; columns: {', '.join(sample_columns)}")
    for op, v in sorted(by_op.items(), key=lambda kv: -kv[1][main])[:top]:
        detail = ", ".join(f"{c}: {v[c]:.0f}" for c in sample_columns[1:] if v[c] > 0)
        print(f"  {op}: {v[main]:.0f} ({100 * v[main] / total:.1f}%)  {detail}")


if __name__ == "__main__":
    args = sys.argv[1:]
    if args and args[0] == "--source":
        for p in args[1:]:
            summarise_source(p)
    else:
        for p in args:
            summarise(p)
