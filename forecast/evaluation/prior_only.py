"""Each claim's probability from the priors alone, beside its posterior probability.

The same predicate is evaluated by the same engine (`milestones.forecast_into`: the same grid, horizon and random
stream per milestone) on prior-only copies of the models (`ForecastModel.prior_model`), so the difference between the
two columns is what the data contributed. Each claim also gets its data label — whether the quantity it reads is fitted
to data ('observed'), only in part ('partly observed'), or not at all ('prior only') — and whether the data moved its
probability by more than Monte Carlo error (two standard errors of the difference).
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from forecast.evaluation.milestones import PRIOR_COLUMNS, Milestone, forecast_into

PRIOR_DRAWS = 2000  # prior draws per model: Monte Carlo error ≤ 0.011 on a prior-only probability
LABELS = ("observed", "partly observed", "prior only")


def effective_draws(model) -> float:
    """Effective number of independent draws behind a model's probabilities: the smallest bulk ESS of its fit and of
    the fits it reads (a conservative count for any functional of the posterior)."""
    ess = [d.min_ess_bulk for d in model.all_diagnostics if d is not None and np.isfinite(d.min_ess_bulk)]
    if ess:
        return float(min(ess))
    return float(model.idata.posterior.sizes["chain"] * model.idata.posterior.sizes["draw"])


def _missing(p) -> bool:
    return p is None or (isinstance(p, float) and math.isnan(p))


def mcse(p: float | None, n_eff: float) -> float | None:
    """Monte Carlo standard error of a probability estimated from n_eff effective draws (floored at 1/n_eff so a
    probability of exactly 0 or 1 still has an error)."""
    if _missing(p):
        return None
    return math.sqrt((p * (1.0 - p) + 1.0 / n_eff) / n_eff)


def moved(p: float | None, se: float | None, p_prior: float | None, n_prior: int) -> bool | None:
    """Whether the posterior probability differs from the prior-only one by more than two standard errors."""
    if _missing(p) or _missing(p_prior) or se is None:
        return None
    se_prior = mcse(p_prior, n_prior)
    return bool(abs(p - p_prior) > 2.0 * math.sqrt(se ** 2 + se_prior ** 2))


def prior_row(m: Milestone, prior_model, horizon, seed: int) -> dict:
    """P(by target) and median passage date of milestone `m` under the prior alone (no observed shortcuts: the prior
    does not know what the data show)."""
    row = {"p_by_target": None, "median_date": None, "note": ""}
    rng = np.random.default_rng([int(seed), *m.id.encode()])
    try:
        forecast_into(row, m, prior_model, horizon, rng)
    except (KeyError, NotImplementedError, ValueError):
        return {"p_prior": None, "prior_median_date": None}
    p = row["p_by_target"]
    return {"p_prior": None if _missing(p) else float(p), "prior_median_date": row.get("median_date")}


def add_prior_columns(table: pd.DataFrame, milestones: list[Milestone], models: dict, prior_models,
                      horizon, seed: int, prior_draws: int, known: dict[str, dict] | None = None) -> pd.DataFrame:
    """`table` (from `milestones.evaluate`) with PRIOR_COLUMNS filled for every milestone a model speaks to. Rows
    that already carry them (reused from an earlier run) are kept as they are; `known` (id → p_prior,
    prior_median_date) holds prior-only answers of an earlier run whose model priors and structure are unchanged
    (an update that reweights or reuses a model), so its prior copy is not rebuilt. `prior_models[name]` is looked
    up only for the other claims."""
    out = table.copy()
    for c in PRIOR_COLUMNS:
        if c not in out.columns:
            out[c] = None
    out[PRIOR_COLUMNS] = out[PRIOR_COLUMNS].astype(object)
    by_id = {m.id: m for m in milestones}
    for i, row in out.iterrows():
        m = by_id.get(row["id"])
        if m is None or m.model not in models or m.resolution is not None or row["data_label"] is not None:
            continue
        model = models[m.model]
        try:
            label = model.data_label(m.kind, m.params)
        except KeyError:
            continue
        vals = (known or {}).get(m.id) or prior_row(m, prior_models[m.model], horizon, seed)
        p = None if _missing(row["p_by_target"]) else float(row["p_by_target"])
        se = mcse(p, effective_draws(model)) if row["status"] != "observed" else 0.0
        out.at[i, "p_prior"] = vals["p_prior"]
        out.at[i, "prior_median_date"] = vals["prior_median_date"]
        out.at[i, "data_label"] = label
        out.at[i, "mcse"] = None if se is None else round(se, 4)
        out.at[i, "data_moved"] = moved(p, se, vals["p_prior"], prior_draws)
    return out
