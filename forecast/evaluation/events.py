"""Binary events of the kind the milestones are, derived from backtest targets, and their probability scores.

An event (protocol step 6 in forecast/calibration/backtest.py) is "the series crosses x within h years of the
origin": for an up-event (step k > 0) some observed target dated in (origin, origin + h] is ≥ x, for a down-event
(k < 0) some is ≤ x, with x = y0 + k·s, y0 the persistence centre of the history and s the persistence rule's
one-year predictive sd on the history (both fixed at the origin, before any target is seen). A method's
probability is the fraction of its joint predictive paths that cross on the same target dates.

Scores: Brier and log score (probabilities kept off 0 and 1 by the Jeffreys correction (k + ½)/(n + 1) on the
n paths, the same for every method), and a reliability table — forecasts binned by probability with the observed
frequency, its count and a Jeffreys binomial interval.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

HORIZONS = (0.5, 1.0, 2.0)        # years: 6, 12 and 24 months
STEPS = (-1.0, 0.5, 1.0, 2.0)     # thresholds y0 + k·s: one down-event, three up-events
RELIABILITY_BINS = 10


def crossing_events(target_h: np.ndarray, y: np.ndarray, paths: dict[str, np.ndarray], y0: float, s: float,
                    horizons=HORIZONS, steps=STEPS) -> list[dict]:
    """Every (h, k) event with at least one target within h: its threshold, outcome and each method's probability.

    target_h: lead time of each target (years after the origin); y: observed values; paths: method →
    (n_draws, n_targets) joint predictive paths on the same targets."""
    target_h, y = np.asarray(target_h, float), np.asarray(y, float)
    if not np.isfinite(s) or s <= 0:
        return []
    rows = []
    for h in horizons:
        inside = target_h <= h
        if not inside.any():
            continue
        for k in steps:
            x = y0 + k * s
            up = k > 0
            hit = (y[inside] >= x).any() if up else (y[inside] <= x).any()
            row = {"horizon_years": h, "step": k, "threshold": x, "outcome": int(hit), "n_targets": int(inside.sum())}
            for method, d in paths.items():
                sub = d[:, inside]
                cross = (sub >= x).any(axis=1) if up else (sub <= x).any(axis=1)
                row[f"p_{method}"] = (cross.sum() + 0.5) / (cross.size + 1.0)
            rows.append(row)
    return rows


def brier(p, outcome) -> np.ndarray:
    p, o = np.asarray(p, float), np.asarray(outcome, float)
    return (p - o) ** 2


def log_loss(p, outcome) -> np.ndarray:
    """−log of the probability given to what happened (natural log)."""
    p, o = np.clip(np.asarray(p, float), 1e-12, 1 - 1e-12), np.asarray(outcome, float)
    return -(o * np.log(p) + (1 - o) * np.log1p(-p))


def climatology(events: pd.DataFrame, by=("horizon_years", "step"), group: str = "origin") -> np.ndarray:
    """Base-rate probability of each event: the frequency of events of the same kind (h, k) at the other origins
    (leave one origin out, so an event's own outcome never enters its forecast), Jeffreys-smoothed."""
    p = np.full(len(events), np.nan)
    ev = events.reset_index(drop=True)
    for _, g in ev.groupby(list(by), sort=False):
        tot_k, tot_n = g["outcome"].sum(), len(g)
        per = g.groupby(group)["outcome"].agg(["sum", "size"])
        k = tot_k - per.loc[g[group], "sum"].to_numpy()
        n = tot_n - per.loc[g[group], "size"].to_numpy()
        p[g.index] = (k + 0.5) / (n + 1.0)
    return p


def reliability(p, outcome, bins: int = RELIABILITY_BINS, level: float = 0.9) -> pd.DataFrame:
    """Forecasts binned on [0, 1]: mean forecast, observed frequency, count, Jeffreys interval of the frequency."""
    p, o = np.asarray(p, float), np.asarray(outcome, float)
    edges = np.linspace(0.0, 1.0, bins + 1)
    idx = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    rows = []
    for b in range(bins):
        sel = idx == b
        n = int(sel.sum())
        if n == 0:
            continue
        k = float(o[sel].sum())
        lo, hi = stats.beta.ppf([(1 - level) / 2, (1 + level) / 2], k + 0.5, n - k + 0.5)
        rows.append({"bin_lo": edges[b], "bin_hi": edges[b + 1], "p_mean": float(p[sel].mean()), "freq": k / n,
                     "n": n, "freq_lo": float(lo) if k > 0 else 0.0, "freq_hi": float(hi) if k < n else 1.0})
    return pd.DataFrame(rows)
