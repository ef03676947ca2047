"""Vintages of Epoch's model tables: which snapshot a forecaster had at a date, and how late models arrive in them.

Reporting delay. F(a) is the probability that a model published `a` years before a snapshot is already in that
snapshot with a training compute; F(a) = 1 − exp(−(a/scale)^shape) (Weibull). It is measured on the models the
newest snapshot holds with compute: such a model published before an older snapshot is in that snapshot with
compute with probability F(a_old)/F(a_new) · exp(−backfill · gap) — the first factor the delay (it is in the newest
one, so it arrived before a_new), the second the rate at which Epoch adds models of any age (backfill of old
releases, which no age-based delay explains; `gap` = years between the snapshots). Only near-frontier models enter
(within `oom` + `delay_margin_oom` of the reference): they are the ones a late arrival can add to the count, and
Epoch estimates their compute sooner than that of small models.

Completeness of a quarter in a snapshot taken at date V: the mean of F(V − t) over the quarter (t on a grid of
`delay_points` dates; 0 after V), the expected share of the quarter's qualifying releases already reported.

What a forecaster had at a date (backtests): the newest snapshot dated on or before it. Before the oldest snapshot
no snapshot exists; the oldest one is cut at the date and each model published at t is kept with probability
F(date − t)/F(V_oldest − t) at the delay's maximum a posteriori values (a fixed pseudo-random draw per model and
date), so the cut has the gaps of a snapshot taken that day. Backfill is not emulated: old releases the oldest
snapshot already holds stay in. The delay itself is measured on all snapshots, later ones included, at every date:
before the second snapshot no comparison of snapshots existed, so a forecaster then had no measured delay at all.
"""
from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from forecast.core.timeutil import years_since
from forecast.models.market.definition import eligible_models

DELAY_PARAMETERS = ("delay_shape", "delay_scale", "backfill_rate")


def delay_cdf(age, shape, scale) -> np.ndarray:
    """F(age): probability a model published `age` years before a snapshot is in it with compute (0 for age ≤ 0)."""
    a = np.asarray(age, float)
    safe = np.maximum(a, 1e-12)
    return np.where(a > 0, -np.expm1(-(safe / scale) ** shape), 0.0)


def snapshots(table: pd.DataFrame) -> list[pd.Timestamp]:
    return sorted(pd.DatetimeIndex(table["vintage"].unique()))


def _snapshot(table: pd.DataFrame, v: pd.Timestamp) -> pd.DataFrame:
    return table[table["vintage"] == v].reset_index(drop=True)


def delay_observations(table: pd.DataFrame, settings) -> pd.DataFrame:
    """One row per near-frontier model of the newest snapshot (with compute) and older snapshot dated after its
    publication: age (years before the older snapshot), age_ref (before the newest), gap (years between the two),
    hit (in the older snapshot with compute)."""
    vs = snapshots(table)
    newest = vs[-1]
    margin = float(settings.get("delay_margin_oom", 0.5))
    wide = {**settings, "oom": float(settings.get("oom", 1.0)) + margin,
            "absolute_flop": float(settings.get("absolute_flop", 1e25)) / 10 ** margin}
    pop = eligible_models(_snapshot(table, newest), wide)
    pop = pop[pop["qualifies"]]
    rows = []
    for v in vs[:-1]:
        before = pop[pop["publication_date"] < v]
        have = set(table.loc[(table["vintage"] == v) & table["training_compute"].notna(), "model"])
        rows.append(pd.DataFrame({
            "model": before["model"].to_numpy(), "vintage": v,
            "age": years_since(before["publication_date"], v) * -1.0,
            "age_ref": years_since(before["publication_date"], newest) * -1.0,
            "gap": float(years_since([v], newest)[0]) * -1.0,
            "hit": before["model"].isin(have).to_numpy()}))
    out = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=["model", "vintage", "age", "age_ref", "gap", "hit"])
    return out.astype({"age": float, "age_ref": float, "gap": float, "hit": bool})


def delay_groups(obs: pd.DataFrame, exact_years: float = 1.0) -> pd.DataFrame:
    """The delay observations as the likelihood reads them: models younger than `exact_years` at the older snapshot
    one by one; older ones pooled per snapshot and publication quarter (one to two years) or year (older), at
    their mean ages, where the delay is nearly over and only the backfill separates them. Columns age, age_ref,
    gap, n, hits."""
    o = obs.copy()
    pub = o["vintage"] - pd.to_timedelta(o["age"] * 365.25, unit="D")
    young = o["age"] < exact_years
    o["bin"] = np.where(young, np.arange(len(o)).astype(str),
                        np.where(o["age"] < 2 * exact_years, pub.dt.to_period("Q").astype(str), pub.dt.year.astype(str)))
    o["bin"] = np.where(young, "m" + o["bin"], o["vintage"].dt.date.astype(str) + "|" + o["bin"])
    g = o.groupby("bin", sort=False).agg(age=("age", "mean"), age_ref=("age_ref", "mean"), gap=("gap", "first"),
                                        n=("hit", "size"), hits=("hit", "sum"))
    return g.reset_index(drop=True).astype({"n": np.int64, "hits": np.int64})


def hit_probability(obs: pd.DataFrame, shape, scale, backfill) -> np.ndarray:
    """P(hit) of each delay observation: F(age)/F(age_ref)·exp(−backfill·gap)."""
    f_old = delay_cdf(obs["age"].to_numpy(float), shape, scale)
    f_new = delay_cdf(obs["age_ref"].to_numpy(float), shape, scale)
    return np.clip(f_old / np.maximum(f_new, 1e-300) * np.exp(-backfill * obs["gap"].to_numpy(float)), 1e-12, 1 - 1e-12)


def delay_map(groups: pd.DataFrame, priors) -> dict[str, float]:
    """Maximum a posteriori delay parameters from the pooled observations (`delay_groups`), under the priors of
    `DELAY_PARAMETERS` in priors/market.yaml."""
    from scipy import optimize
    dists = [priors[n].to_scipy() for n in DELAY_PARAMETERS]
    n, k = groups["n"].to_numpy(float), groups["hits"].to_numpy(float)

    def nlp(logx):
        x = np.exp(logx)
        p = hit_probability(groups, *x)
        lp = sum(d.logpdf(v) for d, v in zip(dists, x)) + logx.sum()  # density of log x
        return -((k * np.log(p) + (n - k) * np.log1p(-p)).sum() + lp)

    start = np.log([float(d.median()) for d in dists])
    res = optimize.minimize(nlp, start, method="Nelder-Mead", options={"xatol": 1e-6, "fatol": 1e-8, "maxiter": 4000})
    return dict(zip(DELAY_PARAMETERS, map(float, np.exp(res.x))))


def _uniform(model: str, as_of: pd.Timestamp) -> float:
    h = hashlib.sha256(f"{model}|{as_of.date().isoformat()}".encode()).digest()
    return int.from_bytes(h[:8], "big") / 2.0**64


def snapshot_at(table: pd.DataFrame, as_of, delay: dict[str, float]) -> tuple[pd.DataFrame, pd.Timestamp, str]:
    """The rows a forecaster had at `as_of` (None: the newest snapshot), the date the data run to, and how they
    were chosen (see the module docstring)."""
    vs = snapshots(table)
    if as_of is None:
        return _snapshot(table, vs[-1]), vs[-1], f"Epoch snapshot of {vs[-1].date()}"
    as_of = pd.Timestamp(as_of)
    seen = [v for v in vs if v < as_of]
    if seen:
        return _snapshot(table, seen[-1]), seen[-1], f"Epoch snapshot of {seen[-1].date()}, the newest before {as_of.date()}"
    oldest = _snapshot(table, vs[0])
    end = as_of - pd.Timedelta(days=1)
    cut = oldest[(oldest["publication_date"] < as_of) & oldest["training_compute"].notna()]
    age_cut = -years_since(cut["publication_date"], end)
    age_old = -years_since(cut["publication_date"], vs[0])
    keep_p = delay_cdf(age_cut, delay["delay_shape"], delay["delay_scale"]) / np.maximum(
        delay_cdf(age_old, delay["delay_shape"], delay["delay_scale"]), 1e-300)
    u = np.array([_uniform(m, as_of) for m in cut["model"]])
    kept = cut[u < keep_p].reset_index(drop=True)
    return kept, end, (f"Epoch snapshot of {vs[0].date()} cut at {as_of.date()}, thinned by the reporting delay "
                       f"({len(cut) - len(kept)} of {len(cut)} models dropped)")


def quarter_ages(quarters: pd.PeriodIndex, snapshot_date: pd.Timestamp, points: int) -> np.ndarray:
    """Years from `points` evenly spread dates of each quarter to the snapshot (negative after it): (quarters, points)."""
    start = quarters.start_time.to_numpy("datetime64[ns]")
    length = (quarters.end_time.to_numpy("datetime64[ns]") - start) + np.timedelta64(1, "ns")
    frac = (np.arange(points) + 0.5) / points
    dates = start[:, None] + (length[:, None] * frac[None, :]).astype("timedelta64[ns]")
    return (np.datetime64(snapshot_date, "ns") - dates) / np.timedelta64(1, "D") / 365.25


def completeness(ages: np.ndarray, shape, scale) -> np.ndarray:
    """Expected share of each quarter's releases already reported: ages (Q, K), parameters scalars or (D,) → (Q,) or (D, Q)."""
    sh = np.asarray(shape, float)[..., None, None]
    sc = np.asarray(scale, float)[..., None, None]
    return delay_cdf(ages, sh, sc).mean(axis=-1)
