"""`forecast update` without MCMC where the new evidence allows it: importance reweighting of the last fit.

A posterior p(θ | D) fitted by MCMC and new data D' over the same parameters and priors:
p(θ | D') ∝ p(θ | D) · p(D' | θ) / p(D | θ). The fit's draws weighted by that likelihood ratio — Pareto-smoothed
(PSIS; Vehtari, Simpson, Gelman, Yao & Gabry, "Pareto smoothed importance sampling", JMLR 2024) — and resampled
are draws from p(θ | D') when the weights are well behaved: Pareto k̂ ≤ 0.7 and an importance-sampling ESS at
least the run's ESS gate; then the resampled posterior must pass the run's diagnostics gate as a fit would.
Otherwise, or when the evidence changes which parameters exist, the model is refitted by MCMC.

Weights are always taken against the last MCMC fit of the model (its "base" run), never against an earlier
reweighting, so resampling never compounds; as evidence accumulates away from the base, k̂ grows and a refit
follows (the scheme of approximate leave-future-out cross-validation, Bürkner, Gabry & Vehtari 2020).
"""
from __future__ import annotations


import numpy as np


K_MAX = 0.7  # PSIS reliability threshold (Vehtari et al. 2024: min(1 − 1/log10 S, 0.7) for S ≥ 2200 draws)


# run settings that must be equal for the base fit's draws to stand in for a fit of this run
SAME_CONFIG = ("seed", "chains", "draws", "tune", "sampler", "target_accept", "as_of")


def psis_resample(log_w: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    """Pareto-smoothed importance weights of `log_w` (one per draw) and a systematic resample of draw indices.

    Returns (indices in increasing order, {"pareto_k", "ess", "n_draws", "n_unique"})."""
    import arviz as az
    log_w = np.asarray(log_w, dtype=float)
    if not np.isfinite(log_w).any():
        return np.arange(len(log_w)), {"pareto_k": float("inf"), "ess": 0.0, "n_draws": len(log_w), "n_unique": 0}
    log_w = np.where(np.isfinite(log_w), log_w, -np.inf)
    lw, k = az.psislw(log_w - log_w.max(), reff=1.0)
    w = np.exp(lw - np.logaddexp.reduce(lw))
    w /= w.sum()
    n = len(w)
    u = (rng.random() + np.arange(n)) / n
    idx = np.minimum(np.searchsorted(np.cumsum(w), u), n - 1)
    return idx, {"pareto_k": float(k), "ess": float(1.0 / np.sum(w ** 2)), "n_draws": n, "n_unique": int(len(np.unique(idx)))}


def take_draws(ds, idx: np.ndarray):
    """Dataset with (chain, draw) leading dims whose flattened draws are `ds`'s at `idx` (same shape and coords)."""
    ds = ds.transpose("chain", "draw", ...)
    n = ds.sizes["chain"] * ds.sizes["draw"]

    def pick(da):
        if da.dims[:2] != ("chain", "draw"):
            return da
        return da.copy(data=da.values.reshape(n, *da.shape[2:])[idx].reshape(da.shape))

    return ds.map(pick, keep_attrs=True)
