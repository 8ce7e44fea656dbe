#!/usr/bin/env python3
"""Merges DecoderE2EBenchmark's JSON (ours) and decoder_e2e_peer.py's (peer) into one file of rows by name:
ours_ms, peer_ms, their ratio and, where the peer measured it, the GEMM floor. Either input may be missing or
cut short (its values are then null), so the merged file is written whatever failed.

    python3 gpu-worker/scripts/merge_e2e.py --ours ours.json --peer peer.json --out decoder-e2e-h200.json \
        --command "..." --device "..." --commit abc123
"""
import argparse
import datetime
import json

NOTES = {
    "ours_ms": "CudaDecoder through its public API, host time of one call: prefill rows score every position on the device (scoreAll), decode rows call what their step_call names (greedyLast: the argmax on the device, one int per sequence to the host)",
    "peer_ms": "transformers AutoModelForCausalLM bf16 sdpa (or torch.matmul for proj-* rows), CUDA event time "
               "(logits left on the GPU)",
    "floor_ms": "the row's projections alone (q, k, v, o, gate, up, down per layer, lm_head over the logit rows) "
                "at torch.matmul's measured rates; attention and the rest excluded",
    "skipped": "ours not run: the estimate did not fit the time budget, or the call failed",
}


def load(path):
    """The JSON object at path, or one that says why there is none."""
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        return {"rows": [], "error": f"{path}: {e}"}


def ratio(a, b):
    return round(a / b, 2) if isinstance(a, (int, float)) and isinstance(b, (int, float)) and b > 0 else None


def merge_parser(description):
    """The command line every merge script takes: both sides' JSON, the merged file, and what ran where at which commit."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--ours", required=True)
    parser.add_argument("--peer", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--command", default="")
    parser.add_argument("--device", default="")
    parser.add_argument("--commit", default="unknown")
    return parser


def result_head(benchmark, args, notes):
    """The merged file's head (what, the command, device, UTC date, commit, the fields' notes); rows and both sides follow."""
    return {"benchmark": benchmark, "command": args.command, "device": args.device,
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "commit": args.commit, "notes": notes}


def write_json(path, result):
    with open(path, "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")


def merge(ours, peer):
    by_name = {}
    for row in peer.get("rows", []):
        r = dict(row)
        if "skipped" in r:
            r["peer_skipped"] = r.pop("skipped")
        by_name[r["name"]] = r
    for row in ours.get("rows", []):
        by_name.setdefault(row["name"], {"name": row["name"]}).update(row)
    # Ours' order first (the end-to-end rows), then the peer-only ones (projections).
    names = [r["name"] for r in ours.get("rows", [])] + [r["name"] for r in peer.get("rows", [])]
    rows = []
    for name in dict.fromkeys(names):
        r = by_name[name]
        r.setdefault("ours_ms", None)
        r.setdefault("peer_ms", None)
        head = {"name": name, "ours_ms": r["ours_ms"], "peer_ms": r["peer_ms"],
                "ours_over_peer": ratio(r["ours_ms"], r["peer_ms"])}
        if "floor_ms" in r:
            head["floor_ms"] = r["floor_ms"]
            head["ours_over_floor"] = ratio(r["ours_ms"], r["floor_ms"])
        rows.append({**head, **{k: v for k, v in r.items() if k not in head}})
    return rows


def main():
    args = merge_parser(__doc__.splitlines()[0]).parse_args()
    ours, peer = load(args.ours), load(args.peer)
    result = {**result_head("GPU decoder end to end on the Llama-3.1-8B shape (random bf16 weights), ours vs transformers", args, NOTES),
              "rows": merge(ours, peer),
              "ours": {k: v for k, v in ours.items() if k != "rows"},
              "peer": {k: v for k, v in peer.items() if k != "rows"}}
    write_json(args.out, result)
    done = sum(r["ours_ms"] is not None for r in result["rows"])
    print(f"{args.out}: {len(result['rows'])} rows, {done} with ours_ms")


if __name__ == "__main__":
    main()
