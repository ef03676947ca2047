"""Runs: fit models, score milestones, and write `reports/<run-id>/` atomically; load a saved run.

A run directory holds `manifest.json`, `<model>.nc` (InferenceData), `milestones.csv`/`.json`,
`inputs/` (the curated tables the run read, so it can be re-rendered without the current data),
`report.md`, `report.html`, `figures/`. `reports/latest` points to the newest good run.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import platform
import shutil
import time
from pathlib import Path

import pandas as pd

from . import config, milestones as ms
from .config import RunConfig
from .diagnostics import Diagnostics
from .errors import RunError
from .io import atomic_directory, atomic_write_csv, atomic_write_json, load_idata, point_symlink, save_idata, sha256_file
from .models import REGISTRY
from .priors import load_priors
from .tables import TABLES, load_table, table_path


@dataclasses.dataclass
class Run:
    path: Path
    manifest: dict
    models: dict  # name -> ForecastModel with posterior attached
    milestones: pd.DataFrame


def versions() -> dict:
    import arviz, matplotlib, numpy, nutpie, pymc, pytensor, xarray  # noqa: E401
    return {"python": platform.python_version(), "pymc": pymc.__version__, "pytensor": pytensor.__version__,
            "arviz": arviz.__version__, "nutpie": nutpie.__version__, "numpy": numpy.__version__,
            "pandas": pd.__version__, "xarray": xarray.__version__, "matplotlib": matplotlib.__version__}


def _tables_for(names) -> list[str]:
    return sorted({t for n in names for t in REGISTRY[n].tables})


def build_models(names, cfg: RunConfig, data_dir: Path | None = None) -> dict:
    """Instantiate models on validated data and priors (no sampling). Fails before any fit on bad input."""
    unknown = [n for n in names if n not in REGISTRY]
    if unknown:
        raise RunError(f"unknown model(s) {unknown}; valid: {', '.join(REGISTRY)}")
    names = with_requirements(names)
    frames = {t: load_table(t, data_dir) for t in _tables_for(names)}
    models = {n: REGISTRY[n](frames, load_priors(n), cfg) for n in names}
    link_upstream(models)
    return models


def with_requirements(names) -> list[str]:
    """Add the models each requested model requires, ordered so requirements come first (registry order)."""
    need = set(names)
    frontier = list(names)
    while frontier:
        for r in REGISTRY[frontier.pop()].requires:
            if r not in need:
                need.add(r)
                frontier.append(r)
    return [n for n in REGISTRY if n in need]


def link_upstream(models: dict) -> None:
    for m in models.values():
        m.upstream = {r: models[r] for r in m.requires}


def new_run_id(cfg: RunConfig) -> str:
    return dt.datetime.now().strftime("%Y%m%dT%H%M%S") + f"-s{cfg.seed}"


def run(models: list[str] | None = None, cfg: RunConfig | None = None, *, out_dir: Path | None = None,
        run_id: str | None = None, data_dir: Path | None = None, progress=None, extra_manifest: dict | None = None) -> Run:
    """Fit every model (default: all), score the milestones and write the run directory atomically."""
    cfg = cfg or RunConfig()
    names = with_requirements(list(models or REGISTRY))
    say = progress or (lambda msg: None)
    t_start = time.perf_counter()
    milestone_list = ms.load_milestones(Path(data_dir) / "milestones.yaml" if data_dir else None)
    fitted = build_models(names, cfg, data_dir)
    timings, diags = {}, {}
    for i, (name, model) in enumerate(fitted.items()):
        say(f"[{i + 1}/{len(fitted)}] fitting {name} ({cfg.sampler}, {cfg.chains}×{cfg.draws}) …")
        t0 = time.perf_counter()
        res = model.fit(seed_offset=i)
        timings[name] = {"compile_s": round(res.seconds_compile, 2), "sample_s": round(res.seconds_sample, 2),
                         "total_s": round(time.perf_counter() - t0, 2), "compile_cached": res.compile_cached}
        diags[name] = res.diagnostics.to_dict()
        say(f"      {name}: {timings[name]['total_s']:.1f}s, R-hat {res.diagnostics.max_rhat:.3f}, "
            f"min ESS {min(res.diagnostics.min_ess_bulk, res.diagnostics.min_ess_tail):.0f}, "
            f"divergences {res.diagnostics.divergences} → {res.diagnostics.status}")
    table = ms.evaluate(milestone_list, fitted, cfg.horizon, cfg.seed)
    out_dir = Path(out_dir or config.reports_dir())
    run_id = run_id or new_run_id(cfg)
    used_tables = _tables_for(names)
    manifest = {
        "run_id": run_id, "created": dt.datetime.now().isoformat(timespec="seconds"),
        "models": names, "config": cfg.to_dict(), "versions": versions(),
        "data": {t: sha256_file(table_path(t, data_dir)) for t in used_tables},
        "milestones_sha256": sha256_file(Path(data_dir) / "milestones.yaml" if data_dir else ms.milestones_path()),
        "priors": {n: fitted[n].priors.sha256 for n in names},
        "config_hash": {n: fitted[n].config_hash() for n in names},
        "diagnostics": diags, "timings": timings,
        "all_diagnostics_passed": all(d["passed"] for d in diags.values()),
        **(extra_manifest or {}),
    }
    final = out_dir / run_id
    with atomic_directory(final) as tmp:
        (tmp / "inputs").mkdir()
        for t in used_tables:
            shutil.copyfile(table_path(t, data_dir), tmp / "inputs" / TABLES[t].filename)
        shutil.copyfile(Path(data_dir) / "milestones.yaml" if data_dir else ms.milestones_path(), tmp / "inputs" / "milestones.yaml")
        (tmp / "inputs" / "priors").mkdir()
        for name, model in fitted.items():
            shutil.copyfile(model.priors.file, tmp / "inputs" / "priors" / f"{name}.yaml")
        for name, model in fitted.items():
            save_idata(model.idata, tmp / f"{name}.nc")
        write_milestones(tmp, table)
        manifest["wall_s"] = round(time.perf_counter() - t_start, 2)
        atomic_write_json(tmp / "manifest.json", manifest)
        result = Run(tmp, manifest, fitted, table)
        from .report import render_all
        say("rendering report …")
        render_all(result, tmp)
    point_symlink(out_dir / "latest", run_id)
    result.path = final
    return result


def write_milestones(path: Path, table: pd.DataFrame) -> None:
    atomic_write_csv(path / "milestones.csv", table.drop(columns=["claim", "source"]))
    atomic_write_json(path / "milestones.json", json.loads(table.to_json(orient="records")))


def resolve_run_path(path: str | Path | None = None) -> Path:
    p = Path(path) if path else config.reports_dir() / "latest"
    if not (p / "manifest.json").exists():
        raise RunError(f"no run found at {p} (run `forecast run` first)")
    return p.resolve()


def load_run(path: str | Path | None = None) -> Run:
    """Re-create a saved run's models from its own inputs and posteriors, without sampling."""
    p = resolve_run_path(path)
    manifest = json.loads((p / "manifest.json").read_text())
    cfg_d = dict(manifest["config"])
    gate = config.GateThresholds(**cfg_d.pop("gate"))
    cfg = RunConfig(**cfg_d, gate=gate)
    frames = {}
    for t in _tables_for(manifest["models"]):
        frames[t] = load_table(t, p / "inputs")
    models = {}
    for n in manifest["models"]:
        m = REGISTRY[n](frames, load_priors(n, p / "inputs" / "priors"), cfg)
        m.attach(load_idata(p / f"{n}.nc"))
        m.diagnostics = Diagnostics.from_dict(manifest["diagnostics"][n])
        models[n] = m
    link_upstream(models)
    table = pd.read_json(p / "milestones.json", orient="records", dtype=False) if (p / "milestones.json").exists() else None
    return Run(p, manifest, models, table)
