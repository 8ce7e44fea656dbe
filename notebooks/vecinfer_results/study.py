"""The quantization study (io.vecinfer.study.QuantizationStudy): merging its JSON lines from several machines, the
markdown tables of docs/results.md, and its two plots (docs/results/study-by-bits.png, study-ablation.png).

    python3 -m vecinfer_results.study merge OUT.jsonl IN.jsonl [IN.jsonl ...] > tables.md
    python3 -m vecinfer_results.study plot docs/results/quantization-study.jsonl docs/results/

(run from notebooks/, or with notebooks/ on PYTHONPATH). quantization-study.ipynb draws the same plots inline.
Rows are keyed by (model, label); a later file's row replaces an earlier one's. Only rows measured with one set of
study settings may be merged (the runs record them in their command lines, not in the rows).
"""
import json
import math
import sys

import pandas as pd

ORDER = ["fp16", "vecinfer", "rawvq", "kivi", "ablation-none", "ablation-smooth", "ablation-hadamard"]
FAMILIES = {"vecinfer": "VecInfer (smooth + Hadamard)", "rawvq": "raw VQ (MILLION PQ)", "kivi": "KIVI"}
ABLATION = [("ablation-none", "none"), ("ablation-smooth", "smooth"), ("ablation-hadamard", "Hadamard"), ("vecinfer", "both")]
METRICS = {"ppl_delta_vs_fp16": "perplexity Δ vs fp16", "attention_rel_error": "attention-output rel. error",
           "passkey_accuracy": "passkey accuracy"}


def read_rows(paths):
    rows = {}
    for path in paths:
        with open(path, encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    r = json.loads(line)
                    rows[(r["model"], r["label"])] = r
                except (json.JSONDecodeError, KeyError) as e:
                    raise ValueError(f"{path}:{number}: not a study row ({e})") from e
    return rows


def merge(paths):
    """The rows of all files, later ones replacing earlier ones, with ppl_delta_vs_fp16 against the model's fp16 row."""
    rows = read_rows(paths)
    fp16 = {m: r for (m, label), r in rows.items() if label == "fp16"}
    merged = []
    for (model, label), r in rows.items():
        base = fp16.get(model)
        r["ppl_delta_vs_fp16"] = r["ppl"] - base["ppl"] if base else None
        merged.append(r)
    merged.sort(key=lambda r: (r["model"], ORDER.index(r["family"]), -r["bits"]))
    return merged


def tables(merged):
    """The markdown tables of docs/results.md, one per model."""
    out = []
    for model in sorted({r["model"] for r in merged}):
        out += [f"\n#### {model}\n",
                "| method | bits | KV B/token @4k | key rel. err | attn-out rel. err | ppl | Δppl vs fp16 | KL | top-1 | passkey |",
                "|---|---|---|---|---|---|---|---|---|---|"]
        for r in (r for r in merged if r["model"] == model):
            def f(key, fmt):
                v = r.get(key)
                return "–" if v is None or (isinstance(v, float) and math.isnan(v)) else format(v, fmt)
            out.append(f"| `{r['spec']}` | {r['bits']:g} | {r['kv_bytes_per_token_at_4096']:.0f} | {f('key_rel_error', '.3f')} | "
                       f"{f('attention_rel_error', '.4f')} | {f('ppl', '.2f')} | {f('ppl_delta_vs_fp16', '+.2f')} | {f('kl', '.4f')} | "
                       f"{f('top1_agreement', '.3f')} | {f('passkey_accuracy', '.1f')} |")
    return "\n".join(out)


def load(path):
    return pd.DataFrame(list(read_rows([path]).values()))


def _grid(df, metrics, draw, legend_title=None):
    """One column per model, one row per metric; draw(ax, rows of that model, metric) fills a panel."""
    import matplotlib.pyplot as plt
    models = sorted(df["model"].unique())
    fig, axes = plt.subplots(len(metrics), len(models), figsize=(5.5 * len(models), 3.4 * len(metrics)), squeeze=False)
    for c, model in enumerate(models):
        for r, metric in enumerate(metrics):
            ax = axes[r][c]
            draw(ax, df[df["model"] == model], metric)
            if metric == "ppl_delta_vs_fp16":
                ax.set_yscale("symlog", linthresh=0.1)
            ax.set_ylabel(METRICS[metric])
            ax.set_title(model if r == 0 else "")
    axes[0][0].legend(fontsize=8, title=legend_title)
    fig.tight_layout()
    return fig


def by_bits(df):
    """Perplexity delta, attention-output error and passkey accuracy vs bits: a line per method family, a column per model."""
    def draw(ax, m, metric):
        for family, name in FAMILIES.items():
            f = m[m["family"] == family].sort_values("bits")
            ax.plot(f["bits"], f[metric], marker="o", label=name)
        if metric == "attention_rel_error":
            ax.set_yscale("log")
        ax.set_xlabel("bits per element")
        ax.grid(alpha=0.3)

    return _grid(df, ["ppl_delta_vs_fp16", "attention_rel_error", "passkey_accuracy"], draw)


def ablation(df, bits=(1.0, 1.5, 2.0), width=0.2):
    """The key-transform ablation (none / smooth / Hadamard / both) at 1, 1.5 and 2 bits."""
    def draw(ax, m, metric):
        for i, (family, name) in enumerate(ABLATION):
            values = [m[(m["family"] == family) & (m["bits"] == b)][metric].mean() for b in bits]
            ax.bar([x + (i - 1.5) * width for x in range(len(bits))], values, width, label=name)
        ax.set_xticks(range(len(bits)), [f"{b:g} bit" for b in bits])
        ax.grid(alpha=0.3, axis="y")

    return _grid(df, ["attention_rel_error", "ppl_delta_vs_fp16", "passkey_accuracy"], draw, legend_title="key transform")


def main(argv):
    usage = "usage: python3 -m vecinfer_results.study merge OUT.jsonl IN.jsonl [...] | plot STUDY.jsonl OUT_DIR"
    if len(argv) >= 3 and argv[0] == "merge":
        merged = merge(argv[2:])
        with open(argv[1], "w", encoding="utf-8") as f:
            for r in merged:
                f.write(json.dumps(r) + "\n")
        print(tables(merged))
    elif len(argv) == 3 and argv[0] == "plot":
        import matplotlib
        matplotlib.use("Agg")
        df, out = load(argv[1]), argv[2].rstrip("/")
        by_bits(df).savefig(out + "/study-by-bits.png", dpi=110)
        ablation(df).savefig(out + "/study-ablation.png", dpi=110)
    else:
        print(usage, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
