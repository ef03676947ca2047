"""Adoption figures: each technology's share fan with its observations, one small-multiple grid per layer."""
from __future__ import annotations

import numpy as np
import pandas as pd

from forecast.report.figures.common import figure_legend, grid_axes, new_axes, outer_labels, year_ticks


def adoption_fan(model, tech: str, dates: pd.DatetimeIndex, ax=None, legend: bool = True):
    """One technology's share s(t): posterior median and 80% band, observed k/n (size ∝ n) and elicited intervals."""
    fig, ax = new_axes(ax, (6.0, 3.6))
    x = model.inputs
    s = model.share_paths(tech, dates)
    lo, med, hi = np.quantile(s, [0.1, 0.5, 0.9], axis=0)
    ax.fill_between(dates, lo, hi, color="#4c72b0", alpha=0.25, lw=0, label="share, 80% interval")
    year_ticks(ax, dates)
    ax.plot(dates, med, color="#4c72b0", lw=1.8, label="share, median")
    cnt = x["count"]["rows"]
    cnt = cnt[cnt["technology"] == tech]
    ref = x["reference_frames"][tech]
    for ser, g in cnt.groupby("series"):
        mid = g["period_start"] + (g["period_end"] - g["period_start"]) / 2
        filled = ser == ref
        ax.scatter(mid, g["k"] / g["n"], s=6 + 4 * g["n"].astype(float), facecolors="#1f3a66" if filled else "none",
                   edgecolors="#1f3a66", lw=1, alpha=0.8, label=f"k/n, {ser}" + (" (reference)" if filled else ""), zorder=3)
    for rows, color, lab in ((x["elicited"]["rows"], "#c44e52", "elicited share, 80% interval"),
                             (x["held_out"], "#dd8452", "seed claim (held out, tested)")):
        e = rows[rows["technology"] == tech]
        if len(e):
            mid = e["period_start"] + (e["period_end"] - e["period_start"]) / 2
            ax.errorbar(mid, e["share"], yerr=[e["share"] - e["share_lo"], e["share_hi"] - e["share"]], fmt="D", ms=5,
                        color=color, capsize=3, lw=1.5, label=lab, zorder=4)
    kind = ("counted" if tech in x["counted_techs"] else "growth series (timing only)" if tech in x["growth_techs"]
            else "elicited only" if tech in x["elicited_only_techs"] else "no data: layer prior")
    ax.axvline(model.data_end, color="0.5", lw=0.8, ls=":")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title(f"{tech} ({kind})", fontsize=9)
    ax.set_ylabel("share of new models", fontsize=8)
    ax.tick_params(labelsize=7)
    if legend:
        ax.legend(fontsize=7, frameon=False, loc="upper left")
    return fig


def adoption_grid(model, techs, dates: pd.DatetimeIndex, title: str = "", ax=None):
    """Small multiples of `adoption_fan`, one panel per technology; `ax` may be a sequence of axes."""
    if ax is None:
        fig, axes = grid_axes(len(techs))
    else:
        axes = np.ravel(ax)
        fig = axes[0].figure
    for a, tech in zip(axes, techs):
        adoption_fan(model, tech, dates, ax=a, legend=False)
    outer_labels(fig, axes[:len(techs)], "share of new models")
    figure_legend(fig, axes[:len(techs)], ncols=3, fontsize=7)
    if title:
        fig.suptitle(f"{title}: median and 80% band; dotted line = data end", fontsize=10)
    return fig


def figures(model) -> dict:
    """The adoption section's figures: name → matplotlib Figure."""
    s = model.priors.settings
    dates = pd.date_range(s["plot_start"], s["plot_end"], freq="ME")
    figs = {}
    reg = model.registry
    for layer in reg.layers:
        techs = [t for t in model.inputs["techs"] if reg[t].layer == layer]
        if techs:
            figs[f"adoption_{layer}"] = adoption_grid(model, techs, dates, title=f"Adoption share, {layer} layer")
    return figs
