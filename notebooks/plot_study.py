#!/usr/bin/env python3
"""Plots of the quantization study (io.vecinfer.study.QuantizationStudy) for docs/results.md.

    /usr/bin/python3 notebooks/plot_study.py docs/results/quantization-study.jsonl docs/results/

Needs matplotlib and pandas (Debian: apt-get install python3-matplotlib python3-pandas). Writes:
  study-by-bits.png      perplexity delta, attention-output error and passkey accuracy vs bits per element,
                         one line per method family, one column per model
  study-ablation.png     the transform ablation (none / smooth / Hadamard / both) at 1, 1.5 and 2 bits:
                         attention-output error, perplexity delta and passkey accuracy
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd

FAMILIES = {"vecinfer": "VecInfer (smooth + Hadamard)", "rawvq": "raw VQ (MILLION PQ)", "kivi": "KIVI"}
ABLATION = [("ablation-none", "none"), ("ablation-smooth", "smooth"), ("ablation-hadamard", "Hadamard"), ("vecinfer", "both")]


def load(path):
    rows = [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]
    return pd.DataFrame(rows)


METRICS = {"ppl_delta_vs_fp16": "perplexity Δ vs fp16", "attention_rel_error": "attention-output rel. error",
           "passkey_accuracy": "passkey accuracy"}


def grid(df, metrics, draw, path, legend_title=None):
    """One column per model, one row per metric; draw(ax, rows of that model, metric) fills a panel."""
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
    fig.savefig(path, dpi=110)


def by_bits(df, out):
    def draw(ax, m, metric):
        for family, name in FAMILIES.items():
            f = m[m["family"] == family].sort_values("bits")
            ax.plot(f["bits"], f[metric], marker="o", label=name)
        if metric == "attention_rel_error":
            ax.set_yscale("log")
        ax.set_xlabel("bits per element")
        ax.grid(alpha=0.3)

    grid(df, ["ppl_delta_vs_fp16", "attention_rel_error", "passkey_accuracy"], draw, out + "/study-by-bits.png")


def ablation(df, out):
    bits, width = [1.0, 1.5, 2.0], 0.2

    def draw(ax, m, metric):
        for i, (family, name) in enumerate(ABLATION):
            values = [m[(m["family"] == family) & (m["bits"] == b)][metric].mean() for b in bits]
            ax.bar([x + (i - 1.5) * width for x in range(len(bits))], values, width, label=name)
        ax.set_xticks(range(len(bits)), [f"{b:g} bit" for b in bits])
        ax.grid(alpha=0.3, axis="y")

    grid(df, ["attention_rel_error", "ppl_delta_vs_fp16", "passkey_accuracy"], draw, out + "/study-ablation.png",
         legend_title="key transform")


def main():
    df = load(sys.argv[1])
    out = sys.argv[2].rstrip("/")
    by_bits(df, out)
    ablation(df, out)


if __name__ == "__main__":
    main()
