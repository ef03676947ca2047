"""The backtest's tables from its scored targets and events (protocol steps 4-8 in forecast/calibration/backtest.py).

`summarize`: coverage, CRPS, log score and a PIT uniformity p-value per model × series × method (pooled rows carry
coverage and PIT only: CRPS in different units does not average). `skill_table`: paired skill scores with bootstrap
intervals, per series and lead-time band, pooled geometrically per model. `events_summary` / `reliability_tables`:
Brier and log scores of the crossing events against climatology and the baselines, and the binned reliability.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from forecast.evaluation import events as evt
from forecast.evaluation import scoring as ev

BANDS = (("all", 0.0, np.inf), ("0-6 m", 0.0, 0.5), ("6-12 m", 0.5, 1.0), ("12-24 m", 1.0, 2.0 + 1e-9))
POOLED = "(pooled)"


def pit_pvalue(pit) -> float:
    """Kolmogorov-Smirnov p-value of uniform PIT values (nan for fewer than 5)."""
    u = np.asarray(pit, float)
    u = u[np.isfinite(u)]
    return float(stats.kstest(u, "uniform").pvalue) if u.size >= 5 else float("nan")


def summarize(results: pd.DataFrame) -> pd.DataFrame:
    """Per model × series × method and pooled per model × method: n, cover50/80/95, CRPS, log score, mean PIT and
    the PIT uniformity p-value."""
    if results.empty:
        return pd.DataFrame()

    def agg(g):
        return pd.Series({"n": len(g), "cover50": g["cover50"].mean(), "cover80": g["cover80"].mean(),
                          "cover95": g["cover95"].mean(), "crps": g["crps"].mean(), "log_score": g["log_score"].mean(),
                          "pit_mean": g["pit"].mean(), "pit_p": pit_pvalue(g["pit"])})
    keys = ["model", "series", "method"]
    per = results.groupby(keys, sort=False)[list(results.columns.difference(keys))].apply(agg).reset_index()
    pooled = results.groupby(["model", "method"], sort=False)[list(results.columns.difference(["model", "method"]))]\
        .apply(agg).reset_index().assign(series=POOLED, crps=np.nan, log_score=np.nan)
    out = pd.concat([per, pooled[per.columns]], ignore_index=True)
    out["n"] = out["n"].astype(int)
    return out


def skill_table(results: pd.DataFrame, seed: int = 0, n_boot: int = 2000) -> pd.DataFrame:
    """1 − CRPS_model / CRPS_baseline on identical targets, per series and band, with 90% bootstrap intervals over
    origins; per model a pooled row (geometric mean of the per-series CRPS ratios, bootstrapped over series)."""
    if results.empty:
        return pd.DataFrame()
    rng = np.random.default_rng(seed)
    key = ["model", "series", "origin", "target" if "target" in results else "date"]
    wide = results.pivot_table(index=key, columns="method", values="crps", aggfunc="first")
    wide.columns = [f"crps_{c}" for c in wide.columns]
    hz = results[results["method"] == "model"].set_index(key)["horizon_years"]
    wide = wide.join(hz).reset_index()
    rows = []
    baselines = [m for m in ("persistence", "linear_trend") if f"crps_{m}" in wide.columns]
    for (model, series), g in wide.groupby(["model", "series"], sort=False):
        for base in baselines:
            for band, lo, hi in BANDS:
                b = g[(g["horizon_years"] >= lo) & (g["horizon_years"] < hi)].dropna(subset=["crps_model", f"crps_{base}"])
                if b.empty:
                    continue
                m, bl = b["crps_model"], b[f"crps_{base}"]
                ci = ev.paired_bootstrap(m, bl, b["origin"], n_boot=n_boot, rng=rng)
                rows.append({"model": model, "series": series, "baseline": base, "band": band, "n": len(b),
                             "crps_model": m.mean(), "crps_baseline": bl.mean(),
                             "skill": ev.skill_score(m, bl), "skill_lo": ci[0], "skill_hi": ci[1]})
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    pooled = []
    for (model, base, band), g in out.groupby(["model", "baseline", "band"], sort=False):
        m, b = g["crps_model"].to_numpy(), g["crps_baseline"].to_numpy()
        boot = [ev.pooled_skill(m[i], b[i]) for i in rng.integers(0, len(g), size=(n_boot, len(g)))] if len(g) > 1 else []
        lo, hi = np.nanquantile(boot, [0.05, 0.95]) if len(boot) else (np.nan, np.nan)
        pooled.append({"model": model, "series": POOLED, "baseline": base, "band": band, "n": int(g["n"].sum()),
                       "crps_model": np.nan, "crps_baseline": np.nan, "skill": ev.pooled_skill(m, b),
                       "skill_lo": float(lo), "skill_hi": float(hi)})
    return pd.concat([out, pd.DataFrame(pooled)], ignore_index=True)


def _methods(events: pd.DataFrame) -> list[str]:
    return [c[2:] for c in events.columns if c.startswith("p_")]


def with_climatology(events: pd.DataFrame) -> pd.DataFrame:
    """The events with the climatological probability `p_climatology` (leave-one-origin-out base rate)."""
    if events.empty:
        return events
    return events.assign(p_climatology=evt.climatology(events))


def events_summary(events: pd.DataFrame) -> pd.DataFrame:
    """Per method and horizon (and overall): events, base rate, Brier, log score, and the Brier skill vs climatology."""
    if events.empty:
        return pd.DataFrame()
    e = events if "p_climatology" in events else with_climatology(events)
    rows = []
    for label, g in [("all", e), *[(f"{h:g} y", g) for h, g in e.groupby("horizon_years")]]:
        clim = evt.brier(g["p_climatology"], g["outcome"]).mean()
        for method in _methods(e):
            br = evt.brier(g[f"p_{method}"], g["outcome"]).mean()
            rows.append({"method": method, "horizon": label, "events": len(g), "base_rate": g["outcome"].mean(),
                         "brier": br, "log_score": evt.log_loss(g[f"p_{method}"], g["outcome"]).mean(),
                         "brier_skill_vs_climatology": 1.0 - br / clim if clim > 0 else np.nan})
    return pd.DataFrame(rows)


def reliability_tables(events: pd.DataFrame) -> pd.DataFrame:
    """Reliability bins per method (model, baselines, climatology)."""
    if events.empty:
        return pd.DataFrame()
    e = events if "p_climatology" in events else with_climatology(events)
    parts = [evt.reliability(e[f"p_{m}"], e["outcome"]).assign(method=m) for m in _methods(e)]
    return pd.concat(parts, ignore_index=True)
