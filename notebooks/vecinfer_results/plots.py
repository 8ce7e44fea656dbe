"""The HTML report's main plots, with matplotlib, from load()'s frames: each function returns its figure.

The choices are the report's (spark-jobs/.../report/Figures.java): score against bits per element with a line per
(method, model) and standard-error bars; VecInfer's key transforms as bars of the delta against fp16; passkey
accuracy over context length x key depth; KV bytes per token and compression ratio against bits; throughput and
latency against context length.
"""
import math

import matplotlib.pyplot as plt
import numpy as np

from . import sweep


def _grid(n, width=5.0, height=3.6, columns=3):
    rows = max(1, math.ceil(n / columns))
    cols = max(1, min(n, columns))
    fig, axes = plt.subplots(rows, cols, figsize=(width * cols, height * rows), squeeze=False)
    flat = axes.ravel()
    for ax in flat[n:]:
        ax.set_visible(False)
    return fig, flat[:n]


def score_by_bits(metrics):
    """A panel per (task, score); a line per (method, model) over bits per element, with mean +- se bars."""
    m = sweep.plotted_scores(metrics).assign(label=sweep.method_label(metrics) + " · " + sweep.model_name(metrics))
    panels = sorted(m.groupby(["task", "score"]).groups)
    fig, axes = _grid(len(panels))
    for ax, (task, score) in zip(axes, panels):
        panel = m[(m["task"] == task) & (m["score"] == score)]
        for label, line in panel.groupby("label", sort=False):
            line = line.sort_values("bits_per_element")
            ax.errorbar(line["bits_per_element"], line["mean"], yerr=line["stderr"].fillna(0), marker="o", capsize=3, label=label)
        ax.set_xscale("log", base=2)
        ax.set_xlabel("bits per element")
        ax.set_ylabel(f"{score} (mean ± se)")
        ax.set_title(f"{task} · {score}")
        ax.grid(alpha=0.3)
    if len(panels):
        axes[0].legend(fontsize=7)
    fig.tight_layout()
    return fig


TRANSFORMS = ["none", "smooth", "Hadamard", "both"]


def transform_ablation(metrics):
    """A panel per (task, score): VecInfer's delta against fp16 (+- se) at each bit width, a bar per (transform, model)."""
    m = sweep.plotted_scores(metrics)
    m = m[m["key_transform"].notna() & m["delta_vs_fp16"].notna()].assign(model_name=sweep.model_name(metrics))
    panels = sorted(m.groupby(["task", "score"]).groups)
    fig, axes = _grid(len(panels))
    for ax, (task, score) in zip(axes, panels):
        panel = m[(m["task"] == task) & (m["score"] == score)]
        widths = sorted(panel["bits_per_element"].unique())
        groups = [(t, name) for t in TRANSFORMS for name in sorted(panel["model_name"].unique())
                  if len(panel[(panel["key_transform"] == t) & (panel["model_name"] == name)])]
        bar = 0.8 / max(1, len(groups))
        for i, (transform, name) in enumerate(groups):
            rows = panel[(panel["key_transform"] == transform) & (panel["model_name"] == name)]
            x = [widths.index(b) + (i - (len(groups) - 1) / 2) * bar for b in rows["bits_per_element"]]
            ax.bar(x, rows["delta_vs_fp16"], bar, yerr=rows["delta_stderr"].fillna(0), capsize=2, label=f"{transform} · {name}")
        ax.set_xticks(range(len(widths)), [f"{b:g} bit" for b in widths])
        ax.axhline(0, color="black", linewidth=0.6)
        ax.set_ylabel(f"Δ {score} vs fp16")
        ax.set_title(f"{task} · {score}")
        ax.grid(alpha=0.3, axis="y")
    if len(panels):
        axes[0].legend(fontsize=7, title="key transform")
    fig.tight_layout()
    return fig


def passkey_heatmaps(samples):
    """A heatmap per (model, method): mean accuracy over context tokens x key depth."""
    p = sweep.passkey_depths(samples).assign(model_name=sweep.model_name(samples))
    groups = sorted(p.groupby(["model_name", "method"]).groups)
    fig, axes = _grid(len(groups), width=4.2, height=3.4, columns=4)
    for ax, (name, method) in zip(axes, groups):
        table = (p[(p["model_name"] == name) & (p["method"] == method)]
                 .pivot_table(index="depth_percent", columns="context_tokens", values=sweep.SCORE_PREFIX + "accuracy", aggfunc="mean"))
        image = ax.imshow(table.values, vmin=0, vmax=1, cmap="RdBu", aspect="auto", origin="lower")
        ax.set_xticks(range(len(table.columns)), [str(c) for c in table.columns])
        ax.set_yticks(range(len(table.index)), [f"{d}%" if d >= 0 else "?" for d in table.index])
        for (r, c), v in np.ndenumerate(table.values):
            if not np.isnan(v):
                ax.text(c, r, f"{v:.2f}", ha="center", va="center", fontsize=8)
        ax.set_xlabel("context tokens")
        ax.set_ylabel("key depth")
        ax.set_title(f"{method.split(':')[0]} · {name}", fontsize=9)
    fig.subplots_adjust(hspace=0.55, wspace=0.4)
    if len(groups):
        fig.colorbar(image, ax=list(axes), shrink=0.6, label="accuracy")
    return fig


def kv_footprint(metrics):
    """KV bytes per token and compression ratio against bits: a line per (method, context length), a point per method."""
    cells = sweep.per_cell(metrics).assign(label=sweep.method_label(metrics))
    fig, axes = _grid(2, columns=2)
    for ax, column, name in zip(axes, ["kv_bytes_per_token", "compression_ratio"], ["KV bytes per token", "compression ratio vs fp16"]):
        per_method = cells.groupby(["label", "context_length", "method"], as_index=False).agg(
            bits=("bits_per_element", "first"), value=(column, "mean"))
        for (label, ctx), line in per_method.groupby(["label", "context_length"]):
            line = line.sort_values("bits")
            ax.plot(line["bits"], line["value"], marker="o", label=f"{label} · ctx {ctx}")
        ax.set_xscale("log", base=2)
        ax.set_xlabel("bits per element")
        ax.set_ylabel(name)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    return fig


def speed(metrics):
    """Prefill and decode tokens/s and decode latency against context length: a line per (method, batch size)."""
    cells = sweep.per_cell(metrics)
    columns = [("prefill_tokens_per_s", "prefill tokens/s"), ("decode_tokens_per_s", "decode tokens/s"),
               ("decode_ms_per_token_p50", "decode ms per token (p50)")]
    fig, axes = _grid(len(columns))
    for ax, (column, name) in zip(axes, columns):
        rows = cells[cells[column].notna()]
        for (method, batch), line in rows.groupby(["method", "batch_size"]):
            line = line.groupby("context_length", as_index=False)[column].mean()
            ax.plot(line["context_length"], line[column], marker="o", label=f"{method.split(':')[0]} · batch {batch}")
        ax.set_xlabel("context length")
        ax.set_ylabel(f"{name} (mean over cells)")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    return fig
