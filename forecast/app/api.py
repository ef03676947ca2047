"""The Python API: the commands' operations with the report wired in.

`run` and `update` fit, score and write a run directory with its report (the pipeline writes the run, the report
layer renders it; this module joins the two so neither imports the other upward)."""
from __future__ import annotations

from pathlib import Path

from forecast.calibration.backtest import run_backtest
from forecast.calibration.sbc import run_sbc
from forecast.core.config import RunConfig
from forecast.pipeline import runs, update as update_mod
from forecast.pipeline.history import load_history
from forecast.pipeline.store import Run, load_run
from forecast.report.render import render_all

__all__ = ["run", "update", "load_run", "load_history", "render_all", "run_backtest", "run_sbc", "Run"]


def run(models: list[str] | None = None, cfg: RunConfig | None = None, *, out_dir: Path | None = None,
        run_id: str | None = None, data_dir: Path | None = None, progress=None) -> Run:
    """Fit the models (default: all), score the milestones and write `reports/<run-id>/` with its report."""
    return runs.run(models, cfg, out_dir=out_dir, run_id=run_id, data_dir=data_dir, progress=progress, render=render_all)


def update(parent: str | Path | None = None, cfg: RunConfig | None = None, *, out_dir: Path | None = None,
           data_dir: Path | None = None, progress=None, reweight: bool = True):
    """Update what the evidence added since `parent` touches; returns the new run and the milestone diff."""
    return update_mod.update(parent, cfg, out_dir=out_dir, data_dir=data_dir, progress=progress, reweight=reweight,
                             render=render_all)
