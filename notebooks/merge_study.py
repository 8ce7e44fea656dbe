#!/usr/bin/env python3
"""Merges QuantizationStudy rows from several machines into one file, adds perplexity deltas against the
fp16 row of the same model, and prints the markdown tables of docs/results.md.

    python3 notebooks/merge_study.py OUT.jsonl IN.jsonl [IN.jsonl ...] > tables.md

Rows are keyed by (model, label); a later file's row replaces an earlier one's. Only rows measured with one
set of study settings may be merged (the runs record them in their command lines, not in the rows).
"""
import json
import math
import sys

ORDER = ["fp16", "vecinfer", "rawvq", "kivi", "ablation-none", "ablation-smooth", "ablation-hadamard"]


def main():
    out, inputs = sys.argv[1], sys.argv[2:]
    rows = {}
    for path in inputs:
        for line in open(path, encoding="utf-8"):
            if line.strip():
                r = json.loads(line)
                rows[(r["model"], r["label"])] = r
    fp16 = {m: r for (m, label), r in rows.items() if label == "fp16"}
    merged = []
    for (model, label), r in rows.items():
        base = fp16.get(model)
        r["ppl_delta_vs_fp16"] = r["ppl"] - base["ppl"] if base else None
        merged.append(r)
    merged.sort(key=lambda r: (r["model"], ORDER.index(r["family"]), -r["bits"]))
    with open(out, "w", encoding="utf-8") as f:
        for r in merged:
            f.write(json.dumps(r) + "\n")
    for model in sorted({r["model"] for r in merged}):
        print(f"\n#### {model}\n")
        print("| method | bits | KV B/token @4k | key rel. err | attn-out rel. err | ppl | Δppl vs fp16 | KL | top-1 | passkey |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for r in (r for r in merged if r["model"] == model):
            def f(key, fmt):
                v = r.get(key)
                return "–" if v is None or (isinstance(v, float) and math.isnan(v)) else format(v, fmt)
            print(f"| `{r['spec']}` | {r['bits']:g} | {r['kv_bytes_per_token_at_4096']:.0f} | {f('key_rel_error', '.3f')} | "
                  f"{f('attention_rel_error', '.4f')} | {f('ppl', '.2f')} | {f('ppl_delta_vs_fp16', '+.2f')} | {f('kl', '.4f')} | "
                  f"{f('top1_agreement', '.3f')} | {f('passkey_accuracy', '.1f')} |")


if __name__ == "__main__":
    main()
