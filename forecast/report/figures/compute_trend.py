"""Frontier-compute figures: the fan of the running maximum with the FLOP thresholds, growth per year."""
from __future__ import annotations

import numpy as np
import pandas as pd

from forecast.core.timeutil import month_grid

from forecast.report.figures.common import new_axes, posterior_vs_claim


def compute_fan(model, dates: pd.DatetimeIndex, sim_max: np.ndarray, thresholds=(1e26, 1e27, 1e28), ax=None):
    """Frontier compute: observed models, the trend band and the simulated running maximum (fan)."""
    fig, ax = new_axes(ax, (8.0, 4.5))
    allm = model.inputs["all"]
    fr = model.inputs["frontier"]
    ax.scatter(allm["publication_date"], allm["log10_compute"], s=6, color="0.75", label="all models with compute")
    ax.scatter(fr["publication_date"], fr["log10_compute"], s=14, color="#4c72b0", marker="D", label="frontier (top-k at release)")
    hist = pd.date_range(fr["publication_date"].min(), dates[-1], freq="QE")
    q = model.trend_quantiles(hist)
    ax.fill_between(hist, q[0], q[2], color="#4c72b0", alpha=0.2, label="trend, 80% interval")
    ax.plot(hist, q[1], color="#4c72b0", lw=1.5)
    lo, med, hi = np.quantile(sim_max, [0.1, 0.5, 0.9], axis=0)
    ax.fill_between(dates, lo, hi, color="#dd8452", alpha=0.3, label="largest run so far, 80% interval")
    ax.plot(dates, med, color="#dd8452", lw=2, ls="--", label="largest run so far, median")
    for t in thresholds:
        ax.axhline(np.log10(t), color="0.3", lw=0.8, ls=":")
        ax.annotate(f"1e{int(np.log10(t))} FLOP", (dates[-1], np.log10(t)), xytext=(-4, 3), textcoords="offset points",
                    ha="right", fontsize=8)
    ax.axvline(model.data_end, color="0.5", lw=0.8)
    ax.annotate("data end", (model.data_end, ax.get_ylim()[0]), xytext=(3, 3), textcoords="offset points", fontsize=8)
    ax.set_ylabel("log10 training compute (FLOP)")
    ax.set_title("Frontier training compute: observed and forecast")
    ax.legend(fontsize=8, frameon=True, framealpha=0.9, loc="lower right")
    return fig


def figures(model) -> dict:
    """The compute_trend section's figures: name → matplotlib Figure."""
    dates = month_grid(model.data_end, pd.Timestamp(model.cfg.horizon))
    sim = model.simulate_frontier_max(dates, np.random.default_rng(model.cfg.seed))
    g = model.draws("growth_log10")
    return {
        "compute_fan": compute_fan(model, dates, sim),
        "compute_growth": posterior_vs_claim(10 ** g, "frontier compute growth per year (×)", {"Epoch 2022 (low)": 4.0, "Epoch 2022 (high)": 5.0}),
    }
