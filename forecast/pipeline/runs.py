"""Runs: fit models, score milestones, and write `reports/<run-id>/` atomically; load a saved run.

A run directory holds `manifest.json`, `<model>.nc` (InferenceData), `milestones.csv`/`.json`,
`inputs/` (the curated tables the run read, so it can be re-rendered without the current data),
`report.md`, `report.html`, `figures/`. `reports/latest` points to the newest good run.
"""
from __future__ import annotations

import time
from pathlib import Path


from forecast.core.config import RunConfig
from forecast.models.registry import REGISTRY
from forecast.pipeline.schedule import fit_all, last_sample_seconds
from forecast.models.registry import build_models
from forecast.pipeline.store import Run, finalize


def run(models: list[str] | None = None, cfg: RunConfig | None = None, *, out_dir: Path | None = None,
        run_id: str | None = None, data_dir: Path | None = None, progress=None, render=None) -> Run:
    """Fit every model (default: all), score the milestones and write the run directory atomically
    (with the report when `render` is given: see `store.finalize`)."""
    cfg = cfg or RunConfig()
    say = progress or (lambda msg: None)
    t_start = time.perf_counter()
    fitted = build_models(list(models or REGISTRY), cfg, data_dir)
    timings = fit_all(fitted, cfg, say, expected_s=last_sample_seconds(out_dir))
    return finalize(fitted, cfg, timings, t_start, out_dir=out_dir, run_id=run_id, data_dir=data_dir, say=say, render=render)
