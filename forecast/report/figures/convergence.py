"""Convergence figures: C(t) fans with the level bands, and the most probable level per technology and year."""
from __future__ import annotations

import numpy as np
import pandas as pd

from forecast.report.figures.common import figure_legend, grid_axes, new_axes, outer_labels, year_ticks

# level band fills (fans) and cell colours (heat map), L0 → L4
LEVEL_COLORS = {"L0": "#f2e6e6", "L1": "#f6efdd", "L2": "#e8f0dc", "L3": "#dcebf2", "L4": "#e4e0f2"}
LEVEL_CMAP = ["#d9a6a6", "#e6cf94", "#b7d39a", "#92c2dd", "#a89cd6"]


def convergence_fan(model, tech: str, dates: pd.DatetimeIndex, ax=None, legend: bool = True, level_labels: bool = True):
    """C(t) for one technology: median and 80% band over the level bands; the seed's point claim as a star.

    Without `legend` the seed's claim goes into the title (small multiples share one figure legend)."""
    fig, ax = new_axes(ax, (6.0, 3.6))
    lv = model.levels
    for lid, lo_, hi_ in zip(lv.ids, lv.lower, lv.upper):
        ax.axhspan(lo_, hi_, color=LEVEL_COLORS[lid], lw=0, zorder=0)
        if level_labels:
            ax.annotate(lid, (1.0, (lo_ + hi_) / 2), xycoords=("axes fraction", "data"), xytext=(2, 0), textcoords="offset points",
                        fontsize=7, va="center", color="0.35")
    c = model.c_paths(tech, dates)
    lo, med, hi = np.quantile(c, [0.1, 0.5, 0.9], axis=0)
    ax.fill_between(dates, lo, hi, color="#4c72b0", alpha=0.3, lw=0, label="C, 80% interval")
    year_ticks(ax, dates)
    ax.plot(dates, med, color="#1f3a66", lw=1.8, label="C, median")
    t = model.registry[tech]
    snap = model.inputs["snapshot"]
    claim = ""
    if t.seed_convergence is not None:
        claim = f"seed: {t.seed_level} ({t.seed_convergence:g})"
        ax.plot(snap, t.seed_convergence, marker="*", ms=11, color="#c44e52", zorder=5, label=claim if legend else "seed's claim (value)")
    elif t.seed_level:
        claim = f"seed: {t.seed_level} (no %)"
        j = lv.index(t.seed_level)
        ax.plot([snap, snap], [lv.lower[j], lv.upper[j]], color="#c44e52", lw=3, zorder=5, label=claim if legend else "seed's claim (level only)")
    ax.set_ylim(0, 1)
    ax.set_title(tech if legend or not claim else f"{tech} ({claim})", fontsize=9)
    ax.set_ylabel("convergence C", fontsize=8)
    ax.tick_params(labelsize=7)
    if legend:
        ax.legend(fontsize=6.5, frameon=False, loc="lower right")
    return fig


def convergence_grid(model, techs, dates: pd.DatetimeIndex, ax=None):
    """Small multiples of `convergence_fan`, one panel per technology; `ax` may be a sequence of axes."""
    if ax is None:
        fig, axes = grid_axes(len(techs), ncols=4, panel=(3.3, 2.4))
    else:
        axes = np.ravel(ax)
        fig = axes[0].figure
    ncols = axes[0].get_gridspec().ncols if axes[0].get_gridspec() is not None else 1
    for i, (a, tech) in enumerate(zip(axes, techs)):
        # one figure legend and level labels on the right-hand column only: 20 panel legends and 100 labels
        # were most of the time to draw this figure
        convergence_fan(model, tech, dates, ax=a, legend=False, level_labels=(i % ncols == ncols - 1 or i == len(techs) - 1))
    outer_labels(fig, axes[:len(techs)], "convergence C")
    figure_legend(fig, axes[:len(techs)], ncols=4, fontsize=8)
    fig.suptitle(f"Convergence degree C(t) ({model.inputs['formula']} formula) with level bands; star/bar = seed's claim on "
                 f"{model.inputs['snapshot'].date()}", fontsize=10)
    return fig


def level_heatmap(model, techs, years, ax=None):
    """Technology × year: the most probable level on 31 December, annotated with its probability."""
    from matplotlib.colors import BoundaryNorm, ListedColormap
    fig, ax = new_axes(ax, (1.0 + 0.95 * len(years), 0.9 + 0.34 * len(techs)))
    dates = pd.DatetimeIndex([f"{y}-12-31" for y in years])
    best = np.zeros((len(techs), len(years)), dtype=int)
    prob = np.zeros_like(best, dtype=float)
    for i, tech in enumerate(techs):
        lv = model.level_paths(tech, dates)
        p = np.stack([(lv == j).mean(axis=0) for j in range(len(model.levels.ids))])  # (levels, years)
        best[i] = p.argmax(axis=0)
        prob[i] = p.max(axis=0)
    cmap = ListedColormap(LEVEL_CMAP)
    ax.imshow(best, cmap=cmap, norm=BoundaryNorm(np.arange(-0.5, 5.5), cmap.N), aspect="auto")
    for i in range(len(techs)):
        for j in range(len(years)):
            ax.text(j, i, f"{model.levels.ids[best[i, j]]}\n{prob[i, j]:.2f}", ha="center", va="center", fontsize=6.5)
    ax.set_xticks(range(len(years)), [str(y) for y in years], fontsize=8)
    ax.set_yticks(range(len(techs)), [f"{t} (seed {model.registry[t].seed_level or '–'})" for t in techs], fontsize=7.5)
    ax.set_title("Most probable level on 31 December (with its probability)", fontsize=10)
    return fig


def figures(model) -> dict:
    """The convergence section's figures: name → matplotlib Figure."""
    s = model.priors.settings
    dates = pd.date_range(s["plot_start"], s["plot_end"], freq="ME")
    years = list(range(int(s["heatmap_years"][0]), int(s["heatmap_years"][1]) + 1))
    techs = model.inputs["techs"]
    return {
        "convergence_fans": convergence_grid(model, techs, dates),
        "convergence_levels": level_heatmap(model, techs, years),
    }
