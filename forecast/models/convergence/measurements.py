"""Standardization and controversy measured from variant distributions (numpy only).

A technology's adopters split over variants (MHA / GQA / MQA / MLA for attention, accelerator vendors for hardware,
…). Over the last year of a series, the variant shares θ have the posterior Dirichlet(1/J + counts) — Perks' prior,
one pseudo-observation spread over the J variants the series knows, so a long tail of rare variants (dozens of
organisations) does not dilute the dominant one. From θ:

    standardization S = max_j θ_j                 (concentration on the dominant variant)
    controversy     K = −Σ θ_j ln θ_j / ln J      (normalised entropy: 0 one variant, 1 an even split)

Each (technology, series) becomes one measurement of logit S and one of logit K: the mean and standard deviation of
the logit over Dirichlet draws. The convergence model treats them as noisy observations of the technology's latent
S and K (a frame-disagreement scale is added to their sd), and judgement evidence enters the same way.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from forecast.core.timeutil import logit

WINDOW_DAYS = 365  # the "last year" of a series: periods ending within this many days of its last period end
N_DIRICHLET = 4000
EPS = 1e-4  # logits are taken of values clipped to [EPS, 1 − EPS]


def dirichlet_sk(counts: np.ndarray, rng: np.random.Generator, n: int = N_DIRICHLET) -> tuple[np.ndarray, np.ndarray]:
    """Draws of (S, K) from Dirichlet(1/J + counts) over J ≥ 2 variants."""
    counts = np.asarray(counts, dtype=float)
    j = counts.size
    if j < 2:
        raise ValueError("standardization and controversy need at least two variants")
    theta = rng.dirichlet(counts + 1.0 / j, size=n)
    s = theta.max(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        h = -np.where(theta > 0, theta * np.log(theta), 0.0).sum(axis=1)
    return s, h / np.log(j)


def logit_summary(x: np.ndarray) -> tuple[float, float]:
    """Mean and sd of logit(x) over draws."""
    z = logit(np.clip(x, EPS, 1 - EPS))
    return float(z.mean()), float(z.std())


def last_year(rows: pd.DataFrame) -> pd.DataFrame:
    """The rows of one series whose period ends within WINDOW_DAYS of the series' last period end."""
    end = rows["period_end"].max()
    return rows[rows["period_end"] > end - pd.Timedelta(days=WINDOW_DAYS)]


def variant_measurements(variants: pd.DataFrame, techs: list[str], seed: int, as_of=None) -> pd.DataFrame:
    """One row per (technology, series, component): tech index, component, logit mean m and sd s, the window and
    the counts it rests on. Series with fewer than two variants over their history are skipped."""
    cols = ["tech", "technology", "series", "component", "m", "s", "window_start", "window_end", "n_models", "n_variants", "dominant"]
    if variants is None or variants.empty:
        return pd.DataFrame(columns=cols)
    v = variants
    if as_of is not None:
        v = v[v["period_end"] < pd.Timestamp(as_of)]
    out = []
    for (tech, series), rows in v.groupby(["technology", "series"], sort=True):
        if tech not in techs:
            continue
        names = sorted(rows["variant"].astype(str).unique())
        if len(names) < 2:
            continue
        recent = last_year(rows)
        counts = recent.groupby(recent["variant"].astype(str))["k"].sum().reindex(names, fill_value=0).to_numpy(float)
        rng = np.random.default_rng([int(seed), *f"{tech}:{series}".encode()])
        s, k = dirichlet_sk(counts, rng)
        base = {"tech": techs.index(tech), "technology": tech, "series": series,
                "window_start": recent["period_start"].min(), "window_end": recent["period_end"].max(),
                "n_models": int(counts.sum()), "n_variants": len(names), "dominant": names[int(np.argmax(counts))]}
        for comp, x in (("standardization", s), ("controversy", k)):
            m, sd = logit_summary(x)
            out.append({**base, "component": comp, "m": m, "s": sd})
    return pd.DataFrame(out, columns=cols)


def judgement_measurements(judgements: pd.DataFrame | None, techs: list[str], components: list[str], z80: float) -> pd.DataFrame:
    """Judgement evidence (a share with an 80% interval on S, K or M) as logit-normal measurements."""
    cols = ["tech", "technology", "component", "m", "s", "id"]
    if judgements is None or judgements.empty:
        return pd.DataFrame(columns=cols)
    j = judgements[judgements["technology"].isin(techs) & judgements["attribute"].isin(components)]
    lo, hi = (logit(np.clip(j[c].astype(float).to_numpy(), EPS, 1 - EPS)) for c in ("share_lo", "share_hi"))
    return pd.DataFrame({"tech": [techs.index(t) for t in j["technology"]], "technology": j["technology"].to_numpy(),
                         "component": j["attribute"].to_numpy(),
                         "m": logit(np.clip(j["share"].astype(float).to_numpy(), EPS, 1 - EPS)),
                         "s": np.maximum((hi - lo) / (2 * z80), 0.05), "id": j["id"].to_numpy()}, columns=cols)
