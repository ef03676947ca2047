"""Rolling-origin backtests: truncate every series at an origin, fit, forecast what came after, score.

Protocol (fixed before looking at results; see README "Calibration"):
1. Origins: every six months from 2023-01-01 to 6 months before the latest data (or --as-of dates).
2. At each origin every model is refitted on observations dated strictly before it (`RunConfig.as_of`).
3. Targets: each model's observations after the origin within `horizon_years` (default 2), as defined on
   the full data (e.g. frontier membership is decided with all data, so the target set does not depend on the cut).
4. Scores per target: CRPS, log score, PIT, and whether the 50/80/95% central intervals cover it; the same
   for two naive baselines fitted to the same history: persistence (random walk) and a linear trend.
5. Every series stays in the table, including those where the model loses to a baseline.
"""
from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import numpy as np
import pandas as pd

from forecast.core import config
from forecast.evaluation import scoring as ev
from forecast.core.config import RunConfig
from forecast.core.io import atomic_directory, atomic_write_csv, atomic_write_json, point_symlink
from forecast.inference.parallel import map_tasks, parse_jobs

HORIZON_YEARS = 2.0
BASELINES = {"persistence": ev.persistence_draws, "linear_trend": ev.linear_trend_draws}


def default_origins(models: dict) -> list[str]:
    """Every six months from 2023-01-01 to six months before the latest data end among the models (protocol step 1);
    each origin fits only the models with at least six months of data after it (`models_at`)."""
    end = max(m.data_end for m in models.values()) - pd.DateOffset(months=6)
    return [d.date().isoformat() for d in pd.date_range("2023-01-01", end, freq="6MS")]


def models_at(origin: str, models: dict) -> list[str]:
    """Models whose data extend at least six months past `origin` (the others have too little to score there)."""
    o = pd.Timestamp(origin)
    return [n for n, m in models.items() if m.data_end - pd.DateOffset(months=6) >= o]


def _score_rows(origin, model_name, method, targets, draws, rng) -> list[dict]:
    rows = []
    for disc in (False, True):
        sel = (targets["discrete"].astype(bool) == disc).to_numpy()
        if not sel.any():
            continue
        sc = ev.score_table(draws[:, sel], targets["y"].to_numpy(float)[sel], discrete=disc, rng=rng)
        sub = targets[sel].reset_index(drop=True)
        for j in range(len(sub)):
            rows.append({"origin": origin, "model": model_name, "series": sub.loc[j, "series"], "method": method,
                         "date": pd.Timestamp(sub.loc[j, "date"]).date().isoformat(),
                         "horizon_years": float(sub.loc[j, "t"] - _dec(origin)), "y": float(sub.loc[j, "y"]),
                         **{k: float(v[j]) for k, v in sc.items()}})
    return rows


def _dec(date) -> float:
    from forecast.core.timeutil import decimal_year
    return float(decimal_year([pd.Timestamp(date)])[0])


def backtest_origin(origin: str, names: list[str], cfg: RunConfig, horizon_years: float = HORIZON_YEARS) -> pd.DataFrame:
    """Fit every model at one origin and score it and the baselines on what came after."""
    from forecast.models.registry import build_models
    from forecast.pipeline.schedule import fit_all
    full = build_models(names, cfg)
    names = models_at(origin, {n: full[n] for n in names})
    if not names:
        return pd.DataFrame()
    cut = build_models(names, cfg.replace(as_of=origin))
    fit_all(cut, cfg.replace(as_of=origin), lambda m: None)
    rng = np.random.default_rng([cfg.seed, *origin.encode()])
    rows = []
    for name, model in cut.items():
        targets = model.backtest_targets(full[name], horizon_years)
        if targets.empty:
            continue
        draws = model.predictive(targets, rng)
        rows += [dict(r, diagnostics=model.diagnostics.status) for r in _score_rows(origin, name, "model", targets, draws, rng)]
        hist = model.backtest_history()
        for series, tg in targets.groupby("series", sort=False):
            h = hist[hist["series"] == series]
            if len(h) < 3:
                continue
            for method, fn in BASELINES.items():
                bd = fn(h["t"].to_numpy(float), h["y"].to_numpy(float), tg["t"].to_numpy(float), draws.shape[0], rng)
                if tg["discrete"].iloc[0]:
                    bd = np.round(bd)
                rows += [dict(r, diagnostics="") for r in _score_rows(origin, name, method, tg, bd, rng)]
    return pd.DataFrame(rows)


def summarize(results: pd.DataFrame) -> pd.DataFrame:
    """Per series and method (and pooled): n, coverage of 50/80/95% intervals, mean CRPS and log score."""
    if results.empty:
        return results
    agg = {"n": ("y", "size"), "cover50": ("cover50", "mean"), "cover80": ("cover80", "mean"), "cover95": ("cover95", "mean"),
           "crps": ("crps", "mean"), "log_score": ("log_score", "mean")}
    per = results.groupby(["model", "series", "method"], sort=False).agg(**agg).reset_index()
    pooled = results.groupby("method", sort=False).agg(**agg).reset_index().assign(model="(pooled)", series="(all)")
    return pd.concat([per, pooled[per.columns]], ignore_index=True)


def run_backtest(origins: list[str] | None = None, models: list[str] | None = None, cfg: RunConfig | None = None,
                 jobs: str | int = 1, out_dir: Path | None = None, progress=None) -> tuple[Path, pd.DataFrame]:
    """Backtest every origin (in parallel per `jobs`, see forecast/inference/parallel.py) and write reports/backtests/<id>/."""
    from forecast.models.registry import REGISTRY
    from forecast.models.base import ForecastModel
    from forecast.models.registry import build_models
    cfg = cfg or RunConfig()
    say = progress or (lambda m: None)
    names = [n for n in (models or REGISTRY) if REGISTRY[n].predictive is not ForecastModel.predictive]
    origins = origins or default_origins(build_models(names, cfg))
    t0 = time.perf_counter()
    spec = parse_jobs(jobs)
    # independent fits (forecast/inference/parallel.py): in process, local processes or a Dask cluster, unchanged
    frames = map_tasks(backtest_origin, [(o, names, cfg) for o in origins], spec,
                       on_done=lambda i, r: say(f"origin {origins[i]} done"))
    results = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    results = results.sort_values(["origin", "model", "series", "method", "date"]).reset_index(drop=True) if len(results) else results
    summary = summarize(results)
    out_dir = Path(out_dir or config.reports_dir() / "backtests")
    bid = dt.datetime.now().strftime("%Y%m%dT%H%M%S") + f"-s{cfg.seed}"
    with atomic_directory(out_dir / bid) as tmp:
        atomic_write_csv(tmp / "results.csv", results)
        atomic_write_csv(tmp / "summary.csv", summary)
        atomic_write_json(tmp / "manifest.json", {"id": bid, "origins": origins, "models": names, "jobs": spec.describe(),
                                                  "config": cfg.to_dict(), "horizon_years": HORIZON_YEARS,
                                                  "wall_s": round(time.perf_counter() - t0, 1)})
    point_symlink(out_dir / "latest", bid)
    return out_dir / bid, summary
