"""Runs: fit models, score milestones, and write `reports/<run-id>/` atomically; load a saved run.

A run directory holds `manifest.json`, `<model>.nc` (InferenceData), `milestones.csv`/`.json`,
`inputs/` (the curated tables the run read, so it can be re-rendered without the current data),
`report.md`, `report.html`, `figures/`. `reports/latest` points to the newest good run.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
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
from .evidence import affected_models, apply_to_frames, evidence_path, load_evidence
from .sampling import numba_cache_dir
from .schema import format_frame
from .server import serving_info
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


def build_models(names, cfg: RunConfig, data_dir: Path | None = None, *, evidence: bool = True) -> dict:
    """Instantiate models on validated data (+ all evidence) and priors, without sampling.

    Fails on bad input before any fit."""
    unknown = [n for n in names if n not in REGISTRY]
    if unknown:
        raise RunError(f"unknown model(s) {unknown}; valid: {', '.join(REGISTRY)}")
    names = with_requirements(names)
    frames = {t: load_table(t, data_dir) for t in _tables_for(names)}
    if evidence:
        frames = apply_to_frames(frames, load_evidence(data_dir))
    models = {n: REGISTRY[n](frames, load_priors(n, Path(data_dir).parent / "priors" if data_dir else None), cfg) for n in names}
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


class _ColdCompiles:
    """Compiles graphs missing from the numba disk cache in worker processes, two at a time.

    A cold compile is tens of seconds of single-threaded PyTensor and numba work that holds the GIL (≈ 250 s of
    CPU for the seven models); in worker processes (`forecast.compile_worker`) the compiles run on both cores,
    beside the sampling. The run itself then loads every graph from the disk cache, so a cold run samples the code
    a warm one loads. Models that read an upstream posterior compile in the run as before; so does a model whose
    worker failed (its error is kept in `failed`), and every model when FORECAST_COMPILE_WORKERS=0 (set in
    `--jobs` workers, which already run in parallel)."""

    def __init__(self, models: dict, todo: list[str], cfg: RunConfig):
        from concurrent.futures import ThreadPoolExecutor

        from .compile_worker import run_worker
        self.futures: dict = {}
        self.failed: dict[str, str] = {}
        self.procs: list = []  # worker processes started, killed by `close` on an error
        self.pool = None
        enabled = cfg.sampler == "nutpie" and os.environ.get("FORECAST_COMPILE_WORKERS", "1").lower() not in ("0", "off", "no")
        cold = [n for n in todo if enabled and not models[n].requires and not models[n].compiled_on_disk()]
        if cold:
            self.pool = ThreadPoolExecutor(max_workers=min(2, len(cold)), thread_name_prefix="forecast-cold-compile")
            self.futures = {n: self.pool.submit(run_worker, models[n], self.procs) for n in cold}

    def wait(self, name: str) -> float | None:
        """Seconds the worker spent compiling `name` (None: it was warm, or the worker failed)."""
        if name not in self.futures:
            return None
        try:
            return self.futures[name].result()
        except RuntimeError as exc:
            self.failed[name] = str(exc)
            return None

    def close(self, ok: bool) -> None:
        if self.pool is not None:
            if not ok:  # an error or Ctrl-C: do not wait for compiles nobody will use
                for p in self.procs:
                    p.kill()
            self.pool.shutdown(wait=ok, cancel_futures=True)


class _CompileAhead:
    """Builds and compiles models in one worker thread while the main thread samples the previous ones.

    A warm graph costs 1–7 s of single-threaded PyTensor rewriting and cache loading, during which one of the
    two cores idles; done ahead, it overlaps the previous model's sampling (nutpie's chains run in Rust threads
    that take the GIL only between draws, see `__enter__`) and the next model starts sampling at once. Measured
    on the seven fits: 100 s sequential, 78–94 s with the worker. A model is compiled once every model it reads
    (`requires`) has been fitted. Only for nutpie (PyMC's sampler compiles inside `pm.sample`)."""

    def __init__(self, models: dict, todo: list[str], cfg: RunConfig):
        from concurrent.futures import ThreadPoolExecutor
        self.models, self.todo = models, todo
        self.pending = set(todo)
        self.futures: dict = {}
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="forecast-compile") if cfg.sampler == "nutpie" else None
        self.cold = _ColdCompiles(models, todo, cfg) if self.pool is not None else None
        self.worker_s: dict[str, float] = {}
        self.submit_ready()

    def _prepare(self, name: str) -> None:
        if (s := self.cold.wait(name)) is not None:
            self.worker_s[name] = s
        self.models[name].prepare_fit()

    def submit_ready(self) -> None:
        if self.pool is None:
            return
        for name in self.todo:
            if name not in self.futures and not (set(self.models[name].requires) & self.pending):
                self.futures[name] = self.pool.submit(self._prepare, name)

    def wait(self, name: str) -> None:
        """Block until `name`'s graphs are ready; re-raises the worker's error (e.g. an invalid prior)."""
        if name in self.futures:
            self.futures[name].result()

    def fitted(self, name: str) -> None:
        self.pending.discard(name)
        self.submit_ready()

    def __enter__(self):
        import sys
        # nutpie's sampler threads take the GIL between draws: with the default 5 ms switch interval a thread
        # busy in PyTensor's rewrites made a small model sample 8× slower; at 0.2 ms it did not slow it
        self._interval = sys.getswitchinterval()
        if self.pool is not None:
            sys.setswitchinterval(2e-4)
        return self

    def __exit__(self, *exc) -> None:
        import sys
        if self.pool is not None:
            self.pool.shutdown(wait=exc[0] is None, cancel_futures=True)
            self.cold.close(exc[0] is None)
        sys.setswitchinterval(self._interval)


def fit_order(names: list[str], requires: dict[str, tuple], expected_s: dict[str, float] | None = None) -> list[str]:
    """Requirements first; among the models ready to fit, the longest expected sampling first.

    While a model samples the worker compiles the next ones, so a long sampling early hides the compiles
    (`_CompileAhead`); `expected_s` are the sampling seconds of the last run (none: registry order)."""
    expected_s = expected_s or {}
    left, order = list(names), []
    while left:
        ready = [n for n in left if not set(requires[n]) & set(left)]
        best = max(ready, key=lambda n: (expected_s.get(n, 0.0), -left.index(n)))
        order.append(best)
        left.remove(best)
    return order


def last_sample_seconds(out_dir: Path | None = None) -> dict[str, float]:
    """Sampling seconds per model of the latest run in `out_dir` (empty if there is none or it is unreadable)."""
    p = Path(out_dir or config.reports_dir()) / "latest" / "manifest.json"
    try:
        return {n: float(t["sample_s"]) for n, t in json.loads(p.read_text()).get("timings", {}).items() if "sample_s" in t}
    except (OSError, ValueError, TypeError, KeyError):
        return {}


def fit_all(models: dict, cfg: RunConfig, say, only: set[str] | None = None, expected_s: dict[str, float] | None = None) -> dict:
    """Fit models (requirements first; see `fit_order`); skip those not in `only` (they keep their posterior).

    The next models are compiled while the current one samples (`_CompileAhead`)."""
    timings = {}
    # without an earlier run (e.g. the first, cold one) the models' typical sampling times order the fits
    expected = {n: (expected_s or {}).get(n, m.typical_sample_s) for n, m in models.items()}
    todo = fit_order([n for n in models if only is None or n in only], {n: m.requires for n, m in models.items()}, expected)
    with _CompileAhead(models, todo, cfg) as ahead:
        if ahead.cold is not None and ahead.cold.futures:
            say(f"not in the compile cache yet: {', '.join(ahead.cold.futures)}; compiling in worker processes …")
        for i, name in enumerate(todo):
            model = models[name]
            say(f"[{i + 1}/{len(todo)}] fitting {name} ({cfg.sampler}, {cfg.chains}×{model.draws_count()}) …")
            t0 = time.perf_counter()
            ahead.wait(name)
            t_wait = time.perf_counter() - t0
            res = model.fit(seed_offset=list(REGISTRY).index(name))
            ahead.fitted(name)
            timings[name] = {"compile_s": round(res.seconds_compile, 2), "sample_s": round(res.seconds_sample, 2),
                             # compile_s counts work done ahead in the worker; wait_s is the part the run waited for
                             "wait_s": round(t_wait, 2), "total_s": round(time.perf_counter() - t0, 2),
                             "compile_cached": res.compile_cached,
                             # "cold": this compile wrote new numba cache entries; "warm": all came from disk
                             "numba_disk_cache": "in-process" if res.compile_cached else (
                                 "cold" if res.disk_cache_new or name in ahead.worker_s else "warm"),
                             "numba_cache_new_entries": res.disk_cache_new, "target_accept": model.target_accept(),
                             "draws": model.draws_count()}
            if name in ahead.worker_s:  # cold: compiled into the disk cache by a worker process, then loaded
                timings[name]["compiled_in_worker_s"] = round(ahead.worker_s[name], 2)
            if ahead.cold is not None and name in ahead.cold.failed:
                timings[name]["compile_worker_error"] = ahead.cold.failed[name]
            d = res.diagnostics
            say(f"      {name}: {timings[name]['total_s']:.1f}s, R-hat {d.max_rhat:.3f}, "
                f"min ESS {min(d.min_ess_bulk, d.min_ess_tail):.0f}, divergences {d.divergences} → {d.status}")
    return timings


def run(models: list[str] | None = None, cfg: RunConfig | None = None, *, out_dir: Path | None = None,
        run_id: str | None = None, data_dir: Path | None = None, progress=None) -> Run:
    """Fit every model (default: all), score the milestones and write the run directory atomically."""
    cfg = cfg or RunConfig()
    say = progress or (lambda msg: None)
    t_start = time.perf_counter()
    fitted = build_models(list(models or REGISTRY), cfg, data_dir)
    timings = fit_all(fitted, cfg, say, expected_s=last_sample_seconds(out_dir))
    return finalize(fitted, cfg, timings, t_start, out_dir=out_dir, run_id=run_id, data_dir=data_dir, say=say)


def milestones_file(data_dir: Path | None) -> Path:
    """The milestone definitions a run reads: `data_dir`'s, else the project's."""
    return Path(data_dir) / "milestones.yaml" if data_dir else ms.milestones_path()


def finalize(fitted: dict, cfg: RunConfig, timings: dict, t_start: float, *, out_dir=None, run_id=None, data_dir=None,
             say=None, extra_manifest: dict | None = None, diff_with: pd.DataFrame | None = None,
             reuse_rows: dict[str, dict] | None = None) -> Run:
    """Score milestones (taking `reuse_rows`, id → row, as they are: see `milestones.evaluate`) and write the
    run directory (atomically), history, and `latest`."""
    say = say or (lambda msg: None)
    names = list(fitted)
    milestone_list = ms.load_milestones(milestones_file(data_dir))
    table = ms.evaluate(milestone_list, fitted, cfg.horizon, cfg.seed, reuse=reuse_rows)
    out_dir = Path(out_dir or config.reports_dir())
    run_id = run_id or new_run_id(cfg)
    ev = load_evidence(data_dir)
    diags = {n: m.diagnostics.to_dict() for n, m in fitted.items()}
    manifest = {
        "run_id": run_id, "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "models": names, "config": cfg.to_dict(), "versions": versions(),
        "compile_cache_dir": str(numba_cache_dir()),
        "data": {t: sha256_file(table_path(t, data_dir)) for t in _tables_for(names)},
        "evidence_ids": ev["id"].astype(str).tolist(),
        "milestones_sha256": sha256_file(milestones_file(data_dir)),
        "priors": {n: fitted[n].priors.sha256 for n in names},
        "config_hash": {n: fitted[n].config_hash() for n in names},
        "diagnostics": diags, "timings": timings,
        "all_diagnostics_passed": all(d["passed"] for d in diags.values()),
        **({"served": served} if (served := serving_info()) else {}),
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
        from .report import render_all
        say("rendering report …")
        render_all(result, tmp)
    point_symlink(out_dir / "latest", run_id)
    append_history(out_dir, manifest, table)
    result.path = final
    return result


HISTORY_COLUMNS = ["run_id", "created", "milestone", "p_by_target", "median_date", "n_evidence", "last_evidence"]


def history_rows(manifest: dict, table: pd.DataFrame) -> pd.DataFrame:
    """One history row per milestone with a probability in this run (forecast, observed or resolved)."""
    rows = table[table["p_by_target"].notna()]
    return pd.DataFrame({"run_id": manifest["run_id"], "created": manifest["created"], "milestone": rows["id"],
                         "p_by_target": rows["p_by_target"], "median_date": rows["median_date"],
                         "n_evidence": len(manifest["evidence_ids"]),
                         "last_evidence": manifest["evidence_ids"][-1] if manifest["evidence_ids"] else ""})[HISTORY_COLUMNS]


def append_history(out_dir: Path, manifest: dict, table: pd.DataFrame) -> None:
    """Append each milestone's P and median date to reports/history.csv."""
    path = Path(out_dir) / "history.csv"
    old = pd.read_csv(path, dtype=str) if path.exists() else pd.DataFrame(columns=HISTORY_COLUMNS)
    atomic_write_csv(path, pd.concat([old, history_rows(manifest, table).astype(str)], ignore_index=True)[HISTORY_COLUMNS])


def load_history(out_dir: Path | None = None) -> pd.DataFrame:
    path = Path(out_dir or config.reports_dir()) / "history.csv"
    if not path.exists():
        return pd.DataFrame(columns=HISTORY_COLUMNS)
    h = pd.read_csv(path)
    return h


def milestone_diff(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Per milestone: P before, P after, Δ, median date before → after; sorted by |Δ|."""
    b = before.set_index("id")[["p_by_target", "median_date"]]
    a = after.set_index("id")[["title", "p_by_target", "median_date"]]
    d = a.join(b, lsuffix="_after", rsuffix="_before", how="left")
    d = d[d["p_by_target_after"].notna() | d["p_by_target_before"].notna()]
    d["delta"] = d["p_by_target_after"].astype(float) - d["p_by_target_before"].astype(float)
    d = d.reindex(d["delta"].abs().sort_values(ascending=False, na_position="last").index)
    return d.reset_index()[["id", "title", "p_by_target_before", "p_by_target_after", "delta", "median_date_before", "median_date_after"]]


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
    cfg = before_cfg(manifest)
    frames = {t: load_table(t, p / "inputs") for t in _tables_for(manifest["models"])}
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
           data_dir: Path | None = None, progress=None, reweight: bool = True) -> tuple[Run, pd.DataFrame]:
    """Update the models the new evidence touches (data + all evidence), reuse the other posteriors,
    write a new run and return it with the milestone diff against the parent run.

    A touched model that supports it is first updated by importance reweighting of its last MCMC fit
    (forecast/reweight.py: Pareto k̂, ESS and the run's gate must pass); otherwise, or with `reweight=False`,
    it is refitted. Models that read a refitted or reweighted model are refitted."""
    from . import reweight as rw
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
        if set(models[n].requires) & set(plan.refit) or not hasattr(models[n], "reweighted_posterior"):
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
    run_ = finalize(models, cfg_run, timings, t_start, out_dir=out_dir or plan.parent.parent, data_dir=data_dir, say=say,
                    extra_manifest={"parent_run": manifest["run_id"], "refit": refit, "reweighted": list(reweighted),
                                    "reused": plan.reuse, "rederived": plan.rederive, "new_evidence": plan.new_evidence["id"].tolist(),
                                    "milestones_reused": sorted(reuse_rows)},
                    diff_with=before_table, reuse_rows=reuse_rows)
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


def before_cfg(manifest: dict) -> RunConfig:
    """The RunConfig a saved run was made with."""
    d = dict(manifest["config"])
    gate = config.GateThresholds(**d.pop("gate"))
    return RunConfig(**d, gate=gate)
