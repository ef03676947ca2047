"""Updating a model by importance reweighting of its base run's fit: which run that is, and whether the weights pass."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from forecast.inference.importance import K_MAX, SAME_CONFIG
from forecast.models.protocols import Reweightable


def base_run(manifest: dict, name: str) -> str:
    """Id of the run whose MCMC fit a run's posterior of `name` comes from (itself, a run it reused, or the base of a reweighting)."""
    t = manifest.get("timings", {}).get(name, {})
    return t.get("base_run") or t.get("reused_from") or manifest["run_id"]


def try_reweight(model, name: str, parent_manifest: dict, runs_dir: Path, data_dir: Path | None, cfg) -> tuple[object | None, dict]:
    """(posterior, diagnostics) of `model` on the current data by reweighting its base fit, and an info dict
    (base run, Pareto k̂, ESS; "reason" when it was not possible and the model must be refitted)."""
    if not isinstance(model, Reweightable):
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
