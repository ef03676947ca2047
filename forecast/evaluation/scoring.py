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


# ---------------------------------------------------------------- skill scores (unit-free, so they pool)

def skill_score(crps_model, crps_baseline) -> float:
    """1 − mean CRPS of the model / mean CRPS of the baseline on the same targets (> 0: the model is better)."""
    m, b = float(np.mean(crps_model)), float(np.mean(crps_baseline))
    return 1.0 - m / b if b > 0 else float("nan")


def paired_bootstrap(crps_model, crps_baseline, blocks=None, n_boot: int = 2000, level: float = 0.9,
                     rng: np.random.Generator | None = None) -> tuple[float, float]:
    """Interval of the skill score from resampling the paired targets (whole blocks, e.g. origins, when given:
    targets seen from one origin share that origin's fit and are not independent)."""
    m, b = np.asarray(crps_model, float), np.asarray(crps_baseline, float)
    rng = rng or np.random.default_rng(0)
    keys = np.asarray(blocks) if blocks is not None else np.arange(m.size)
    uniq, inv = np.unique(keys, return_inverse=True)
    if uniq.size < 2:
        return float("nan"), float("nan")
    sm = np.bincount(inv, weights=m, minlength=uniq.size)
    sb = np.bincount(inv, weights=b, minlength=uniq.size)
    pick = rng.integers(0, uniq.size, size=(n_boot, uniq.size))
    num, den = sm[pick].sum(axis=1), sb[pick].sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        sk = 1.0 - num / den
    sk = sk[np.isfinite(sk)]
    if sk.size == 0:
        return float("nan"), float("nan")
    lo, hi = np.quantile(sk, [(1 - level) / 2, (1 + level) / 2])
    return float(lo), float(hi)


def pooled_skill(mean_crps_model, mean_crps_baseline) -> float:
    """Skill pooled over series of different units: 1 − the geometric mean of the per-series CRPS ratios
    (raw CRPS is never averaged across units)."""
    m, b = np.asarray(mean_crps_model, float), np.asarray(mean_crps_baseline, float)
    ok = (m > 0) & (b > 0)
    return 1.0 - float(np.exp(np.mean(np.log(m[ok] / b[ok])))) if ok.any() else float("nan")
