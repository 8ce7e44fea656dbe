#!/usr/bin/env python3
"""Merges SweepBenchmark's JSON (ours) and sweep_peer.py's (peer) into one file of rows by task: samples,
ours_samples_per_s, peer_samples_per_s and their ratio, and for perplexity both sides' mean nll and their largest
difference on one window (a check that both computed the same thing). Either input may be missing or cut short (its
values are then null), so the merged file is written whatever failed.

    python3 gpu-worker/scripts/merge_sweep.py --ours ours.json --peer peer.json [--samples samples.json] \
        --out sweep-benchmark-h200.json --command "..." --device "..." --commit abc123
"""
from merge_e2e import load, merge_parser, ratio, result_head, write_json

NOTES = {
    "ours_samples_per_s": "SweepBenchmark: the fp16 cell's samples through ModelCellRunner on the CUDA backend (KvMethods, "
                          "the task's own code, batch auto), over the median wall time of runner.run, after warm-up runs",
    "peer_samples_per_s": "sweep_peer.py: transformers bf16 sdpa on the same token ids, batched (peer_batch), over the "
                          "median wall time of a pass, after warm-up passes",
    "ours_over_peer": "ours_samples_per_s / peer_samples_per_s: above 1 is ours faster",
    "max_abs_dnll": "perplexity: the largest |ours - peer| nll of one window (fp16 vs bf16 activations on random weights)",
}


def merge(ours, peer, listing):
    planned = {t["task"]: len(t["samples"]) for t in listing.get("tasks", [])}
    peer_rows = {r["task"]: r for r in peer.get("rows", [])}
    ours_rows = {r["task"]: r for r in ours.get("rows", [])}
    if "in_progress" in ours:  # the task ours was running when it stopped
        ours_rows.setdefault(ours["in_progress"]["task"], ours["in_progress"])
    rows = []
    for task in dict.fromkeys(list(planned) + list(ours_rows) + list(peer_rows)):
        o, p = ours_rows.get(task, {}), peer_rows.get(task, {})
        row = {"task": task, "samples": planned.get(task, o.get("samples", p.get("samples"))),
               "ours_samples_per_s": o.get("ours_samples_per_s"), "peer_samples_per_s": p.get("peer_samples_per_s")}
        row["ours_over_peer"] = ratio(row["ours_samples_per_s"], row["peer_samples_per_s"])
        row["ours_batch"] = o.get("device_batch")
        row["peer_batch"] = p.get("peer_batch")
        if "ours_nll" in o and "peer_nll" in p and len(o["ours_nll"]) == len(p["peer_nll"]):
            row["ours_mean_nll"], row["peer_mean_nll"] = o.get("ours_mean_nll"), p.get("peer_mean_nll")
            row["max_abs_dnll"] = round(max(abs(a - b) for a, b in zip(o["ours_nll"], p["peer_nll"])), 5)
        row["ours"] = o
        row["peer"] = p
        rows.append(row)
    return rows


def main():
    parser = merge_parser(__doc__.splitlines()[0])
    parser.add_argument("--samples", default=None, help="SweepBenchmark --samples-out's file: a row per task even if both failed")
    args = parser.parse_args()
    ours, peer = load(args.ours), load(args.peer)
    result = {**result_head("a perplexity-window and passkey sweep on the Llama-3.1-8B shape (random bf16 weights): samples/s"
                            " through the cell runner vs a plain transformers loop", args, NOTES),
              "rows": merge(ours, peer, load(args.samples) if args.samples else {}),
              "ours": {k: v for k, v in ours.items() if k not in ("rows", "in_progress")},
              "peer": {k: v for k, v in peer.items() if k != "rows"}}
    write_json(args.out, result)
    for r in result["rows"]:
        print(f"{r['task']}: {r['samples']} samples, ours {r['ours_samples_per_s']}/s, peer {r['peer_samples_per_s']}/s,"
              f" ours/peer {r['ours_over_peer']}")


if __name__ == "__main__":
    main()
