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

import json
from pathlib import Path

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


def base_run(manifest: dict, name: str) -> str:
    """Id of the run whose MCMC fit a run's posterior of `name` comes from (itself, a run it reused, or the base of a reweighting)."""
    t = manifest.get("timings", {}).get(name, {})
    return t.get("base_run") or t.get("reused_from") or manifest["run_id"]


def try_reweight(model, name: str, parent_manifest: dict, runs_dir: Path, data_dir: Path | None, cfg) -> tuple[object | None, dict]:
    """(posterior, diagnostics) of `model` on the current data by reweighting its base fit, and an info dict
    (base run, Pareto k̂, ESS; "reason" when it was not possible and the model must be refitted)."""
    if not hasattr(model, "reweighted_posterior"):
        return None, {"reason": "no reweighting for this model"}
    base_id = base_run(parent_manifest, name)
    base_dir = Path(runs_dir) / base_id
    try:
        base_manifest = json.loads((base_dir / "manifest.json").read_text())
    except (OSError, ValueError):
        return None, {"reason": f"base run {base_id} not found in {runs_dir}"}
    bt = base_manifest.get("timings", {}).get(name, {})
    if bt.get("reused_from") or bt.get("base_run") or not (base_dir / f"{name}.nc").exists():
        return None, {"reason": f"base run {base_id} holds no MCMC fit of {name}"}
    bc, now = base_manifest.get("config", {}), cfg.to_dict()
    diff = [k for k in SAME_CONFIG if bc.get(k) != now.get(k)]
    if diff:
        return None, {"reason": f"run settings differ from the base fit's ({', '.join(diff)})"}
    if base_manifest.get("priors", {}).get(name) != model.priors.sha256:
        return None, {"reason": "priors changed since the base fit"}
    from forecast.data.evidence import apply_to_frames, load_evidence
    from forecast.core.io import load_idata, sha256_file
    from forecast.data.tables import load_table, table_path
    changed = [t for t in model.tables if base_manifest.get("data", {}).get(t) != sha256_file(table_path(t, data_dir))]
    if changed:
        return None, {"reason": f"data tables changed since the base fit ({', '.join(changed)})"}
    ev = load_evidence(data_dir)
    frames = apply_to_frames({t: load_table(t, data_dir) for t in model.tables}, ev[ev["id"].isin(base_manifest.get("evidence_ids", []))])
    base = type(model)(frames, model.priors, model.cfg)
    rng = np.random.default_rng([int(cfg.seed), 20240605, len(ev)])
    idata, info = model.reweighted_posterior(base, load_idata(base_dir / f"{name}.nc"), rng)
    info = {"base_run": base_id, **info}
    if idata is None:
        return None, info
    if not info["pareto_k"] <= K_MAX:
        return None, dict(info, reason=f"Pareto k̂ {info['pareto_k']:.2f} > {K_MAX}: the evidence moves the posterior too far from the base fit")
    if info["ess"] < cfg.gate.min_ess:
        return None, dict(info, reason=f"importance-sampling ESS {info['ess']:.0f} < {cfg.gate.min_ess:.0f}")
    from forecast.inference import diagnostics as diag
    from forecast.inference.sampling import PYTENSOR_LOCK
    # the base fit's monitored variables: the same parameters (`structure`), without building the PyMC graph
    monitor = model.monitor or base_manifest.get("diagnostics", {}).get(name, {}).get("monitored")
    if not monitor:
        with PYTENSOR_LOCK:
            monitor = [rv.name for rv in model.build_model().free_RVs]
    d = diag.compute(idata, monitor, cfg.gate)
    if not d.passed:
        return None, dict(info, reason=f"the reweighted posterior fails the gate ({'; '.join(d.failures)})")
    return (idata, d), info
