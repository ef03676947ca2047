"""Naive probabilistic baselines for the backtest: persistence and a linear trend, each with its own error spread.

A baseline is a point rule (what it would predict from a history) plus a predictive spread measured on the history
itself: the rule is re-run at pseudo-origins inside the history, its errors on the later history points are
collected with their lead times h, and the error variance is fitted robustly as a + b·h (a, b ≥ 0: observation
scatter plus a random-walk drift). Draws are joint paths over the targets — independent scatter per target plus one
Brownian drift along the sorted lead times — so events such as "crosses x within h" can be scored on them like the
model's paths. The spread is the baseline's own empirical error, not a convention: its intervals are as honest as
the history allows, and its log scores stay finite.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import nnls

PSEUDO_ORIGINS = 40     # at most this many pseudo-origins per history (evenly spaced): errors from O(n) refits
MIN_ERRORS = 5          # fewer pseudo-errors than this: fall back to the recent scatter as the spread
PERSISTENCE_WINDOW = 1.0  # years of history averaged by the persistence rule
LINEAR_WINDOW = 3.0       # years of history the linear-trend rule fits


def persistence_point(t: np.ndarray, y: np.ndarray, target_t: np.ndarray, window: float = PERSISTENCE_WINDOW) -> np.ndarray:
    """The mean of the last `window` years of history (at least the last three points), carried forward."""
    recent = y[t >= t.max() - window]
    if recent.size < 2:
        recent = y[np.argsort(t, kind="mergesort")[-3:]]
    return np.full(np.shape(target_t), float(recent.mean()))


def linear_point(t: np.ndarray, y: np.ndarray, target_t: np.ndarray, window: float = LINEAR_WINDOW) -> np.ndarray:
    """The least-squares line through the last `window` years of history (at least the last three points), extended:
    a trend that adapts when a series changes pace, as a forecaster extrapolating recent years would."""
    keep = t >= t.max() - window
    if keep.sum() < 3:
        keep = np.zeros(t.size, bool)
        keep[np.argsort(t, kind="mergesort")[-3:]] = True
    t, y = t[keep], y[keep]
    tc = t - t.mean()
    denom = float(tc @ tc)
    slope = float(tc @ (y - y.mean())) / denom if denom > 0 else 0.0
    return y.mean() + slope * (np.asarray(target_t, float) - t.mean())


POINT_RULES = {"persistence": persistence_point, "linear_trend": linear_point}


@dataclass(frozen=True)
class ErrorModel:
    """Error variance a + b·h of a point rule at lead time h (years), fitted on the history's own pseudo-forecasts."""
    a: float
    b: float
    n_errors: int

    def sd(self, h) -> np.ndarray:
        return np.sqrt(self.a + self.b * np.maximum(np.asarray(h, float), 0.0))


def pseudo_errors(t, y, rule, max_lead: float = 2.0) -> tuple[np.ndarray, np.ndarray]:
    """(lead times, errors) of `rule` re-run at pseudo-origins inside the history (each with ≥ 3 earlier points)."""
    t, y = np.asarray(t, float), np.asarray(y, float)
    times = np.unique(t)
    cand = [o for o in times[:-1] if (t <= o).sum() >= 3]
    if len(cand) > PSEUDO_ORIGINS:
        cand = [cand[i] for i in np.linspace(0, len(cand) - 1, PSEUDO_ORIGINS).astype(int)]
    hs, es = [], []
    for o in cand:
        past, fut = t <= o, (t > o) & (t <= o + max_lead)
        if not fut.any():
            continue
        hs.append(t[fut] - o)
        es.append(y[fut] - rule(t[past], y[past], t[fut]))
    if not hs:
        return np.empty(0), np.empty(0)
    return np.concatenate(hs), np.concatenate(es)


def fit_error_model(t, y, rule, floor: float = 0.0, max_lead: float = 2.0, bins: int = 4) -> ErrorModel:
    """Error variance a + b·h from the pseudo-errors, robustly: the errors are split into lead-time quantile bins,
    each bin's variance is (1.4826 · median |error|)² — a few wild extrapolations from very short histories do not
    set the spread — and a, b ≥ 0 are fitted by non-negative least squares on the bins. `floor` bounds the sd from
    below (e.g. ½ a count's unit); a history too short for pseudo-errors uses the scatter of its last year."""
    h, e = pseudo_errors(t, y, rule, max_lead)
    if e.size >= MIN_ERRORS:
        edges = np.unique(np.quantile(h, np.linspace(0, 1, bins + 1)))
        idx = np.clip(np.searchsorted(edges, h, side="right") - 1, 0, max(edges.size - 2, 0))
        hb, vb = [], []
        for k in np.unique(idx):
            sel = idx == k
            hb.append(h[sel].mean())
            vb.append((1.4826 * np.median(np.abs(e[sel]))) ** 2)
        hb, vb = np.asarray(hb), np.asarray(vb)
        (a, b), _ = nnls(np.column_stack([np.ones_like(hb), hb]), vb) if hb.size > 1 else ((vb[0], 0.0), None)
    else:
        t_, y_ = np.asarray(t, float), np.asarray(y, float)
        recent = y_[t_ >= t_.max() - 1.0]
        # with no measured errors, let the spread grow too: a year ahead doubles the variance
        a = b = float(np.var(recent, ddof=1)) if recent.size > 1 else 0.0
    a = max(float(a), floor**2, 1e-12)
    return ErrorModel(a, float(b), int(e.size))


def baseline_draws(method: str, history_t, history_y, target_t, n_draws: int, rng: np.random.Generator,
                   floor: float = 0.0, sample_size=None) -> np.ndarray:
    """(n_draws, n_targets) joint predictive paths of baseline `method` ("persistence" or "linear_trend").

    `sample_size`: for shares measured as k of n, each target's n. Such a target carries binomial sampling noise
    that a history of shares stuck at 0 or 1 cannot show, so the baseline adds it — variance p(1 − p)/n around
    its own forecast p, kept at least 1/(n + 2) from the bounds — and its draws stay in [0, 1]."""
    rule = POINT_RULES[method]
    t, y = np.asarray(history_t, float), np.asarray(history_y, float)
    tt = np.asarray(target_t, float)
    em = fit_error_model(t, y, rule, floor)
    centre = rule(t, y, tt)
    h = np.maximum(tt - t.max(), 0.0)
    order = np.argsort(h, kind="mergesort")
    steps = np.diff(np.concatenate([[0.0], h[order]]))
    walk = np.empty((n_draws, h.size))
    walk[:, order] = np.cumsum(rng.standard_normal((n_draws, h.size)) * np.sqrt(em.b * steps)[None, :], axis=1)
    scatter = np.sqrt(em.a) * rng.standard_normal((n_draws, h.size))
    if sample_size is None:
        return centre[None, :] + scatter + walk
    n = np.asarray(sample_size, float)
    p = np.clip(centre, 1.0 / (n + 2), 1.0 - 1.0 / (n + 2))
    noise = np.sqrt(p * (1 - p) / n)[None, :] * rng.standard_normal((n_draws, h.size))
    return np.clip(centre[None, :] + scatter + walk + noise, 0.0, 1.0)


def event_scale(history_t, history_y, floor: float = 0.0) -> float:
    """The persistence rule's one-year predictive sd on this history: the unit of the backtest's event thresholds."""
    em = fit_error_model(np.asarray(history_t, float), np.asarray(history_y, float), persistence_point, floor)
    return float(em.sd(1.0))
