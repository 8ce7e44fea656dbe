"""Summarise an ncu --csv --page details file (gpu-check-on-h200.sh's ncu-vq step): per profiled kernel, its duration,
the issue and shared-memory counters, and the warp stall reasons (warps stalled per issue cycle), largest first.
    python3 gpu-worker/scripts/ncu_summary.py ncu-vq-b8-131072.csv"""
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


if __name__ == "__main__":
    for p in sys.argv[1:]:
        summarise(p)
