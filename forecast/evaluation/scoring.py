"""Scoring kernels for probabilistic forecasts from posterior-predictive draws (numpy; no models here).

Conventions: `draws` has shape (S,) or (S, n) — S draws for each of n targets; `y` has shape () or (n,).
CRPS and log score are negatively oriented (lower is better).
"""
from __future__ import annotations

import numpy as np
from scipy import stats

LEVELS = (0.5, 0.8, 0.95)


def _2d(draws, y):
    d = np.asarray(draws, float)
    yy = np.atleast_1d(np.asarray(y, float))
    if d.ndim == 1:
        d = d[:, None]
    if d.shape[1] != yy.shape[0]:
        raise ValueError(f"draws have {d.shape[1]} targets but y has {yy.shape[0]}")
    return d, yy


def crps(draws, y) -> np.ndarray:
    """Sample CRPS: E|X − y| − ½·E|X − X'|, computed exactly from sorted draws (O(S log S))."""
    d, yy = _2d(draws, y)
    s = d.shape[0]
    term1 = np.abs(d - yy[None, :]).mean(axis=0)
    xs = np.sort(d, axis=0)
    i = np.arange(1, s + 1)[:, None]
    # E|X - X'| over all ordered pairs = 2/S² Σ (2i − S − 1) x_(i)
    term2 = (2.0 / s**2) * ((2 * i - s - 1) * xs).sum(axis=0)
    return term1 - 0.5 * term2


def pit(draws, y, rng: np.random.Generator | None = None) -> np.ndarray:
    """Probability integral transform; ties (discrete forecasts) are randomized uniformly."""
    d, yy = _2d(draws, y)
    below = (d < yy[None, :]).mean(axis=0)
    equal = (d == yy[None, :]).mean(axis=0)
    u = (rng or np.random.default_rng(0)).uniform(size=yy.shape)
    return below + u * equal


def covered(draws, y, level: float) -> np.ndarray:
    """Is y inside the central `level` interval of the draws?"""
    d, yy = _2d(draws, y)
    lo, hi = np.quantile(d, [(1 - level) / 2, (1 + level) / 2], axis=0)
    return (yy >= lo) & (yy <= hi)


def log_score(draws, y, discrete: bool = False) -> np.ndarray:
    """−log predictive density at y: Gaussian KDE of the draws (continuous) or the smoothed empirical pmf (discrete)."""
    d, yy = _2d(draws, y)
    out = np.empty(yy.shape)
    for j in range(yy.size):
        col = d[:, j]
        if discrete:
            # add-one smoothing over the observed support so an unseen value is penalized, not infinite
            support = np.unique(np.concatenate([col, [yy[j]]]))
            p = ((col == yy[j]).sum() + 1.0) / (col.size + support.size)
            out[j] = -np.log(p)
        elif np.ptp(col) == 0:
            out[j] = 0.0 if col[0] == yy[j] else np.inf
        else:
            out[j] = -np.log(max(stats.gaussian_kde(col)(yy[j])[0], 1e-300))
    return out


def score_table(draws, y, discrete: bool = False, rng=None) -> dict[str, np.ndarray]:
    """All metrics for one set of targets."""
    res = {"crps": crps(draws, y), "log_score": log_score(draws, y, discrete), "pit": pit(draws, y, rng)}
    for lv in LEVELS:
        res[f"cover{int(lv * 100)}"] = covered(draws, y, lv)
    return res


# ---------------------------------------------------------------- naive baselines (draw-based, same scoring)

def persistence_draws(history_t, history_y, target_t, n_draws: int, rng: np.random.Generator,
                      window: float = 1.0) -> np.ndarray:
    """No-change forecast: the mean of the last `window` years of history carried forward.

    Spread: the scatter within that window, growing like a random walk, s·√(1 + h) for h years ahead
    (irregularly spaced series such as model releases have no natural step to difference)."""
    t, y = np.asarray(history_t, float), np.asarray(history_y, float)
    recent = y[t >= t.max() - window]
    if recent.size < 2:
        recent = y[np.argsort(t)[-3:]]
    centre = recent.mean()
    scale = recent.std(ddof=1) if recent.size > 1 and recent.std(ddof=1) > 0 else max(abs(centre) * 0.05, 1e-3)
    h = np.maximum(np.asarray(target_t, float) - t.max(), 0.0)
    return centre + scale * np.sqrt(1.0 + h)[None, :] * rng.standard_normal((n_draws, h.size))


def linear_trend_draws(history_t, history_y, target_t, n_draws: int, rng: np.random.Generator) -> np.ndarray:
    """OLS line with its Student-t prediction interval (parameter + residual uncertainty)."""
    t, y = np.asarray(history_t, float), np.asarray(history_y, float)
    tt = np.asarray(target_t, float)
    n = t.size
    X = np.column_stack([np.ones(n), t - t.mean()])
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    resid = y - X @ beta
    dof = max(n - 2, 1)
    s2 = resid @ resid / dof
    xt = np.column_stack([np.ones(tt.size), tt - t.mean()])
    se = np.sqrt(s2 * (1 + np.einsum("ij,jk,ik->i", xt, np.linalg.pinv(X.T @ X), xt)))
    return (xt @ beta)[None, :] + se[None, :] * rng.standard_t(dof, size=(n_draws, tt.size))
