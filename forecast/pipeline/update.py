"""Incremental update: refit, reweight or reuse each model according to the evidence added since a run."""
from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path

import pandas as pd

from forecast.core.config import RunConfig
from forecast.inference.diagnostics import Diagnostics
from forecast.core.io import sha256_file
from forecast.models.registry import REGISTRY
from forecast.data.evidence import affected_models, load_evidence
from forecast.pipeline.history import milestone_diff
from forecast.pipeline.prior_cache import prior_answers, same_setting
from forecast.pipeline.schedule import fit_all, last_sample_seconds
from forecast.models.registry import build_models
from forecast.pipeline.store import Run, before_cfg, finalize, milestones_file, read_milestone_table, resolve_run_path
from forecast.models.protocols import Reweightable


@dataclasses.dataclass
class UpdatePlan:
    parent: Path
    new_evidence: pd.DataFrame
    refit: list[str]  # models to refit (touched + dependents), in fit order
    reuse: list[str]  # models whose saved posterior is reused, derived quantities unchanged
    # models whose saved posterior is reused but which read a changed model (`upstream_in_posterior` False):
    # their derived quantities (milestones, figures) are recomputed with the new upstream
    rederive: list[str] = dataclasses.field(default_factory=list)


def plan_update(parent: str | Path | None = None, data_dir: Path | None = None) -> UpdatePlan:
    """Which models the evidence added since the parent run touches (plus models that depend on them)."""
    parent_path = resolve_run_path(parent)
    manifest = json.loads((parent_path / "manifest.json").read_text())
    ev = load_evidence(data_dir)
    new = ev[~ev["id"].isin(set(manifest.get("evidence_ids", [])))]
    names = manifest["models"]
    touched = set(affected_models(new)) & set(names)
    rederive: set[str] = set()
    changed = True
    while changed:  # dependents of changed models: refitted, or only re-derived if their posterior does not read them
        changed = False
        for n in names:
            if n not in touched | rederive and set(REGISTRY[n].requires) & (touched | rederive):
                (touched if REGISTRY[n].upstream_in_posterior else rederive).add(n)
                changed = True
    return UpdatePlan(parent_path, new, [n for n in names if n in touched],
                      [n for n in names if n not in touched | rederive], [n for n in names if n in rederive])


def update(parent: str | Path | None = None, cfg: RunConfig | None = None, *, out_dir: Path | None = None,
           data_dir: Path | None = None, progress=None, reweight: bool = True, render=None) -> tuple[Run, pd.DataFrame]:
    """Update the models the new evidence touches (data + all evidence), reuse the other posteriors,
    write a new run and return it with the milestone diff against the parent run.

    A touched model that supports it is first updated by importance reweighting of its last MCMC fit
    (forecast/reweight.py: Pareto k̂, ESS and the run's gate must pass); otherwise, or with `reweight=False`,
    it is refitted. Models that read a refitted or reweighted model are refitted."""
    from forecast.pipeline import reweight as rw
    say = progress or (lambda msg: None)
    t_start = time.perf_counter()
    plan = plan_update(parent, data_dir)
    # the parent's manifest and milestone table only: its models are not rebuilt (the new run's are)
    manifest = json.loads((plan.parent / "manifest.json").read_text())
    before_table = read_milestone_table(plan.parent)
    cfg_run = cfg or before_cfg(manifest)
    models = build_models(manifest["models"], cfg_run, data_dir)
    for n in plan.reuse + plan.rederive:
        models[n].attach(plan.parent / f"{n}.nc")  # read only if a milestone or figure needs it
        models[n].diagnostics = Diagnostics.from_dict(manifest["diagnostics"][n])
    reweighted: dict[str, dict] = {}
    for n in plan.refit if reweight else []:
        if set(models[n].requires) & set(plan.refit) or not isinstance(models[n], Reweightable):
            continue
        t0 = time.perf_counter()
        got, info = rw.try_reweight(models[n], n, manifest, plan.parent.parent, data_dir, cfg_run)
        if got is None:
            say(f"      {n}: refit by MCMC: {info['reason']}")
            continue
        models[n].idata, models[n].diagnostics = got
        reweighted[n] = {"method": "reweighted", "base_run": info["base_run"], "pareto_k": round(info["pareto_k"], 3),
                         "is_ess": round(info["ess"]), "n_unique_draws": info["n_unique"], "n_draws": info["n_draws"],
                         "total_s": round(time.perf_counter() - t0, 2), "compile_s": 0.0, "sample_s": 0.0}
        say(f"      {n}: updated by importance reweighting of run {info['base_run']}'s fit "
            f"(Pareto k̂ {info['pareto_k']:.2f}, ESS {info['ess']:.0f} of {info['n_draws']}) in {reweighted[n]['total_s']:.1f}s")
    refit = [n for n in plan.refit if n not in reweighted]
    timings = fit_all(models, cfg_run, say, only=set(refit), expected_s=last_sample_seconds(plan.parent.parent))
    timings.update(reweighted)
    for n in plan.reuse + plan.rederive:
        old = manifest["timings"].get(n, {})
        # the run that fitted this posterior (the parent, or the run the parent reused it from)
        timings[n] = dict(old, reused_from=old.get("reused_from", manifest["run_id"]))
    reuse_rows = reusable_milestone_rows(manifest, before_table, plan.reuse, cfg_run, data_dir)
    # a reweighted, reused or re-derived model keeps its priors and parameters, so its claims' prior-only answers do too
    known_prior = known_prior_rows(before_table, [*reweighted, *plan.reuse, *plan.rederive], manifest, cfg_run, data_dir)
    run_ = finalize(models, cfg_run, timings, t_start, out_dir=out_dir or plan.parent.parent, data_dir=data_dir, say=say,
                    extra_manifest={"parent_run": manifest["run_id"], "refit": refit, "reweighted": list(reweighted),
                                    "reused": plan.reuse, "rederived": plan.rederive, "new_evidence": plan.new_evidence["id"].tolist(),
                                    "milestones_reused": sorted(reuse_rows)},
                    diff_with=before_table, reuse_rows=reuse_rows, render=render, known_prior=known_prior)
    return run_, milestone_diff(before_table, run_.milestones)


def reusable_milestone_rows(manifest: dict, table: pd.DataFrame | None, reused: list[str], cfg: RunConfig,
                            data_dir: Path | None) -> dict[str, dict]:
    """The parent run's milestone rows an update can keep (id → row): those of models whose posterior and data
    it reuses, when the milestone definitions, horizon and seed are the parent's too (a row depends on nothing
    else: `milestones.evaluate`)."""
    same = (table is not None and manifest["config"].get("horizon") == cfg.horizon and manifest["config"].get("seed") == cfg.seed
            and manifest.get("milestones_sha256") == sha256_file(milestones_file(data_dir)))
    if not same:
        return {}
    # not the rows of milestones resolved by hand then (a resolution can be withdrawn; `evaluate` applies current ones)
    keep = table["model"].isin(reused) & (table["outcome"].isna() | (table["status"] == "observed"))
    rows = table[keep].astype(object).where(table[keep].notna(), None)
    return {r["id"]: r for r in rows.to_dict(orient="records")}


def known_prior_rows(table: pd.DataFrame | None, models: list[str], manifest: dict, cfg: RunConfig,
                     data_dir: Path | None) -> dict[str, dict]:
    """The parent run's prior-only answers (id → p_prior, prior_median_date) for claims of `models`, when the
    milestone definitions, horizon and seed are the parent's (the prior copy of an unrefitted model is the same)."""
    if not same_setting(manifest, cfg, sha256_file(milestones_file(data_dir))):
        return {}
    return prior_answers(table, models)
