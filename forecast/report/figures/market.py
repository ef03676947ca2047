"""Market figures: the fan of the provider count with the seed's 3–5 band."""
from __future__ import annotations

import numpy as np
import pandas as pd

from forecast.report.figures.common import new_axes


def market_fan(model, dates: pd.DatetimeIndex, counts: np.ndarray, band=(3, 5), ax=None):
    """Providers per quarter (lag-excluded quarters hollow) with the posterior predictive fan and the seed's band."""
    fig, ax = new_axes(ax, (8.0, 4.5))
    c = model.inputs["counts"]
    inc = c[~c["lagged"]]
    lag = c[c["lagged"]]
    ax.axhspan(band[0] - 0.5, band[1] + 0.5, color="#55a868", alpha=0.15, label=f"seed: {band[0]}-{band[1]} providers")
    ax.plot(inc["quarter_end"], inc["count"], "o-", color="#4c72b0", ms=4, lw=1, label="providers per quarter (fitted)")
    ax.plot(lag["quarter_end"], lag["count"], "o", mfc="none", color="#4c72b0", ms=6,
            label="within reporting lag: under-counted, not fitted")
    for lo, hi, a in ((0.05, 0.95, 0.18), (0.25, 0.75, 0.3)):
        ql, qh = np.quantile(counts, [lo, hi], axis=0)
        ax.fill_between(dates, ql, qh, color="#dd8452", alpha=a, step="mid", lw=0,
                        label=f"posterior predictive {int(round((hi - lo) * 100))}%")
    ax.plot(dates, np.median(counts, axis=0), color="#dd8452", lw=1.5, ls="--", label="posterior predictive median")
    ax.axvline(model.inputs["lag_cut"], color="0.5", lw=0.8, ls=":")
    ax.annotate("lag cut", (model.inputs["lag_cut"], ax.get_ylim()[1]), xytext=(3, -12), textcoords="offset points", fontsize=8)
    ax.set_yscale("symlog", linthresh=10)
    ax.set_ylabel("foundation-model providers")
    ax.set_title("Foundation-model providers per quarter\n(" + model.definition_text() + ")", fontsize=9)
    ax.legend(fontsize=7, frameon=False, loc="upper left")
    return fig


def figures(model) -> dict:
    """The market section's figures: name → matplotlib Figure."""
    s = model.priors.settings
    dates = pd.date_range(model.data_end + pd.offsets.MonthEnd(0), pd.Timestamp(s.get("fan_end", "2030-12-31")), freq="ME")
    pc = model.predictive_counts(dates, np.random.default_rng(int(model.cfg.seed)))
    return {"market_providers": market_fan(model, dates, pc)}
