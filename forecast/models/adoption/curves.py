"""Adoption curve maths and the constants that choose the sampling geometry (numpy only)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from forecast.core.timeutil import logistic
from forecast.data.technologies import Registry, load_technologies


FILE = "adoption_observations.csv"
# r of a counted technology with at least this many adopters and non-adopters in its counts is sampled centred,
# and its ceiling too if its counts reach their plateau, if at least CENTRE_MIN_TECHS technologies qualify (see
# `Adoption.centred_techs`)
CENTRE_MIN_EVENTS = 10
CENTRE_MIN_TECHS = 10
# a counted technology with fewer adopters than this in all its counts has barely been seen starting: its t0 is
# sampled directly (unpooled prior), not through the curve's level (see `build_model`). Synthetic 500 technologies,
# 4 × 1000: threshold 3 → R-hat 1.027 (a 5-adopter level), 10 → 1.013 (a 10-adopter level), 20 → 1.009, all passed
LEVEL_MIN_ADOPTERS = 20
# counts "reach their plateau" when the share over their last year is less than this multiple of the year before
PLATEAU_RATIO = 1.3
LOW_RANK_MAX_TECHS = 50  # technologies with data up to which adoption samples with a low-rank mass matrix (`nutpie_options`)
# capacity buckets of the count grid (rows = (technology, frame) pairs, cells per row) and of the frame offsets
ROW_BUCKET, CELL_BUCKET, FRAME_BUCKET = 4, 8, 8


def capacity(used: int, bucket: int) -> int:
    """Smallest multiple of `bucket` above `used`: room for at least one more without a new shape."""
    return bucket * (used // bucket + 1)





def share_curve(t, ceiling, r, t0) -> np.ndarray:
    """s(t) = c · logistic(r (t − t0)); parameters broadcast against t (draws × 1 against 1 × T, say)."""
    return np.asarray(ceiling) * logistic(np.asarray(r) * (np.asarray(t) - np.asarray(t0)))


def elicited_sd(lo, hi, z80: float = 1.2816) -> np.ndarray:
    """sd on the share scale of a normal whose central 80% interval is [lo, hi].

    Elicited shares are compared with the curve on the share scale, not the logit scale: near 0 or 1 the
    logit of a stated share ("100%", "95%以上") lies beyond what a curve with a ceiling below 1 can reach,
    which made a hard wall in the posterior (87 divergences at 4×1000 with the logit-normal form)."""
    return (np.asarray(hi, dtype=float) - np.asarray(lo, dtype=float)) / (2 * z80)


def level_time(t, k, n, window: int = 4) -> float:
    """Reference time τ of a counted curve's `level_ref`: where the running share (over `window` periods) first
    reaches half its highest value, a rough t0 clipped to the counted periods; the last period if k is all 0.

    The level u = r (τ − t0) + log c is then pinned down by the counts whether they see the curve's start (τ near
    their end), its rise (τ ≈ t0) or its plateau (τ at their start), and moves little with r."""
    w = min(window, len(t))
    share = np.convolve(k, np.ones(w), "valid") / np.convolve(n, np.ones(w), "valid")
    if share.max() <= 0:
        return float(t[-1])
    return float(np.convolve(t, np.ones(w) / w, "valid")[np.argmax(share >= share.max() / 2)])


def starts_high(k, n, window: int = 4) -> bool:
    """Whether counts begin at or above half their highest running share (over `window` periods): they never saw the
    curve's rise, only its plateau (or a decline)."""
    k, n = np.asarray(k, float), np.asarray(n, float)
    w = min(window, len(k))
    share = np.convolve(k, np.ones(w), "valid") / np.maximum(np.convolve(n, np.ones(w), "valid"), 1.0)
    return bool(share.max() > 0 and share[0] >= share.max() / 2)


def reaches_plateau(k, n, window: int = 4, ratio: float = PLATEAU_RATIO) -> bool:
    """Whether per-period counts have levelled off: the share over the last `window` periods is below `ratio` times
    the share over the `window` periods before (False with fewer than two windows or no adopters before).

    Only then do the counts fix the ceiling. On the synthetic 500-technology draw, technologies passing this at
    1.3 were, at the end of their counts, ≥ 1.7 growth time-constants past their midpoint in 90% of cases."""
    k, n = np.asarray(k, float), np.asarray(n, float)
    if len(k) < 2 * window:
        return False
    last, before = k[-window:].sum() / n[-window:].sum(), k[-2 * window:-window].sum() / n[-2 * window:-window].sum()
    return bool(before > 0 and last < ratio * before)


def registry_for(priors_file: str | None) -> Registry:
    """The technology registry next to the model's prior file (a run's own copy), else the project's."""
    if priors_file:
        p = Path(priors_file).parent
        if (p / "technologies.yaml").exists():
            return load_technologies(p)
    return load_technologies()


