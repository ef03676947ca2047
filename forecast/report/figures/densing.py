"""Densing-law figures: capability density against date, doubling-time posteriors against the seed's claim."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from forecast.report.figures.common import new_axes


def density_vs_date(model, ax=None):
    """Densing model: posterior-median log2 density of each model (frontier-fit units) by date and group,
    with the pooled frontier (τ-quantile) trend and the typical trend as 80% bands.

    Points and the frontier line share the frontier fit's convention (log ρ = 0 on the frontier line at
    t_ref). The typical fit has its own curves, so only the shape of its trend is carried over: the pooled
    typical growth rate plus the effect of each half-year's release cohort, through a per-draw intercept equal
    to the median of (log ρ_i − trend(t_i)) over the plotted points.
    """
    fig, ax = new_axes(ax, (8.0, 4.6))
    x = model.inputs
    obs = x["obs"]
    lr = model.model_log_density()  # draws × obs
    pts = np.median(lr, axis=0) / np.log(2)
    cmap = plt.get_cmap("tab10")
    for i, g in enumerate(x["groups"]):
        sel = x["g"] == i
        ax.scatter(obs["date"][sel], pts[sel], s=9, alpha=0.6, color=cmap(i % 10), label=g["label"])
    dates = pd.date_range(obs["date"].min(), obs["date"].max(), freq="MS")
    t_obs = x["t"]
    ln2 = np.log(2)

    front, _ = model.pooled_line(dates)
    typ, rate_t = model.pooled_line(dates, "_typ")
    cohorts = model.draws("period_effect_typ")
    n_c = cohorts.shape[1]
    typ = typ + cohorts[:, np.minimum(model.cohorts_of(dates), n_c - 1)]
    at_obs = (rate_t[:, None] * t_obs[None, :] + cohorts[:, x["cohort"]]
              - (model.draws("delta_break_typ")[:, None] * x["t_pre"][None, :] if x["use_break"] else 0.0))
    typ = typ + np.median(lr - at_obs, axis=1)[:, None]
    for arr, col, lab in ((front, "#c44e52", "frontier trend (pooled), 80%"),
                          (typ, "0.3", "typical trend with release-cohort effects (shape only), 80%")):
        lo, med, hi = np.quantile(arr / ln2, [0.1, 0.5, 0.9], axis=0)
        ax.fill_between(dates, lo, hi, color=col, alpha=0.2, lw=0)
        ax.plot(dates, med, color=col, lw=2, label=lab)
    if x["use_break"]:
        ax.axvline(x["t_break"], color="0.5", ls=":", lw=1)
    ax.set_ylabel("log2 capability density (relative)")
    ax.set_xlabel("release / upload date")
    ax.set_title("Capability density of open base models by benchmark group")
    ax.legend(fontsize=6.5, frameon=False, ncol=2, loc="lower right")
    return fig


def doubling_time_posteriors(frontier: np.ndarray, typical: np.ndarray, claims: dict[str, float] | None = None, ax=None):
    """Densing model: posterior of the frontier and typical doubling times (months) beside point claims."""
    fig, ax = new_axes(ax, (6.0, 3.4))
    hi_all = np.quantile(np.concatenate([frontier, typical]), 0.995)
    hi = max([hi_all] + list((claims or {}).values())) * 1.05
    bins = np.linspace(0, hi, 70)
    ax.hist(np.clip(frontier, 0, hi), bins=bins, density=True, color="#c44e52", alpha=0.6, label="frontier (τ = 0.9)")
    ax.hist(np.clip(typical, 0, hi), bins=bins, density=True, color="0.45", alpha=0.5, label="typical (generative fit)")
    styles = ["--", "-.", (0, (1, 1))]
    for i, (name, v) in enumerate((claims or {}).items()):
        ax.axvline(v, color="k", ls=styles[i % len(styles)], lw=1.3, label=f"{name}: {v:g} months")
    f5, f50, f95 = np.quantile(frontier, [0.05, 0.5, 0.95])
    t5, t50, t95 = np.quantile(typical, [0.05, 0.5, 0.95])
    ax.set_title(f"doubling time: frontier {f50:.1f} ({f5:.1f}–{f95:.1f}), typical {t50:.1f} ({t5:.1f}–{t95:.1f}) months",
                 fontsize=9)
    ax.set_xlabel("doubling time of capability density (months)")
    ax.set_yticks([])
    ax.legend(fontsize=7.5, frameon=False)
    return fig


def figures(model) -> dict:
    """The densing section's figures: name → matplotlib Figure."""
    claims = dict(model.priors.settings.get("claims_months", {}))
    return {
        "densing_density": density_vs_date(model),
        "densing_doubling": doubling_time_posteriors(model.draws("T_months"), model.draws("T_months_typ"), claims),
    }
