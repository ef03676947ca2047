"""One compact figure per claim: the fan of the quantity the claim reads, with its threshold, the claim's date and the
observed points (left), and when the claim first becomes true — or, for a claim about a state, how likely it holds on
each date (right). Claims about a rate show the posterior of the rate against the claimed value."""
from __future__ import annotations

import numpy as np
import pandas as pd

from forecast.core.timeutil import first_passage_index, month_grid
from forecast.report.figures.common import new_axes, year_ticks

FAN, MEDIAN, OBS, THRESH, TARGET = "#4c72b0", "#1f3a66", "#222222", "#c44e52", "#c44e52"


def quantity(model, kind: str, params: dict, dates: pd.DatetimeIndex, rng) -> dict | None:
    """The quantity a claim reads, per draw and date, with the claim's threshold and the observations of it.

    Returns {label, draws (n, T), lo, hi (the band where the claim holds; None = unbounded), log, observed: DataFrame
    with date and y}, or None when the claim has no quantity over time (a rate: see `rate`)."""
    none = pd.DataFrame(columns=["date", "y"])
    if kind in ("share_at_least", "share_at_least_on"):
        cnt = model.inputs["count"]["rows"]
        cnt = cnt[cnt["technology"] == params["tech"]]
        obs = pd.DataFrame({"date": cnt["period_start"] + (cnt["period_end"] - cnt["period_start"]) / 2,
                            "y": cnt["k"] / cnt["n"], "series": cnt["series"]})
        return {"label": f"share of new models ({params['tech']})", "draws": model.share_paths(params["tech"], dates),
                "lo": float(params["value"]), "hi": None, "log": False, "observed": obs}
    if kind in ("level_at_least", "level_is", "level_below"):
        lv = model.levels
        j = lv.index(params["level"])
        lo, hi = {"level_at_least": (lv.lower[j], None), "level_is": (lv.lower[j], lv.upper[j]),
                  "level_below": (None, lv.lower[j])}[kind]
        return {"label": f"convergence degree C ({params['tech']})", "draws": model.c_paths(params["tech"], dates),
                "lo": lo, "hi": hi, "log": False, "observed": none, "levels": lv}
    if kind == "compute_at_least":
        fr = model.inputs["frontier"]
        obs = pd.DataFrame({"date": fr["publication_date"], "y": fr["log10_compute"]})
        return {"label": "largest training run, log10 FLOP", "draws": model.simulate_frontier_max(dates, rng),
                "lo": float(np.log10(params["flop"])), "hi": None, "log": False, "observed": obs}
    if kind == "providers_between":
        c = model.inputs["counts"]
        obs = pd.DataFrame({"date": c["quarter_end"], "y": c["count"].astype(float)})
        return {"label": "foundation-model providers", "draws": model.predictive_counts(dates, rng).astype(float),
                "lo": float(params["lo"]), "hi": float(params["hi"]), "log": float(params["hi"]) > 50, "observed": obs}
    if kind == "open_model_score":
        dates = dates[::3]  # each date reads the posterior anew: quarterly is enough for the fan
        need = np.stack([model.smallest_model_for(params["benchmark"], params["score"], d) for d in dates], axis=1)
        f = model.inputs["all"]
        hit = f[(f["benchmark"].str.lower() == params["benchmark"].lower()) & f["open_weights"].fillna(False).astype(bool)
                & (f["score"] >= float(params["score"]))]
        obs = pd.DataFrame({"date": hit["date"], "y": np.log10(hit["active_parameters"].astype(float))})
        return {"label": f"log10 active parameters to score {params['score']:g} on {params['benchmark']}",
                "draws": np.log10(np.where(np.isfinite(need), need, np.nan)), "lo": None, "dates": dates,
                "hi": float(np.log10(params["max_active_params"])), "log": False, "observed": obs}
    return None


def rate(model, kind: str, params: dict) -> dict | None:
    """A claim about a rate: its posterior draws, the claimed value and on which side the claim holds."""
    if kind == "doubling_time_at_most":
        return {"label": "doubling time of capability density, months", "draws": model.doubling_draws()["overall"],
                "value": float(params["months"]), "side": "at most"}
    if kind == "growth_at_least":
        return {"label": f"growth per year ({params['series']})", "draws": model.growth(params["series"]),
                "value": float(params["per_year"]), "side": "at least"}
    return None


def grid(model, target, horizon, mode: str) -> pd.DatetimeIndex:
    """The claim's month grid: from the model's first forecast date to the horizon (first passage) or a year after the
    claim's date (state)."""
    start = pd.Timestamp(model.forecast_start)
    end = max(pd.Timestamp(horizon), pd.Timestamp(target)) if mode == "first_passage" else \
        max(pd.Timestamp(target), start) + pd.DateOffset(years=1)
    return month_grid(start, end)


def fan(q: dict, dates, target, data_end, ax=None, past_years: float = 6.0, legend: bool = True):
    """The quantity's median and 80% band, the band where the claim holds (shaded red, between dashed lines), the
    claim's date, the data end and the observed points. A convergence degree is drawn over its level bands."""
    fig, ax = new_axes(ax, (4.6, 2.6))
    d = q["draws"]
    dates = q.get("dates", dates)
    with np.errstate(all="ignore"):
        lo, med, hi = np.nanquantile(d, [0.1, 0.5, 0.9], axis=0)
    left = min(dates[0], pd.Timestamp(data_end) - pd.DateOffset(years=int(past_years)))
    if q.get("levels") is not None:
        from forecast.report.figures.convergence import LEVEL_COLORS
        lv = q["levels"]
        for lid, a, b in zip(lv.ids, lv.lower, lv.upper):
            ax.axhspan(a, b, color=LEVEL_COLORS[lid], lw=0, zorder=0)
            ax.annotate(lid, (1.0, (a + b) / 2), xycoords=("axes fraction", "data"), xytext=(2, 0),
                        textcoords="offset points", fontsize=7, va="center", color="0.35")
    ax.fill_between(dates, lo, hi, color=FAN, alpha=0.3, lw=0, label="80% interval")
    ax.plot(dates, med, color=MEDIAN, lw=1.6, label="median")
    obs = q["observed"]
    obs = obs[pd.to_datetime(obs["date"]) >= left] if len(obs) else obs
    if len(obs):
        ax.scatter(pd.to_datetime(obs["date"]), obs["y"], s=10, color=OBS, alpha=0.7, lw=0, zorder=3, label="observed")
    if q["label"].startswith(("share", "convergence")):
        ymin, ymax = 0.0, 1.0
    else:
        ymin, ymax = ax.get_ylim()
        marks = [v for v in (q["lo"], q["hi"]) if v is not None]
        ymin, ymax = min([ymin, *marks]), max([ymax, *marks])
        pad = 0.05 * (ymax - ymin)
        ymin, ymax = ymin - pad, ymax + pad
    band_lo = q["lo"] if q["lo"] is not None else ymin
    band_hi = q["hi"] if q["hi"] is not None else ymax
    ax.axhspan(band_lo, band_hi, color=THRESH, alpha=0.12, lw=0, label="claim holds", zorder=1)
    for v in (q["lo"], q["hi"]):
        if v is not None:
            ax.axhline(v, color=THRESH, lw=1, ls="--")
    if q.get("log"):
        ax.set_yscale("log")
        ymin = max(ymin, 0.5)
    ax.set_ylim(ymin, ymax)
    ax.axvline(pd.Timestamp(target), color=TARGET, lw=1.5, label="claim's date")
    ax.axvline(pd.Timestamp(data_end), color="0.35", lw=1, ls=":", label="data end")
    ax.set_xlim(left, dates[-1])
    year_ticks(ax, pd.DatetimeIndex([left, dates[-1]]), max_ticks=6)
    ax.set_title(q["label"], fontsize=8, loc="left")
    ax.tick_params(labelsize=7.5)
    if legend:
        ax.legend(fontsize=7, frameon=False, loc="best")
    return fig


def passage(hit: np.ndarray, dates, target, horizon, mode: str, ax=None):
    """First passage: the share of draws first true in each year, and the share never true by the horizon. State: the
    probability the claim holds on each date."""
    fig, ax = new_axes(ax, (3.6, 2.6))
    hit = np.asarray(hit, dtype=bool)
    if mode == "state":
        ax.plot(dates, hit.mean(axis=0), color=MEDIAN, lw=1.6)
        ax.axvline(pd.Timestamp(target), color=TARGET, lw=1.5)
        ax.set_ylim(-0.02, 1.02)
        ax.set_title("probability the claim holds on each date", fontsize=8, loc="left")
        year_ticks(ax, dates, max_ticks=5)
        ax.tick_params(labelsize=7.5)
        return fig
    idx = first_passage_index(hit)
    years = pd.DatetimeIndex(dates).year.to_numpy()
    yrs = np.arange(years[0], years[-1] + 1)
    share = np.array([np.mean((idx >= 0) & (years[np.maximum(idx, 0)] == y)) for y in yrs])
    never = float(np.mean(idx < 0))
    ty = pd.Timestamp(target).year
    colours = [FAN if y <= ty else "#9fb3d6" for y in yrs]
    ax.bar(yrs, share, color=colours, width=0.8)
    ax.bar([yrs[-1] + 1.5], [never], color="0.6", width=0.8)
    ticks = list(yrs[:: max(1, len(yrs) // 5)]) + [yrs[-1] + 1.5]
    ax.set_xticks(ticks, [str(t) for t in ticks[:-1]] + [f"after\n{pd.Timestamp(horizon).year}"], fontsize=7.5)
    ax.axvline(ty + 0.5, color=TARGET, lw=1.5)
    ax.set_title("year the claim first holds (share of draws)", fontsize=8, loc="left")
    ax.tick_params(labelsize=7.5)
    return fig


def rate_hist(r: dict, ax=None):
    """Posterior draws of a rate with the claimed value; the side where the claim holds is shaded."""
    fig, ax = new_axes(ax, (4.2, 2.4))
    x = np.asarray(r["draws"], float)
    lo, hi = np.quantile(x, [0.005, 0.995])
    lo, hi = min(lo, r["value"]), max(hi, r["value"])
    ax.hist(x, bins=np.linspace(lo, hi, 50), color=FAN, alpha=0.75)
    ax.axvline(r["value"], color=THRESH, lw=1.4, ls="--")
    xmin, xmax = ax.get_xlim()
    ax.axvspan(xmin if r["side"] == "at most" else r["value"], r["value"] if r["side"] == "at most" else xmax,
               color=THRESH, alpha=0.08, lw=0)
    ax.set_xlim(xmin, xmax)
    ax.set_xlabel(r["label"], fontsize=7.5)
    ax.set_yticks([])
    ax.tick_params(labelsize=7.5)
    ax.set_title(f"posterior draws; the claim holds {r['side']} {r['value']:g} (shaded)", fontsize=8)
    return fig


def claim_figure(row: dict, horizon, data_end, q: dict | None = None, dates=None, hit=None, r: dict | None = None):
    """The figure of one claim (`row` from `forecast.report.claims.claim_rows`): the rate's posterior `r`, or the
    quantity `q` on `dates` beside the passage (or state) panel of `hit` (draws × dates, the engine's predicate)."""
    import matplotlib.pyplot as plt
    # fixed margins, not the constrained layout engine: measuring every text for ≈ 50 small figures was most of the
    # time to draw them
    if r is not None:
        fig = plt.figure(figsize=(5.0, 2.4))
        return rate_hist(r, ax=fig.add_axes((0.04, 0.2, 0.92, 0.68)))
    fig = plt.figure(figsize=(9.0, 2.75))
    a = fig.add_axes((0.055, 0.22, 0.53, 0.68))
    b = fig.add_axes((0.655, 0.22, 0.33, 0.68))
    fan(q, dates, row["target_date"], data_end, ax=a, legend=False)
    passage(hit, dates, row["target_date"], horizon, row["mode"], ax=b)
    h, lab = a.get_legend_handles_labels()
    fig.legend(h, lab, loc="lower left", bbox_to_anchor=(0.05, 0.0), ncols=len(lab), fontsize=7.5, frameon=False)
    return fig
