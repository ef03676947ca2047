"""Market figures: observed provider counts, the nowcast of incomplete quarters, the forecast fan and the seed's 3–5 band."""
from __future__ import annotations

import numpy as np
import pandas as pd

from forecast.report.figures.common import new_axes


def market_fan(model, ends: pd.DatetimeIndex, counts: np.ndarray, band=(3, 5), robust: pd.DataFrame | None = None, ax=None):
    """Complete quarters as observed; incomplete ones as reported (hollow) and nowcast (median, 90% bars); later
    quarters as the posterior predictive fan; the robust definition's count for comparison."""
    fig, ax = new_axes(ax, (8.0, 5.0))
    c = model.inputs["counts"]
    done, open_ = c[c["complete"]], c[~c["complete"]]
    ax.axhspan(band[0] - 0.5, band[1] + 0.5, color="#55a868", alpha=0.15, label=f"seed: {band[0]}-{band[1]} providers")
    if robust is not None:
        ax.plot(robust["quarter_end"], robust["count_robust"], "-", color="0.55", lw=1,
                label=f"outlier check: {robust.attrs.get('robust_text', 'robust definition')}")
    ax.plot(done["quarter_end"], done["count"], "o-", color="#4c72b0", ms=4, lw=1, label="providers per quarter (complete)")
    if len(open_):
        pos = np.searchsorted(ends, pd.DatetimeIndex(open_["quarter_end"]))
        lo, med, hi = np.quantile(counts[:, pos], [0.05, 0.5, 0.95], axis=0)
        ax.plot(open_["quarter_end"], open_["count"], "o", mfc="none", color="#4c72b0", ms=6, label="reported so far (incomplete)")
        ax.errorbar(open_["quarter_end"], med, yerr=[med - lo, hi - med], fmt="s", color="#c44e52", ms=4, capsize=3,
                    label="nowcast (median, 90%)")
    later = ends > c["quarter_end"].iloc[-1]
    fut, fc = ends[later], counts[:, later]
    for lo_q, hi_q, a in ((0.05, 0.95, 0.18), (0.25, 0.75, 0.3)):
        ql, qh = np.quantile(fc, [lo_q, hi_q], axis=0)
        ax.fill_between(fut, ql, qh, color="#dd8452", alpha=a, step="mid", lw=0,
                        label=f"forecast {int(round((hi_q - lo_q) * 100))}%")
    ax.plot(fut, np.median(fc, axis=0), color="#dd8452", lw=1.5, ls="--", drawstyle="steps-mid", label="forecast median")
    ax.axvline(model.data_end, color="0.5", lw=0.8, ls=":")
    ax.annotate("snapshot", (model.data_end, ax.get_ylim()[1]), xytext=(3, -12), textcoords="offset points", fontsize=8)
    ax.set_ylim(0, None)
    ax.set_ylabel("foundation-model providers")
    ax.set_title("Foundation-model providers per quarter\n(" + model.definition_text() + ")", fontsize=9)
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncols=3, fontsize=7, frameon=False)
    return fig


def figures(model) -> dict:
    """The market section's figures: name → matplotlib Figure."""
    s = model.priors.settings
    ends, pc = model.quarterly_paths(pd.Timestamp(s.get("fan_end", "2030-12-31")), np.random.default_rng(int(model.cfg.seed)))
    robust = None if model.prior_only else model.outlier_table()
    return {"market_providers": market_fan(model, ends, pc, robust=robust)}
