"""Rolling-origin backtests: truncate every series at an origin, fit, forecast what came after, score.

Protocol (steps 1-5 fixed before looking at results, see README "Calibration"; steps 6-8 fixed on 2026-12-07,
before any result under them was computed):
1. Origins: every six months from 2023-01-01 to 6 months before the latest data (or --as-of dates).
2. At each origin every model is refitted on observations dated strictly before it (`RunConfig.as_of`; a model
   whose source publishes late may instead read the data vintage available at the origin).
3. Targets: each model's observations after the origin within `horizon_years` (default 2), as defined on
   the full data (e.g. frontier membership is decided with all data, so the target set does not depend on the cut).
4. Scores per target: CRPS, log score, PIT, and whether the 50/80/95% central intervals cover it; the same
   for two naive baselines fitted to the same history: persistence (the last year's mean carried forward) and a
   linear trend, each with its own empirical error spread (forecast/evaluation/baselines.py).
5. Every series stays in the table, including those where the model loses to a baseline.
6. Events: for every series and origin, "the series crosses y0 + k·s within h years" for k in {-1, 0.5, 1, 2}
   (k < 0: falls to the threshold) and h in {0.5, 1, 2}, with y0 the persistence centre and s the persistence
   rule's one-year predictive sd, both from the history alone (forecast/evaluation/events.py). Each method's
   probability is the share of its joint predictive paths that cross on the observed target dates; Brier and log
   score against a climatological base rate (leave-one-origin-out frequency of events of the same h and k) and
   against the baselines' own paths; a reliability table with counts and binomial intervals.
7. Pairing: every method is scored on the identical targets. A series needs at least 3 history points before the
   origin for the baselines to exist; targets of shorter series are scored by no method and counted as skipped.
8. Skill: per series, 1 - CRPS_model / CRPS_baseline with a 90% paired bootstrap interval over origins, overall
   and per lead-time band (0-6, 6-12, 12-24 months); across series the skill is pooled as 1 - the geometric mean
   of the CRPS ratios (raw CRPS is never averaged across units).
"""
from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import numpy as np
import pandas as pd

from forecast.calibration.backtest_tables import events_summary, reliability_tables, skill_table, summarize
from forecast.core import config
from forecast.core.config import RunConfig
from forecast.core.io import atomic_directory, atomic_write_csv, atomic_write_json, point_symlink
from forecast.core.timeutil import decimal_year
from forecast.evaluation import scoring as ev
from forecast.evaluation.baselines import baseline_draws, event_scale, persistence_point
from forecast.evaluation.events import crossing_events
from forecast.inference.parallel import map_tasks, parse_jobs

HORIZON_YEARS = 2.0
BASELINES = ("persistence", "linear_trend")
MIN_HISTORY = 3


def default_origins(models: dict) -> list[str]:
    """Every six months from 2023-01-01 to six months before the latest data end among the models (protocol step 1);
    each origin fits only the models with at least six months of data after it (`models_at`)."""
    end = max(m.data_end for m in models.values()) - pd.DateOffset(months=6)
    return [d.date().isoformat() for d in pd.date_range("2023-01-01", end, freq="6MS")]


def models_at(origin: str, models: dict) -> list[str]:
    """Models whose data extend at least six months past `origin` (the others have too little to score there)."""
    o = pd.Timestamp(origin)
    return [n for n, m in models.items() if m.data_end - pd.DateOffset(months=6) >= o]


def _score_rows(origin: str, model_name: str, method: str, targets: pd.DataFrame, draws: np.ndarray, discrete: bool,
                t_origin: float, rng) -> list[dict]:
    sc = ev.score_table(draws, targets["y"].to_numpy(float), discrete=discrete, rng=rng)
    dates = pd.to_datetime(targets["date"])
    return [{"origin": origin, "model": model_name, "series": targets["series"].iloc[j], "method": method, "target": j,
             "date": dates.iloc[j].date().isoformat(), "horizon_years": float(targets["t"].iloc[j] - t_origin),
             "y": float(targets["y"].iloc[j]), **{k: float(v[j]) for k, v in sc.items()}}
            for j in range(len(targets))]


def score_series(origin: str, model_name: str, targets: pd.DataFrame, model_draws: np.ndarray, history: pd.DataFrame,
                 rng: np.random.Generator) -> tuple[list[dict], list[dict]]:
    """Scores of the model and both baselines on one series' targets (paired), and the series' events (step 6)."""
    t_origin = float(decimal_year([pd.Timestamp(origin)])[0])
    disc = bool(targets["discrete"].iloc[0])
    floor = 0.5 if disc else 0.0  # a count's spread is at least half a unit
    ht, hy = history["t"].to_numpy(float), history["y"].to_numpy(float)
    paths = {"model": model_draws}
    # shares measured as k of n (adoption) carry binomial noise the baselines add (forecast/evaluation/baselines.py)
    n = targets["n"].to_numpy(float) if "n" in targets and targets["n"].notna().all() else None
    for method in BASELINES:
        bd = baseline_draws(method, ht, hy, targets["t"].to_numpy(float), model_draws.shape[0], rng, floor, n)
        paths[method] = np.maximum(np.round(bd), 0.0) if disc else bd
    rows = [r for method, d in paths.items()
            for r in _score_rows(origin, model_name, method, targets, d, disc, t_origin, rng)]
    y0 = float(persistence_point(ht, hy, np.array([t_origin]))[0])
    events = crossing_events(targets["t"].to_numpy(float) - t_origin, targets["y"].to_numpy(float), paths, y0,
                             event_scale(ht, hy, floor))
    series = targets["series"].iloc[0]
    return rows, [{"origin": origin, "model": model_name, "series": series, "y0": y0, **e} for e in events]


def backtest_origin(origin: str, names: list[str], cfg: RunConfig, horizon_years: float = HORIZON_YEARS) -> dict:
    """Fit every model at one origin; score it and the baselines on what came after: {"scores", "events", "skipped"}."""
    from forecast.models.registry import build_models
    from forecast.pipeline.schedule import fit_all
    full = build_models(names, cfg)
    names = models_at(origin, {n: full[n] for n in names})
    empty = {"scores": pd.DataFrame(), "events": pd.DataFrame(), "skipped": pd.DataFrame()}
    if not names:
        return empty
    cut = build_models(names, cfg.replace(as_of=origin))
    fit_all(cut, cfg.replace(as_of=origin), lambda m: None)
    rng = np.random.default_rng([cfg.seed, *origin.encode()])
    rows, events, skipped = [], [], []
    for name, model in cut.items():
        targets = model.backtest_targets(full[name], horizon_years)
        if targets.empty:
            continue
        hist = model.backtest_history()
        n_hist = hist.groupby("series").size()
        short = targets["series"].map(n_hist).fillna(0) < MIN_HISTORY
        for series, n in targets[short].groupby("series").size().items():
            skipped.append({"origin": origin, "model": name, "series": series, "targets": int(n),
                            "reason": f"fewer than {MIN_HISTORY} history points before the origin"})
        targets = targets[~short].reset_index(drop=True)
        if targets.empty:
            continue
        draws = model.predictive(targets, rng)
        status = model.diagnostics.status
        for series, idx in targets.groupby("series", sort=False).indices.items():
            r, e = score_series(origin, name, targets.iloc[idx].reset_index(drop=True), draws[:, idx],
                                hist[hist["series"] == series], rng)
            rows += [dict(x, diagnostics=status if x["method"] == "model" else "") for x in r]
            events += [dict(x, diagnostics=status) for x in e]
    return {"scores": pd.DataFrame(rows), "events": pd.DataFrame(events), "skipped": pd.DataFrame(skipped)}


def _concat(frames: list[pd.DataFrame], sort: list[str]) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return out.sort_values(sort, kind="mergesort").reset_index(drop=True) if len(out) else out


def run_backtest(origins: list[str] | None = None, models: list[str] | None = None, cfg: RunConfig | None = None,
                 jobs: str | int = 1, out_dir: Path | None = None, progress=None, record: Path | None = None,
                 command: str = "forecast backtest") -> tuple[Path, pd.DataFrame]:
    """Backtest every origin (in parallel per `jobs`, see forecast/inference/parallel.py), write reports/backtests/<id>/
    and, when `record` is a folder, replace these models' entries in that calibration record."""
    from forecast.models.base import ForecastModel
    from forecast.models.registry import REGISTRY, build_models
    from forecast.pipeline.calibration_record import fingerprints
    cfg = cfg or RunConfig()
    say = progress or (lambda m: None)
    names = [n for n in (models or REGISTRY) if REGISTRY[n].predictive is not ForecastModel.predictive]
    files = {n: fingerprints(n, "backtest") for n in names}  # the inputs as they are when the fits start
    origins = origins or default_origins(build_models(names, cfg))
    t0 = time.perf_counter()
    spec = parse_jobs(jobs)
    # independent fits (forecast/inference/parallel.py): in process, local processes or a Dask cluster, unchanged
    parts = map_tasks(backtest_origin, [(o, names, cfg) for o in origins], spec,
                      on_done=lambda i, r: say(f"origin {origins[i]} done"))
    scores = _concat([p["scores"] for p in parts], ["origin", "model", "series", "method", "date"])
    events = _concat([p["events"] for p in parts], ["origin", "model", "series", "horizon_years", "step"])
    skipped = _concat([p["skipped"] for p in parts], ["origin", "model", "series"])
    summary = summarize(scores)
    out_dir = Path(out_dir or config.reports_dir() / "backtests")
    bid = dt.datetime.now().strftime("%Y%m%dT%H%M%S") + f"-s{cfg.seed}"
    run = {"id": bid, "origins": origins, "models": names, "jobs": spec.describe(), "config": cfg.to_dict(),
           "horizon_years": HORIZON_YEARS, "seed": cfg.seed, "command": command,
           "wall_s": round(time.perf_counter() - t0, 1)}
    with atomic_directory(out_dir / bid) as tmp:
        atomic_write_csv(tmp / "results.csv", scores)
        atomic_write_csv(tmp / "events.csv", events)
        atomic_write_csv(tmp / "skipped.csv", skipped)
        atomic_write_csv(tmp / "summary.csv", summary)
        atomic_write_csv(tmp / "skill.csv", skill_table(scores, seed=cfg.seed))
        atomic_write_csv(tmp / "event_scores.csv", events_summary(events))
        atomic_write_csv(tmp / "reliability.csv", reliability_tables(events))
        atomic_write_json(tmp / "manifest.json", run)
    point_symlink(out_dir / "latest", bid)
    if record is not None:
        from forecast.calibration.record import record_backtest
        record_backtest(record, scores, events, skipped, dict(run, files=files))
    return out_dir / bid, summary
