"""Hardware figures: FLOP/s and price-performance trends against the hardware table."""
from __future__ import annotations

import numpy as np
import pandas as pd

from forecast.report.figures.common import new_axes, posterior_vs_claim


def hardware_trends(model, ax=None):
    """Peak FLOP/s of ML accelerators by precision (FP32, 16-bit tensor) with posterior trend bands (90%)."""
    fig, ax = new_axes(ax, (8.0, 4.5))
    perf = model.inputs["perf"]
    span = pd.date_range(perf["release_date"].min(), model.data_end + pd.DateOffset(months=6), freq="QE")
    for k, (series, label, color) in enumerate((("flops_fp32", "FP32", "#4c72b0"), ("flops", "16-bit tensor", "#dd8452"))):
        p = perf[perf["group"] == k]
        ax.scatter(p["release_date"], p["y"], s=12, color=color, alpha=0.7, label=f"{label} ({len(p)} chips)")
        first = p["release_date"].min()
        d = span[span >= first]
        q = model.trend_quantiles(series, d)
        g = np.quantile(model.growth(series), [0.5, 0.05, 0.95])
        ax.fill_between(d, q[0], q[2], color=color, alpha=0.2)
        at = " at the period's typical TDP" if model.inputs["segment_on"][k] else ""
        ax.plot(d, q[1], color=color, lw=1.8, label=f"{label} trend{at}: {g[0]:+.0%}/yr (90% {g[1]:+.0%} to {g[2]:+.0%})")
    ax.set_ylabel("log10 peak FLOP/s")
    ax.set_title("ML hardware performance (Epoch AI): observed chips and robust trends, 90% bands")
    ax.legend(fontsize=8, frameon=False, loc="upper left")
    return fig


def hardware_price_performance(model, ax=None):
    """FLOP/s per launch-price dollar with the posterior trend band (90%, at 16-bit tensor pricing)."""
    fig, ax = new_axes(ax, (8.0, 4.5))
    pr = model.inputs["priced"]
    for prec, color, label in (("fp32", "#4c72b0", "priced at FP32"), ("tensor16", "#dd8452", "priced at 16-bit tensor")):
        p = pr[pr["precision"] == prec]
        ax.scatter(p["release_date"], p["y"], s=14, color=color, alpha=0.75, label=f"{label} ({len(p)})")
    d = pd.date_range(pr["release_date"].min(), model.data_end + pd.DateOffset(months=6), freq="QE")
    q = model.trend_quantiles("flops_per_dollar", d)
    g = np.quantile(model.growth("flops_per_dollar"), [0.5, 0.05, 0.95])
    ax.fill_between(d, q[0], q[2], color="#dd8452", alpha=0.2)
    ax.plot(d, q[1], color="#dd8452", lw=1.8, label=f"trend (16-bit pricing): {g[0]:+.0%}/yr (90% {g[1]:+.0%} to {g[2]:+.0%})")
    ax.set_ylabel("log10 FLOP/s per USD (launch price)")
    ax.set_title("ML hardware price-performance (Epoch AI)")
    ax.legend(fontsize=8, frameon=False, loc="upper left")
    return fig


def figures(model) -> dict:
    """The hardware section's figures: name → matplotlib Figure."""
    claim = float(model.priors.settings["seed_claim_per_year"])
    epoch = model.priors.settings.get("epoch_published_values", {})
    return {
        "hardware_flops": hardware_trends(model),
        "hardware_price_performance": hardware_price_performance(model),
        "hardware_growth": posterior_vs_claim(
            model.growth("flops"), "16-bit tensor FLOP/s growth per year (fraction)",
            {"seed / AI Index 2025": claim, **({"Epoch (16-bit)": float(epoch["flops_16bit"])} if "flops_16bit" in epoch else {})}),
    }
