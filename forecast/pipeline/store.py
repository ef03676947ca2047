"""The run directory: what a run writes (posteriors, milestone table, inputs, manifest) and how a saved run is loaded."""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import platform
import shutil
import time
from pathlib import Path

import pandas as pd

from forecast.core import config
from forecast.evaluation import milestones as ms
from forecast.evaluation.prior_only import PRIOR_DRAWS, add_prior_columns
from forecast.core.config import RunConfig
from forecast.inference.diagnostics import Diagnostics
from forecast.core.errors import RunError
from forecast.core.io import (atomic_directory, atomic_write_csv, atomic_write_json, idata_digest, point_symlink, save_idata,
                              sha256_file)
from forecast.models.registry import REGISTRY
from forecast.data.priors import load_priors
from forecast.data.evidence import evidence_path, load_evidence
from forecast.inference.sampling import numba_cache_dir
from forecast.data.schema import format_frame
from forecast.core.serving import serving_info
from forecast.data.tables import TABLES, load_table, table_path
from forecast.pipeline.history import append_history, milestone_diff
from forecast.pipeline import integrity
from forecast.pipeline.prior_cache import prior_answers, prior_keys, same_setting, unchanged
from forecast.core.workspace import provenance
from forecast.models.registry import link_upstream, prior_models, tables_for


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


def new_run_id(cfg: RunConfig) -> str:
    return dt.datetime.now().strftime("%Y%m%dT%H%M%S") + f"-s{cfg.seed}"


def milestones_file(data_dir: Path | None) -> Path:
    """The milestone definitions a run reads: `data_dir`'s, else the project's."""
    return Path(data_dir) / "milestones.yaml" if data_dir else ms.milestones_path()


def finalize(fitted: dict, cfg: RunConfig, timings: dict, t_start: float, *, out_dir=None, run_id=None, data_dir=None,
             say=None, extra_manifest: dict | None = None, diff_with: pd.DataFrame | None = None,
             reuse_rows: dict[str, dict] | None = None, render=None, known_prior: dict[str, dict] | None = None) -> Run:
    """Score milestones (taking `reuse_rows`, id → row, as they are: see `milestones.evaluate`) and write the
    run directory (atomically), history, and `latest`. `render(run, directory)` writes the report into the run
    directory before it is published, so a failed render leaves no run."""
    say = say or (lambda msg: None)
    names = list(fitted)
    milestone_list = ms.load_milestones(milestones_file(data_dir))
    table = ms.evaluate(milestone_list, fitted, cfg.horizon, cfg.seed, reuse=reuse_rows)
    out_dir = Path(out_dir or config.reports_dir())
    keys = prior_keys(fitted, PRIOR_DRAWS)
    milestones_sha = sha256_file(milestones_file(data_dir))
    if known_prior is None:  # a repeated run: the previous run's prior-only answers of models whose inputs are unchanged
        known_prior = previous_prior_answers(out_dir, keys, cfg, milestones_sha)
    table = add_prior_columns(table, milestone_list, fitted, prior_models(fitted, PRIOR_DRAWS, int(cfg.seed)),
                              cfg.horizon, int(cfg.seed), PRIOR_DRAWS, known=known_prior)
    run_id = run_id or new_run_id(cfg)
    previous = (out_dir / "latest").resolve() if (out_dir / "latest").is_dir() else None
    ev = load_evidence(data_dir)
    diags = {n: m.diagnostics.to_dict() for n, m in fitted.items()}
    manifest = {
        "run_id": run_id, "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "models": names, "config": cfg.to_dict(), "versions": versions(),
        "compile_cache_dir": str(numba_cache_dir()),
        "data": {t: sha256_file(table_path(t, data_dir)) for t in tables_for(names)},
        "evidence_ids": ev["id"].astype(str).tolist(),
        "milestones_sha256": milestones_sha,
        "priors": {n: fitted[n].priors.sha256 for n in names}, "prior_keys": keys,
        "config_hash": {n: fitted[n].config_hash() for n in names},
        # the posterior by content (salted with its prior key): the report reuses what it drew from the same posterior
        "posterior_digests": {n: _posterior_digest(n, fitted[n], keys[n]) for n in names},
        "diagnostics": diags, "timings": timings,
        "all_diagnostics_passed": all(d["passed"] for d in diags.values()),
        **({"served": served} if (served := serving_info()) else {}),
        **provenance(data_dir),  # which workspace, package version and data version the run used
        **({"previous_run": previous.name} if previous is not None and previous.parent == out_dir.resolve() else {}),
        **(extra_manifest or {}),
    }
    final = out_dir / run_id
    with atomic_directory(final) as tmp:
        inputs = tmp / "inputs"
        inputs.mkdir()
        frames = {}
        for m in fitted.values():
            frames.update(m.frames)
        for t, f in frames.items():
            if t in TABLES:
                atomic_write_csv(inputs / TABLES[t].filename, format_frame(f[TABLES[t].column_names]))
        if evidence_path(data_dir).exists():
            shutil.copyfile(evidence_path(data_dir), inputs / "evidence.csv")
        shutil.copyfile(milestones_file(data_dir), inputs / "milestones.yaml")
        shutil.copytree(Path(next(iter(fitted.values())).priors.file).parent, inputs / "priors")
        for name, model in fitted.items():
            if model.posterior_file is not None:  # a reused posterior: the file is already what it would write
                shutil.copyfile(model.posterior_file, tmp / f"{name}.nc")
            else:
                save_idata(model.idata, tmp / f"{name}.nc")
        write_milestones(tmp, table)
        if diff_with is not None:
            diff = milestone_diff(diff_with, table)
            atomic_write_csv(tmp / "diff.csv", diff)
        manifest["wall_s"] = round(time.perf_counter() - t_start, 2)
        atomic_write_json(tmp / "manifest.json", manifest)
        result = Run(tmp, manifest, fitted, table)
        if render is not None:  # the report layer's renderer, passed down by the caller (the app)
            say("rendering report …")
            render(result, tmp)
        integrity.seal(tmp, manifest)  # last: the sha256 of every file the run wrote
    point_symlink(out_dir / "latest", run_id)
    append_history(out_dir, manifest, table)
    result.path = final
    return result


def _posterior_digest(name: str, model, key: str) -> str:
    """`idata_digest` of the model's posterior; for one attached from a saved run under the same prior key (an
    update's reused posterior), that run's recorded digest, so the file is not read only to be hashed."""
    if model.posterior_file is not None:
        try:
            old = json.loads((Path(model.posterior_file).parent / "manifest.json").read_text())
            if old["prior_keys"][name] == key:
                return old["posterior_digests"][name]
        except (OSError, ValueError, KeyError):
            pass
    return idata_digest(model.idata, key)


def previous_prior_answers(out_dir: Path, keys: dict[str, str], cfg: RunConfig, milestones_sha: str) -> dict[str, dict]:
    """The prior-only answers of `out_dir`'s latest run for the models whose prior key (`prior_cache.prior_keys`) is
    unchanged, if it used the same horizon, seed and milestone file (empty when there is no readable run)."""
    latest = Path(out_dir) / "latest"
    try:
        manifest = json.loads((latest / "manifest.json").read_text())
        table = read_milestone_table(latest)
    except (OSError, ValueError):
        return {}
    if not same_setting(manifest, cfg, milestones_sha):
        return {}
    return prior_answers(table, unchanged(manifest, keys))


def write_milestones(path: Path, table: pd.DataFrame) -> None:
    atomic_write_csv(path / "milestones.csv", table.drop(columns=["claim", "source"]))
    atomic_write_json(path / "milestones.json", json.loads(table.to_json(orient="records")))


def resolve_run_path(path: str | Path | None = None) -> Path:
    p = Path(path) if path else config.reports_dir() / "latest"
    if not (p / "manifest.json").exists():
        raise RunError(f"no run found at {p} (run `forecast run` first)")
    integrity.verify(p)  # a file changed since the run wrote it is an error naming the file
    return p.resolve()


def load_run(path: str | Path | None = None) -> Run:
    """Re-create a saved run's models from its own inputs and posteriors, without sampling."""
    p = resolve_run_path(path)
    manifest = json.loads((p / "manifest.json").read_text())
    cfg = before_cfg(manifest)
    frames = {t: load_table(t, p / "inputs") for t in tables_for(manifest["models"])}
    ev = load_evidence(path=p / "inputs" / "evidence.csv")
    frames["judgements"] = ev[ev["kind"] == "judgement"].reset_index(drop=True)  # tables in inputs/ already hold the rest
    models = {}
    for n in manifest["models"]:
        m = REGISTRY[n](frames, load_priors(n, p / "inputs" / "priors"), cfg)
        m.attach(p / f"{n}.nc")  # read lazily
        m.diagnostics = Diagnostics.from_dict(manifest["diagnostics"][n])
        models[n] = m
    link_upstream(models)
    return Run(p, manifest, models, read_milestone_table(p))


def read_milestone_table(run_path: Path) -> pd.DataFrame | None:
    """A saved run's milestone table (None if it has none)."""
    f = Path(run_path) / "milestones.json"
    return pd.read_json(f, orient="records", dtype=False) if f.exists() else None


def before_cfg(manifest: dict) -> RunConfig:
    """The RunConfig a saved run was made with."""
    d = dict(manifest["config"])
    gate = config.GateThresholds(**d.pop("gate"))
    return RunConfig(**d, gate=gate)
