"""Calibration figures: SBC rank histograms."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd



def rank_histograms(ranks: pd.DataFrame, bins: int = 10, axes=None):
    """SBC rank histograms, one panel per parameter, with the 99% band of a uniform histogram."""
    from scipy import stats
    params = sorted(ranks["parameter"].unique())
    ncol = min(4, len(params))
    nrow = int(np.ceil(len(params) / ncol))
    if axes is None:
        fig, axes = plt.subplots(nrow, ncol, figsize=(3.0 * ncol, 2.4 * nrow), layout="constrained", squeeze=False)
    else:
        fig = np.atleast_1d(axes).ravel()[0].figure
    axes = np.atleast_1d(axes).ravel()
    for ax, p in zip(axes, params):
        g = ranks[ranks["parameter"] == p]
        n, mx = len(g), int(g["max_rank"].iloc[0])
        lo, hi = stats.binom.ppf([0.005, 0.995], n, 1 / bins)
        ax.axhspan(lo, hi, color="0.85", label="99% band if uniform")
        ax.hist(g["rank"], bins=bins, range=(-0.5, mx + 0.5), color="#4c72b0", edgecolor="white")
        ax.set_title(p, fontsize=9)
        ax.set_xticks([])
    for ax in axes[len(params):]:
        ax.set_axis_off()
    fig.suptitle(f"SBC rank histograms ({ranks['sim'].nunique()} simulations)", fontsize=10)
    return fig


METHOD_STYLE = {"model": ("#4c72b0", "o", "model"), "persistence": ("#dd8452", "s", "persistence"),
                "linear_trend": ("#55a868", "^", "linear trend"), "climatology": ("0.45", "D", "climatology")}


def reliability_diagram(table: pd.DataFrame, methods=("model", "persistence", "climatology"), ax=None):
    """Binned forecast probability vs observed frequency of the backtest's crossing events, with 90% binomial
    intervals; marker area grows with the number of events in the bin, and the count is written beside the model's."""
    from forecast.report.figures.common import new_axes
    fig, ax = new_axes(ax, figsize=(5.6, 5.0))
    ax.plot([0, 1], [0, 1], color="0.6", lw=1, ls="--", label="perfect calibration")
    offsets = dict(zip(methods, np.linspace(-0.012, 0.012, len(methods))))
    for m in methods:
        g = table[table["method"] == m]
        if g.empty:
            continue
        color, marker, label = METHOD_STYLE.get(m, ("0.3", "o", m))
        x = g["p_mean"].to_numpy() + offsets[m]
        ax.errorbar(x, g["freq"], yerr=[g["freq"] - g["freq_lo"], g["freq_hi"] - g["freq"]], fmt="none",
                    ecolor=color, alpha=0.6, lw=1)
        ax.scatter(x, g["freq"], s=12 + 4 * np.sqrt(g["n"]), color=color, marker=marker, label=label, zorder=3,
                   edgecolor="white", linewidth=0.5)
        if m == "model":
            for xi, yi, n in zip(x, g["freq"], g["n"]):
                ax.annotate(f"{n}", (xi, yi), textcoords="offset points", xytext=(6, -10), fontsize=7, color=color)
    ax.set_xlim(-0.03, 1.03)
    ax.set_ylim(-0.03, 1.03)
    ax.set_xlabel("forecast probability (bin mean)")
    ax.set_ylabel("observed frequency")
    ax.set_title(f"Reliability of crossing-event probabilities ({int(table[table['method'] == methods[0]]['n'].sum())} events)",
                 fontsize=10)
    ax.legend(fontsize=8, loc="upper left", frameon=False)
    ax.grid(alpha=0.3)
    return fig
