"""The Python API: the commands' operations with the report wired in.

`run` and `update` fit, score and write a run directory with its report (the pipeline writes the run, the report
layer renders it; this module joins the two so neither imports the other upward)."""
from __future__ import annotations

import json
import time
from pathlib import Path

from forecast.calibration.backtest import run_backtest
from forecast.calibration.sbc import run_sbc
from forecast.core.config import RunConfig
from forecast.core.io import sha256_file
from forecast.pipeline import integrity, runs, update as update_mod
from forecast.pipeline.history import load_history, milestone_diff
from forecast.pipeline.store import Run, load_run
from forecast.report.render import render_all

__all__ = ["run", "update", "report", "changed_tables", "load_run", "load_history", "render_all", "run_backtest",
           "run_sbc", "Run"]


def run(models: list[str] | None = None, cfg: RunConfig | None = None, *, out_dir: Path | None = None,
        run_id: str | None = None, data_dir: Path | None = None, progress=None) -> Run:
    """Fit the models (default: all), score the milestones and write `reports/<run-id>/` with its report."""
    return runs.run(models, cfg, out_dir=out_dir, run_id=run_id, data_dir=data_dir, progress=progress, render=render_all)


def changed_tables(parent: str | Path | None = None, data_dir: Path | None = None) -> list[str]:
    """The curated tables whose content differs from what the parent run read (e.g. after `forecast data refresh`)."""
    from forecast.data.tables import TABLES, table_path
    from forecast.pipeline.store import resolve_run_path
    manifest = json.loads((resolve_run_path(parent) / "manifest.json").read_text())
    return [t for t, digest in manifest.get("data", {}).items() if t in TABLES
            and (not table_path(t, data_dir).exists() or sha256_file(table_path(t, data_dir)) != digest)]


def update(parent: str | Path | None = None, cfg: RunConfig | None = None, *, out_dir: Path | None = None,
           data_dir: Path | None = None, progress=None, reweight: bool = True):
    """Update what the evidence added since `parent` touches; returns the new run and the milestone diff.

    When a table the parent read has changed since (a data refresh or build), the parent's models are refitted on
    the current tables and evidence instead, and the diff shows what the new data moved."""
    if changed := changed_tables(parent, data_dir):
        return _refit_on_new_data(parent, changed, cfg, out_dir=out_dir, data_dir=data_dir, progress=progress)
    return update_mod.update(parent, cfg, out_dir=out_dir, data_dir=data_dir, progress=progress, reweight=reweight,
                             render=render_all)


def _refit_on_new_data(parent, changed: list[str], cfg: RunConfig | None, *, out_dir, data_dir, progress):
    from forecast.data.evidence import load_evidence
    from forecast.models.registry import build_models
    from forecast.pipeline.schedule import fit_all, last_sample_seconds
    from forecast.pipeline.store import before_cfg, finalize, read_milestone_table, resolve_run_path
    say = progress or (lambda msg: None)
    t_start = time.perf_counter()
    parent_path = resolve_run_path(parent)
    manifest = json.loads((parent_path / "manifest.json").read_text())
    before = read_milestone_table(parent_path)
    cfg = cfg or before_cfg(manifest)
    models = build_models(manifest["models"], cfg, data_dir)
    timings = fit_all(models, cfg, say, expected_s=last_sample_seconds(parent_path.parent))
    ev = load_evidence(data_dir)
    new_ev = ev[~ev["id"].isin(set(manifest.get("evidence_ids", [])))]["id"].tolist()
    res = finalize(models, cfg, timings, t_start, out_dir=out_dir or parent_path.parent, data_dir=data_dir, say=say,
                   extra_manifest={"parent_run": manifest["run_id"], "refit": list(models), "reweighted": [],
                                   "reused": [], "rederived": [], "new_evidence": new_ev, "data_changed": changed,
                                   "milestones_reused": []},
                   diff_with=before, render=render_all)
    return res, milestone_diff(before, res.milestones)


def report(path: str | Path | None = None, *, svg: bool = False) -> Run:
    """Re-render a saved run's report (its files are checked first) and record the rewritten files' sha256."""
    r = load_run(path)
    try:
        render_all(r, r.path, svg=svg)
    finally:  # each file is written atomically: what a failed render did write is complete, and recorded
        integrity.reseal(r.path)
    return r
